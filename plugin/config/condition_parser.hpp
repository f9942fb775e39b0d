// SPDX-License-Identifier: Apache-2.0
// condition_parser.hpp - a rule's `when` group -> one compiled Condition.
//
// Every key of `when` must hold (an implicit all). Keys: client_addr,
// client_name, client_resolve, helo, sender, rcpt, auth, tls, macro,
// daemon_name, daemon_port, header, body, size, declared_size, rcpt_count,
// all, any, not, the stateful rate_limit and greylist
// (state_condition_parser.hpp), and the DNS keys dns_list, reverse_dns,
// sender_domain, rcpt_domain (dns_parser.hpp). String keys take a string match: a shorthand
// (a string or array of strings: exact values, "/regex/" or "<>" for the empty value) or a group
// { exact; domain; subdomain; regex; null; case_sensitive; }. "@name" anywhere
// a value list is accepted is replaced by the entries of that list.
//
// Call order: construct with the ListTable, then parse() each rule's `when`.
// Errors: every problem is reported to the Diagnostics; parse() then returns
// false and the rule is not built. Bad CIDRs and regexes are found by the
// policy constructors (std::invalid_argument) and reported at the entry's own
// line (a list file line for "@name" entries).
//
// Conditions that read a list are built once per distinct value and shared by
// every rule that references the same list, so that many rules naming one big
// list cost one compiled list, not one per rule.
//
// Thread contract: one ConditionParser per load, used by one thread.
#pragma once

#include <libconfig.h++>

#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "codes/validate.hpp"
#include "config/diagnostics.hpp"
#include "config/list_table.hpp"
#include "policy/conditions.hpp"
#include "policy/dns_evidence.hpp"
#include "state/store_slot.hpp"

namespace mv::dns {
struct Config;
}

namespace mv::config {

class ConditionParser {
  public:
    ConditionParser(ListTable& lists, Diagnostics& diag) : lists_(lists), diag_(diag) {}

    // Compiles `when` (a group) into `out` (null when the group is empty).
    // `stage` is the latest stage the keys need, known even when parse()
    // fails, so that the rule's reply can still be checked in the same run.
    bool parse(const libconfig::Setting& when, policy::ConditionPtr& out, codes::Stage& stage);

    // Stateful conditions (rate_limit, greylist): the store slot of the
    // Policy being built and the name of the rule being parsed (their default
    // bucket). After parse(): the reason of the rule's default reply
    // (RateLimit, Greylist) when `when` has one, and the one stage at which
    // the rule must run for them to count correctly (with a message).
    void set_state(std::shared_ptr<state::StoreSlot> slot) { slot_ = std::move(slot); }
    void set_rule_name(std::string name) { rule_name_ = std::move(name); }
    std::optional<codes::Reason> stateful_reason() const { return stateful_reason_; }
    // DNS conditions: the policy's `dns` group (lists; the parser marks what
    // the rules use) and its DnsSlot. After parse(): whether `when` reads DNS.
    void set_dns(std::shared_ptr<dns::Config> config, std::shared_ptr<policy::DnsSlot> slot) {
        dns_ = std::move(config);
        dns_slot_ = std::move(slot);
    }
    bool uses_dns() const { return uses_dns_; }
    // After parse(): the keys (dns::ListKey bits) of the refusing dns_list
    // conditions of `when`, for the default reply text (dns_list_text()).
    unsigned dns_list_keys() const { return dns_list_keys_; }
    // After parse(): the reason of the rule's default reply (codes/defaults.hpp)
    // when its reason-bearing conditions are all of one kind - size or
    // declared_size over a bound (MessageTooBig), rcpt_count over a bound
    // (TooManyRecipients), rate_limit, greylist, dns_list (DnsBlockList),
    // reverse_dns (ReverseDns), sender_domain (SenderDomain, SenderNullMx),
    // rcpt_domain (RecipientNullMx) - outside any `not`; nullopt
    // (a policy reply) when there are none or several kinds.
    std::optional<codes::Reason> reason() const {
        if (reasons_.size() != 1) return std::nullopt;
        return *reasons_.begin();
    }
    const std::vector<std::pair<codes::Stage, std::string>>& stage_requirements() const {
        return stage_requirements_;
    }
    // Every `macro` condition parsed in this load, with its rule and place
    // (check-config --mta sendmail: sendmail_check.hpp).
    struct MacroUse {
        std::string name, rule, file;
        int line = 0;
    };
    const std::vector<MacroUse>& macro_uses() const { return macro_uses_; }

  private:
    policy::ConditionPtr group(const libconfig::Setting& s, bool& ok);
    policy::ConditionPtr key(const libconfig::Setting& s, bool& ok);
    policy::ConditionPtr client_addr(const libconfig::Setting& s, bool& ok);
    policy::ConditionPtr string_match(const libconfig::Setting& s, policy::Field field, bool& ok,
                                      const std::string& macro = {},
                                      codes::Stage macro_stage = codes::Stage::Connect);
    policy::ConditionPtr build_client_addr(const libconfig::Setting& s, bool& ok);
    policy::ConditionPtr build_string_match(const libconfig::Setting& s, policy::Field field,
                                            bool& ok, const std::string& macro,
                                            codes::Stage macro_stage);
    policy::ConditionPtr macro(const libconfig::Setting& s, bool& ok);
    policy::ConditionPtr combine(const libconfig::Setting& s, bool any, bool& ok);
    // Content keys (content_parser.cpp): header, body, size, declared_size, rcpt_count.
    policy::ConditionPtr content_key(const libconfig::Setting& s, bool& ok);
    policy::ConditionPtr header(const libconfig::Setting& s, bool& ok);
    policy::ConditionPtr body(const libconfig::Setting& s, bool& ok);
    bool bounds(const libconfig::Setting& s, policy::Bounds& out);
    policy::ConditionPtr rate_limit(const libconfig::Setting& s, bool& ok);
    policy::ConditionPtr greylist(const libconfig::Setting& s, bool& ok);
    policy::ConditionPtr dns_key(const libconfig::Setting& s, bool& ok);

    // Builds the condition of `s` once per distinct value that references a
    // list (`kind` tells the uses apart) and shares it; a failure is
    // remembered too, so a broken big list costs one pass, not one per rule.
    policy::ConditionPtr shared(const libconfig::Setting& s, const std::string& kind, bool& ok,
                                const std::function<policy::ConditionPtr(bool&)>& build);

    void need(codes::Stage s) { stage_ = std::max(stage_, s); }
    void note_reason(codes::Reason r) {
        if (negated_ == 0) reasons_.insert(r);
    }

    ListTable& lists_;
    codes::Stage stage_ = codes::Stage::Connect;
    Diagnostics& diag_;
    // Value as written -> its condition; null = it failed (already reported).
    std::unordered_map<std::string, std::shared_ptr<const policy::Condition>> cache_;

    std::shared_ptr<state::StoreSlot> slot_ = std::make_shared<state::StoreSlot>();
    std::string rule_name_;
    std::vector<MacroUse> macro_uses_;
    std::optional<codes::Reason> stateful_reason_;
    std::set<codes::Reason> reasons_;
    int negated_ = 0;  // depth of `not` around the key being parsed
    std::vector<std::pair<codes::Stage, std::string>> stage_requirements_;
    std::shared_ptr<dns::Config> dns_;
    std::shared_ptr<policy::DnsSlot> dns_slot_;
    bool uses_dns_ = false;
    unsigned dns_list_keys_ = 0;
};

}  // namespace mv::config
