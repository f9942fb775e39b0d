// SPDX-License-Identifier: Apache-2.0
// policy.cpp - what the compiled Policy asks of the MTA: macros per stage,
// headers, body.
//
// macros_needed(stage) is the complete list the glue passes to
// smfi_setsymlist for that milter stage (Postfix then sends exactly these,
// replacing its defaults, so the list includes what the engine itself reads):
//   connect: daemon_name, client_name, client_resolve  (Transaction fields)
//   helo:    tls_version                               (Transaction::tls_version)
//   mail:    i, auth_authen                            (queue_id, auth_login)
//   rcpt, data, end-of-data: i                         (the queue id may appear late)
// plus, for every rule, the macros its conditions read: a macro Postfix is
// known to send at a stage (client_* at connect, tls/cert at HELO, auth_* and
// mail_* at MAIL, rcpt_* at RCPT) is asked at that stage, others at the rule's
// stage. Transaction::macros keeps every macro received on the connection, so
// a value asked early stays available to a later rule. Names are without
// braces; the glue adds them for names longer than one character.
// client_addr, HELO, sender and recipients are callback arguments, not macros.
//
// needs_headers()/needs_body(): some rule's condition reads the headers / the
// body (Condition::content_needed()); otherwise the glue negotiates them away
// (SMFIP_NOHDRS, SMFIP_NOBODY) and the MTA never sends them.
#include <string_view>

#include "policy/policy.hpp"

namespace mv::policy {

namespace {

using codes::Stage;

// The stage at which Postfix (and Sendmail) can first send a known macro.
std::optional<Stage> known_macro_stage(std::string_view m) {
    const auto starts = [&](std::string_view p) { return m.substr(0, p.size()) == p; };
    if (starts("client_") || starts("daemon_") || m == "j" || m == "_" || m == "v")
        return Stage::Connect;
    if (starts("tls_") || starts("cert_") || starts("cipher")) return Stage::Helo;
    if (starts("auth_") || starts("mail_")) return Stage::Mail;
    if (starts("rcpt_")) return Stage::Rcpt;
    return std::nullopt;
}

std::set<std::string> compute_macros(const std::vector<Rule>& rules, Stage stage) {
    std::set<std::string> out;
    switch (stage) {
        case Stage::Connect:
            out = {"daemon_name", "client_name", "client_resolve"};
            break;
        case Stage::Helo:
            out = {"tls_version"};
            break;
        case Stage::Mail:
            out = {"i", "auth_authen"};
            break;
        case Stage::Rcpt:
        case Stage::Data:
        case Stage::EndOfData:
            out = {"i"};
            break;
    }
    for (const auto& rule : rules) {
        if (!rule.when) continue;
        std::set<std::string> names;
        rule.when->needed_macros(names);
        for (const auto& n : names)
            if (known_macro_stage(n).value_or(rule.stage) == stage) out.insert(n);
    }
    return out;
}

}  // namespace

const Policy::Derived& Policy::derived() const {
    std::call_once(derived_->once, [this] {
        for (int i = 0; i < codes::kStageCount; ++i)
            derived_->macros[i] = compute_macros(rules, static_cast<Stage>(i));
        for (const auto& rule : rules)
            if (rule.when) {
                unsigned c = rule.when->content_needed();
                // The milter counts the size from the headers and the body.
                if (c & Condition::kNeedsSize)
                    c |= Condition::kNeedsHeaders | Condition::kNeedsBody;
                derived_->content |= c;
            }
        derived_->first_from.fill(rules.size());
        for (std::size_t i = rules.size(); i-- > 0;) {
            const int st = static_cast<int>(rules[i].stage);
            for (int s = 0; s <= st; ++s) derived_->first_from[s] = i;
        }
        for (auto& a : derived_->final_after)
            for (auto& b : a) b.fill(rules.size());
        derived_->dns_from.fill(rules.size());
        for (std::size_t i = rules.size(); i-- > 0;) {
            const Rule& r = rules[i];
            const int st = static_cast<int>(r.stage);
            if (r.uses_dns || r.dns_deferrable)
                for (int s = 0; s <= st; ++s) derived_->dns_from[s] = i;
            if (r.action == Action::Continue) continue;
            // Under the global switch, a rule without its own monitor flag is
            // what enforcement would run (session.hpp, Monitor).
            const bool enforcing = !r.monitor;
            // A refusal reached at connect..RCPT goes out by RCPT at the
            // latest: it waits for earlier envelope rules only (policy.hpp).
            const bool envelope = r.stage <= Stage::Rcpt;
            for (int s = 0; s < st; ++s)
                for (int e = 0; e < 2; ++e)
                    for (int f = 0; f < 2; ++f)
                        if ((!e || enforcing) &&
                            (!f || envelope || static_cast<Stage>(s) > Stage::Rcpt))
                            derived_->final_after[e][f][s] = i;
        }
        for (std::size_t i = 0; i < rules.size(); ++i)
            derived_->by_stage[static_cast<int>(rules[i].stage)].push_back(i);
    });
    return *derived_;
}

const std::set<std::string>& Policy::macros_needed(Stage stage) const {
    return derived().macros[static_cast<int>(stage)];
}

const std::vector<std::size_t>& Policy::rules_at(Stage stage) const {
    return derived().by_stage[static_cast<int>(stage)];
}

std::size_t Policy::first_rule_from(Stage stage) const {
    return derived().first_from[static_cast<int>(stage)];
}

std::size_t Policy::first_final_after(Stage stage, bool enforcing_only, bool for_refusal) const {
    return derived()
        .final_after[enforcing_only ? 1 : 0][for_refusal ? 1 : 0][static_cast<int>(stage)];
}

std::size_t Policy::first_dns_from(Stage stage) const {
    return derived().dns_from[static_cast<int>(stage)];
}

bool Policy::needs_headers() const {
    return (derived().content & Condition::kNeedsHeaders) != 0;
}

bool Policy::needs_body() const {
    return (derived().content & Condition::kNeedsBody) != 0;
}

}  // namespace mv::policy
