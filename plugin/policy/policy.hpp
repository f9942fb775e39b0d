// SPDX-License-Identifier: Apache-2.0
// policy.hpp - the compiled, immutable policy: daemon settings and ordered rules.
//
// Built once by the config loader (config/loader.hpp) and shared read-only by
// every connection through std::shared_ptr<const Policy>. Reload builds a new
// Policy and swaps the pointer; a connection keeps the one it started with.
//
// Thread contract: immutable after construction; safe to read from any thread.
#pragma once

#include <array>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "codes/stage.hpp"
#include "codes/validate.hpp"
#include "policy/condition.hpp"
#include "policy/dns_evidence.hpp"
#include "policy/verdict.hpp"
#include "policy_service/service_settings.hpp"
#include "state/state_settings.hpp"
#include "state/store_slot.hpp"

namespace mv::dns {
struct Config;  // dns/config.hpp: read by whoever attaches a resolver, never by the engine
}

namespace mv::policy {

struct Settings {
    std::string socket = "inet:8890@127.0.0.1";
    std::string socket_mode;            // unix socket mode, e.g. "0660"; "" = default
    std::string socket_group;           // unix socket group; "" = daemon's group
    std::string user, group;            // drop to these after opening the socket; "" = stay
    std::string pid_file;               // "" = none
    std::string log_target = "syslog";  // "syslog" or "stderr"
    std::string log_facility = "mail";
    std::string log_format = "text";     // "text" or "json" (observability/log_format.hpp)
    std::string log_level = "info";      // lines up to this level are written (logger.hpp)
    std::string metrics;                 // HTTP endpoint "127.0.0.1:9809"; "" = off
    int milter_timeout = 7210;           // seconds, smfi_settimeout
    Action on_error = Action::Tempfail;  // Tempfail (451 4.3.0; 421 at connect/HELO) or Accept
    bool delay_reject = true;            // connect/HELO/MAIL verdicts delivered at first RCPT
    bool monitor = false;                // whole policy in monitor mode
    bool allow_empty = false;            // a policy without rules is meant (else an error)
    std::string monitor_header = "X-Milter-Verdict";  // header added in monitor mode; "" = none
    std::size_t body_limit = 64 * 1024;  // body bytes kept for body conditions (line ends
                                         // normalised); the rest is counted, not matched
    state::StateSettings state;          // the `state` group: store for rate limits and greylisting
    // The Postfix policy service (daemon keys policy_*); socket "" = none.
    // `socket` above may be "" too when the policy service is the only listener.
    policy_service::ServiceSettings policy_service;
};

struct HeaderTemplate {
    std::string name;
    std::string value;  // template with ${var} references (codes/reply_text.hpp)
};

struct Rule {
    std::string name;
    std::string file;  // where it was defined, for logs and simulate
    int line = 0;
    ConditionPtr when;  // nullptr = always
    Action action = Action::Continue;
    codes::Reason reason = codes::Reason::Policy;
    codes::ReplySpec reply;  // Reject/Tempfail: complete (defaults filled in by the loader)
    // Neither code was written: the loader filled the defaults for the stage
    // it expected, and the engine takes them for the stage it delivers at (a
    // refusal waiting for an earlier rule may go out sooner when that rule
    // cannot match: RuleEvaluator::reply).
    bool default_codes = false;
    codes::Stage reply_stage = codes::Stage::Connect;  // the stage the loader chose it for
    bool monitor = false;                     // log (and mark) what it would do, let mail through
    std::vector<HeaderTemplate> add_headers;  // applied when the rule matches
    std::string log;                          // extra log text template when it matches
    std::string quarantine_reason;            // Quarantine
    codes::Stage stage = codes::Stage::Connect;  // where it runs: latest stage of `when`
    // on_backend_error: what a TempError of `when` (a state backend failure)
    // does: true = fail open (no match), false = fail closed (tempfail 451
    // 4.4.3); unset = Settings::on_error decides.
    std::optional<bool> backend_fail_open;
    // `when` reads DNS evidence and no state store: with delay_reject the
    // engine may evaluate it at a later stage instead of waiting (session.hpp).
    bool dns_deferrable = false;
    // `when` reads DNS evidence: the session starts its lookups only while
    // this rule can still decide (dns_deferrable implies it).
    bool uses_dns = false;
};

class Policy {
  public:
    Settings settings;
    std::vector<Rule> rules;
    std::string source;  // main configuration file
    // The store of the rate_limit and greylist conditions (state/store_slot.hpp);
    // state_slot->needed() tells whether any rule uses it.
    std::shared_ptr<state::StoreSlot> state_slot = std::make_shared<state::StoreSlot>();
    // The DNS evidence of the dns_list, reverse_dns, sender_domain and
    // rcpt_domain conditions (policy/dns_evidence.hpp); dns_slot->needed()
    // tells whether any rule uses it. `dns` is the `dns` group as loaded.
    std::shared_ptr<DnsSlot> dns_slot = std::make_shared<DnsSlot>();
    std::shared_ptr<const dns::Config> dns;

