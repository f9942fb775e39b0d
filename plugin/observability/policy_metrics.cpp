// SPDX-License-Identifier: Apache-2.0
// policy_metrics.cpp - see policy_metrics.hpp.
#include "observability/policy_metrics.hpp"

#include "policy/rule_evaluator.hpp"
#include "policy/transaction.hpp"

namespace mv::observability {

namespace {

using codes::Stage;
using policy::Action;

std::uint32_t pack(bool monitor, FrontEnd fe, Action action, Stage stage, int basic) {
    const auto b = static_cast<std::uint32_t>(basic < 0 || basic > 999 ? 0 : basic);
    return (monitor ? 1u : 0u) | static_cast<std::uint32_t>(fe) << 1 |
           static_cast<std::uint32_t>(action) << 4 | static_cast<std::uint32_t>(stage) << 8 |
           b << 12;
}

bool refusal(Action a) {
    return a == Action::Reject || a == Action::Tempfail;
}

}  // namespace

PolicyMetrics::PolicyMetrics(const policy::Policy& policy,
                             std::shared_ptr<Family<Counter>> decisions,
                             std::shared_ptr<Family<Counter>> monitor,
                             std::vector<FrontEnd> front_ends)
    : decisions_(std::move(decisions)), monitor_(std::move(monitor)) {
    rules_.reserve(policy.rules.size() + 1);
    rules_.push_back(std::make_unique<RuleSeries>(std::string(1, '-')));
    by_name_.reserve(policy.rules.size());
    for (const auto& rule : policy.rules) {
        rules_.push_back(std::make_unique<RuleSeries>(rule.name));
        by_name_.emplace(rules_.back()->name, rules_.back().get());
    }
    // The series each rule most likely counts into, at zero from the start:
    // rate() works from the first scrape and the milter path finds them cached.
    const policy::Transaction empty;
    const policy::RuleEvaluator ev(policy, empty);
    for (FrontEnd fe : front_ends) {
        // Messages passing: at end of data, or where the front end settles
        // them early (after MAIL or DATA, Session::settled).
        for (Stage at : {Stage::Mail, Stage::Data, Stage::EndOfData})
            series(*rules_[0], false, fe, Action::Accept, at, {});
        for (std::size_t i = 0; i < policy.rules.size(); ++i) {
            const policy::Rule& rule = policy.rules[i];
            if (rule.action == Action::Continue) continue;
            const Stage at =
                policy::delivery_stage(policy.settings, false, rule.stage, rule.action);
            policy::Decision d;
            d.index = i;
            d.action = rule.action;
            d.decided_at = rule.stage;
            const codes::Reply reply = refusal(rule.action) ? ev.reply(d, at) : codes::Reply{};
            const bool monitored = rule.monitor || policy.settings.monitor;
            series(*rules_[i + 1], monitored, fe, rule.action, at, reply);
        }
    }
}

PolicyMetrics::RuleSeries& PolicyMetrics::find(std::string_view rule) const {
    if (!rule.empty()) {
        const auto it = by_name_.find(rule);
        if (it != by_name_.end()) return *it->second;
    }
    // "" is the engine; a name this policy does not have cannot come from its
    // verdicts, and counting it as "-" keeps the labels bounded regardless.
    return *rules_[0];
}

Counter& PolicyMetrics::series(RuleSeries& r, bool monitor, FrontEnd fe, Action action, Stage stage,
                               const codes::Reply& reply) const {
    // Monitor series have no stage label.
    const std::uint32_t key =
        pack(monitor, fe, action, monitor ? Stage::Connect : stage, reply.basic);
    const std::string_view enhanced = reply.basic ? std::string_view(reply.enhanced) : "";
    std::size_t n = r.used.load(std::memory_order_acquire);
    for (std::size_t i = 0; i < n; ++i)
        if (r.slots[i].key == key && r.slots[i].enhanced == enhanced) return *r.slots[i].counter;

    std::lock_guard lock(r.mu);
    n = r.used.load(std::memory_order_relaxed);
    for (std::size_t i = 0; i < n; ++i)
        if (r.slots[i].key == key && r.slots[i].enhanced == enhanced) return *r.slots[i].counter;
    const std::string code = reply.basic ? std::to_string(reply.basic) : std::string();
    const std::string_view fe_name = front_end_name(fe);
    const std::string_view act = policy::action_name(action);
    std::shared_ptr<Counter> c =
        monitor ? monitor_->get({fe_name, r.name, act, code, enhanced})
                : decisions_->get({fe_name, r.name, act, codes::stage_name(stage), code, enhanced});
    Counter* raw = c.get();
    bool held = false;
    for (const auto& o : r.owned) held = held || o.get() == raw;
    if (!held) r.owned.push_back(std::move(c));
    if (n < kSlots) {
        r.slots[n].key = key;
        r.slots[n].enhanced = std::string(enhanced);
        r.slots[n].counter = raw;
        r.used.store(n + 1, std::memory_order_release);
    }
    return *raw;
}

void PolicyMetrics::decision(FrontEnd fe, std::string_view rule, Action action, Stage stage,
                             const codes::Reply& reply) const {
    series(find(rule), false, fe, action, stage, reply).add();
}

void PolicyMetrics::would_be(FrontEnd fe, const policy::WouldBe& would) const {
    series(find(would.rule), true, fe, would.action, Stage::Connect, would.reply).add();
}

}  // namespace mv::observability
