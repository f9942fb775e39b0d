// SPDX-License-Identifier: Apache-2.0
// rule_evaluator.cpp - see rule_evaluator.hpp.
#include "policy/rule_evaluator.hpp"

#include <chrono>

#include "codes/reply_text.hpp"
#include "policy/dns_evidence.hpp"

namespace mv::policy {

namespace {

using codes::Stage;

bool refusal(Action a) {
    return a == Action::Reject || a == Action::Tempfail;
}

bool early(Stage s) {
    return s == Stage::Connect || s == Stage::Helo || s == Stage::Mail;
}

}  // namespace

Stage delivery_stage(const Settings& s, bool non_smtp, Stage stage, Action a) {
    if (a == Action::Discard || a == Action::Quarantine) return Stage::EndOfData;
    if (!refusal(a)) return stage;
    if (early(stage) && s.delay_reject) return non_smtp ? Stage::EndOfData : Stage::Rcpt;
    if (stage == Stage::Rcpt && non_smtp) return Stage::EndOfData;
    return stage;
}

std::string RuleEvaluator::expand(const std::string& tmpl, const std::string& rule,
                                  std::string_view rcpt, const Decision* d) const {
    if (!codes::check_template(tmpl).empty()) return codes::sanitize_value(tmpl, tmpl.size());
    codes::TextVars v;
    v.client_addr = tx_.client_addr;
    v.client_name = tx_.client_name;
    v.helo = tx_.helo;
    v.sender = tx_.sender;
    v.rcpt = rcpt;
    v.rule = rule;
    v.retry = tx_.retry;
    v.queue_id = tx_.queue_id;
    const std::string& zones = d ? d->dns_zones : tx_.dns_zones;
    v.dns_zones = zones.empty() ? std::string_view("a DNS list") : std::string_view(zones);
    v.dns_score = d ? d->dns_score : tx_.dns_score;
    v.dns_txt = d ? d->dns_txt : tx_.dns_txt;
    return codes::expand_template(tmpl, v);
}

std::string RuleEvaluator::rule_name(const Decision& d) const {
    return d.index < policy_.rules.size() ? policy_.rules[d.index].name : std::string();
}

std::string RuleEvaluator::label(const Decision& d) const {
    if (d.index >= policy_.rules.size()) return "engine";
    return "rule #" + std::to_string(d.index + 1) + " " + policy_.rules[d.index].name;
}

bool RuleEvaluator::disconnect(const Decision& d) const {
    return d.index < policy_.rules.size() && d.reason != codes::Reason::BackendFailure &&
           policy_.rules[d.index].reply.disconnect;
}

codes::Reply RuleEvaluator::reply(const Decision& d, Stage delivered) const {
    codes::Reply r;
    if (!refusal(d.action)) return r;
    const auto disposition =
        d.action == Action::Reject ? codes::Disposition::Reject : codes::Disposition::Tempfail;
    const bool own = d.index < policy_.rules.size() && d.reason != codes::Reason::BackendFailure &&
                     d.reason != codes::Reason::TooManyRecipients;
    const Rule* rule = own ? &policy_.rules[d.index] : nullptr;
    const auto def = codes::default_reply(disposition, rule ? rule->reason : d.reason, delivered);
    // The loader fills complete replies; defaults here only cover policies built
    // in code (tests, simulate) that leave parts out.
    if (rule && rule->reply.basic != 0 &&
        !(rule->default_codes && delivered != rule->reply_stage)) {
        r.basic = rule->reply.basic;
        r.enhanced = rule->reply.enhanced;
    } else {
        r.basic = def.basic;
        r.enhanced = def.enhanced;
    }
    const std::string name = rule_name(d);
    if (rule && !rule->reply.text.empty()) {
        for (const auto& line : rule->reply.text) r.lines.push_back(expand(line, name, d.rcpt, &d));
    } else {
        // Default texts may name ${retry} (greylisting, rate limits), ${dns_zones}.
        r.lines.push_back(expand(def.text, name, d.rcpt, &d));
    }
    return r;
}

std::string RuleEvaluator::quarantine_reason(const Decision& d) const {
    if (d.action != Action::Quarantine || d.index >= policy_.rules.size()) return {};
    const Rule& rule = policy_.rules[d.index];
    const std::string& t =
        rule.quarantine_reason.empty() ? std::string("rule ${rule}") : rule.quarantine_reason;
    return expand(t, rule.name, d.rcpt, &d);
}

std::string RuleEvaluator::outcome(const Decision& d, Stage delivered) const {
    std::string out(action_name(d.action));
    if (refusal(d.action)) out += " " + reply(d, delivered).summary();
    if (d.action == Action::Quarantine) out += " (" + quarantine_reason(d) + ")";
    return out;
}

StageResult RuleEvaluator::run(Stage stage, std::size_t limit, std::size_t from, bool defer) const {
    const auto started = std::chrono::steady_clock::now();
    const auto waited = tx_.state_wait;
    const auto dns_waited = tx_.dns ? tx_.dns->waited() : std::chrono::nanoseconds{0};
    StageResult res = run_rules(stage, limit, from, defer);
    res.timing.evaluated = true;
    res.timing.engine = std::chrono::steady_clock::now() - started;
    res.timing.state_wait = tx_.state_wait - waited;
    if (tx_.dns) res.timing.dns_wait = tx_.dns->waited() - dns_waited;
    return res;
}

StageResult RuleEvaluator::run_rules(Stage stage, std::size_t limit, std::size_t from,
                                     bool defer) const {
    StageResult res;
    const auto& rules = policy_.rules;
    for (const std::size_t i : policy_.rules_at(stage)) {
        if (i < from) continue;
        if (i >= limit) break;
        const Rule& rule = rules[i];
        tx_.dns_zones.clear();
        tx_.dns_score.clear();
        tx_.dns_txt.clear();
        tx_.dns_detail.clear();
        tx_.dns_pending = false;
        if ((rule.uses_dns || rule.dns_deferrable) && before_dns_) {
            auto f = std::move(before_dns_);
            before_dns_ = nullptr;
            f();
        }
        const bool may_defer = defer && rule.dns_deferrable;
        if (tx_.dns) tx_.dns->set_waiting(!may_defer);
        const Match m = rule.when ? rule.when->match(tx_) : Match::Yes;
        if (m == Match::No) continue;
        const bool monitored = rule.monitor || policy_.settings.monitor;
        const std::string head =
            "rule #" + std::to_string(i + 1) + " " + rule.name + (monitored ? " (monitor)" : "");
        if (m == Match::TempError && may_defer && tx_.dns_pending) {
            // Its answers are not in: evaluate it (and what follows) later,
            // when the client has sent more; the verdict is held anyway.
            tx_.state_error.clear();
            res.log.push_back({head + ": DNS answers not in yet, evaluated later (delay_reject)",
                               rule.name, "", false});
            res.suspended = i;
            return res;
        }
        std::string desc = rule.when ? rule.when->describe() : std::string("always");
        if (!tx_.dns_detail.empty())
            desc += " [" + codes::sanitize_value(tx_.dns_detail, 400) + "]";
        Decision d;
        d.index = i;
        d.action = rule.action;
        d.decided_at = stage;
        d.rcpt = tx_.current_rcpt;
        d.dns_zones = tx_.dns_zones;
        d.dns_score = tx_.dns_score;
        d.dns_txt = tx_.dns_txt;
        if (m == Match::TempError) {
            // The rule's own on_backend_error, else the policy's on_error.
            const bool closed = rule.backend_fail_open
                                    ? !*rule.backend_fail_open
                                    : policy_.settings.on_error == Action::Tempfail;
            const bool fail_closed = closed && rule.action != Action::Continue;
            if (!tx_.state_error.empty()) {
                desc += " (" + codes::sanitize_value(tx_.state_error, 200) + ")";
                tx_.state_error.clear();
            }
            if (!fail_closed) {
                res.log.push_back({head + " error: temporary failure evaluating: " + desc +
                                       " => no match (fail open)",
                                   rule.name, "", false});
                continue;
            }
            d.action = Action::Tempfail;
            d.reason = codes::Reason::BackendFailure;
        }
        const std::string log_extra =
            rule.log.empty() ? std::string() : " - " + expand(rule.log, rule.name, d.rcpt);
        const std::string what =
            m == Match::TempError ? " error: temporary failure evaluating: " : " matched: ";
        if (d.action == Action::Continue) {
            // Adds something: a header (added, or in monitor mode would be)
            // or a log text of its own; else its line is detail (LogLine).
            const bool adds = !rule.add_headers.empty() || !rule.log.empty();
            const bool detail = !adds && m != Match::TempError;
            if (monitored) {
                res.log.push_back(
                    {head + what + desc + " => continue (headers not added)" + log_extra, rule.name,
                     "continue", detail});
                continue;
            }
            for (const auto& h : rule.add_headers)
                res.headers.emplace_back(h.name, expand(h.value, rule.name, d.rcpt));
            res.log.push_back(
                {head + what + desc + " => continue" + log_extra, rule.name, "continue", detail});
            continue;
        }
        // Where it is expected to go out: its stage's delivery point, or
        // the later stage the loader chose its reply for (a refusal waiting
        // for an earlier rule, Rule::reply_stage).
        const Stage expected = std::max(
            delivery_stage(policy_.settings, tx_.non_smtp, stage, d.action), rule.reply_stage);
        const std::string result = outcome(d, expected);
        if (monitored) {
            Tentative t;
            t.index = i;
            t.stage = stage;
            t.log_pos = res.log.size();
            t.would.rule = rule.name;
            t.would.action = d.action;
            if (refusal(d.action)) t.would.reply = reply(d, expected);
            t.log = {head + " would " + result + log_extra, rule.name, "continue", false};
            t.header = "would " + result + " (rule " + codes::sanitize_value(rule.name, 64) + ")";
            t.decision = d;
            res.would.push_back(std::move(t));
            // Whole policy in monitor mode: this rule is what enforcement
            // would run, so its would-be decision is the one of this stage;
            // the rules after it would not run (session.hpp, Monitor).
            if (policy_.settings.monitor && !rule.monitor) return res;
            continue;
        }
        for (const auto& h : rule.add_headers)
            res.headers.emplace_back(h.name, expand(h.value, rule.name, d.rcpt));
        res.log.push_back({head + what + desc + " => " + result + log_extra, rule.name,
                           std::string(action_name(d.action)), false});
        res.decision = std::move(d);
        return res;
    }
    return res;
}

}  // namespace mv::policy