    // Macros (without braces) the rules need, per milter stage; the glue asks
    // for them with smfi_setsymlist. The list is complete for the stage (it
    // includes what the engine itself reads): connect {daemon_name}
    // {client_name} {client_resolve}; helo {tls_version}; mail i {auth_authen};
    // rcpt, data, end-of-data i; plus every macro a rule's conditions read, at
    // the stage Postfix can send it (client_* connect, tls_/cert_/cipher helo,
    // auth_/mail_ mail, rcpt_ rcpt) or else at the rule's stage. The glue adds
    // braces to names longer than one character (see policy.cpp).
    const std::set<std::string>& macros_needed(codes::Stage stage) const;
    // True when some rule needs headers / the body (else negotiate them away).
    bool needs_headers() const;
    bool needs_body() const;
    // Indexes of the rules that run at `stage`, in file order.
    const std::vector<std::size_t>& rules_at(codes::Stage stage) const;
    // The index of the first rule that runs at `stage` or later; rules.size()
    // when there is none.
    std::size_t first_rule_from(codes::Stage stage) const;
    // The index of the first rule with a final action (not `continue`) that
    // runs after `stage`: while it is undecided, no later rule's decision
    // reached at `stage` is final (file order is decision order, DESIGN.md
    // section 3). With `enforcing_only`, monitored rules are not counted
    // (what may override a monitored rule's would-be decision); with the
    // whole policy in monitor mode (Settings::monitor) the rules without their
    // own `monitor = true` count: they are what enforcement would run once the
    // global switch is off. rules.size() when there is none.
    // With `for_refusal` (the decision waiting is a Reject or Tempfail): a
    // refusal reached at connect, HELO, MAIL or RCPT waits only for earlier
    // rules of those stages, whatever their action, and goes out by RCPT at
    // the latest; DATA and end-of-data rules come after the envelope and
    // cannot let through mail an envelope rule refused (as Postfix's
    // header_checks never override its recipient restrictions; check-config
    // warns where the file says otherwise). A refusal reached at DATA waits
    // for earlier end-of-data rules.
    std::size_t first_final_after(codes::Stage stage, bool enforcing_only = false,
                                  bool for_refusal = false) const;
    // The index of the first rule reading DNS that runs at `stage` or later.
    std::size_t first_dns_from(codes::Stage stage) const;

  private:
    // What the functions above derive from the rules, computed once on
    // first use (they run for every connection and every milter stage; a
    // policy of 10,000 rules must not be walked each time). Thread-safe: the
    // first caller computes, under std::call_once. The Policy must not change
    // after its first use, which holds for a loaded (immutable) Policy.
    struct Derived {
        std::once_flag once;
        std::array<std::set<std::string>, codes::kStageCount> macros;
        std::array<std::vector<std::size_t>, codes::kStageCount> by_stage;
        std::array<std::size_t, codes::kStageCount> first_from{};
        // [enforcing_only][for_refusal][stage]
        std::array<std::array<std::array<std::size_t, codes::kStageCount>, 2>, 2> final_after{};
        std::array<std::size_t, codes::kStageCount> dns_from{};
        unsigned content = 0;
    };
    const Derived& derived() const;
    std::shared_ptr<Derived> derived_ = std::make_shared<Derived>();
};

using PolicyPtr = std::shared_ptr<const Policy>;

}  // namespace mv::policy
