// SPDX-License-Identifier: Apache-2.0
// policy_metrics.hpp - the decision series of one Policy's rules.
//
// Built by Metrics::adopt() when a policy is loaded, before it is installed:
// for every rule with a final action it creates (or finds again, when an
// earlier policy had a rule of that name) the series the rule will most
// likely count into, for each enabled front end:
//   milter_verdict_decisions_total{front_end, rule, action, stage, code, enhanced}
//     at the stage the rule's verdict is delivered (delay_reject moves
//     connect/HELO/MAIL refusals to RCPT) with the reply it sends there;
//   milter_verdict_monitor_decisions_total{front_end, rule, action, code, enhanced}
//     instead for a rule in monitor mode (its own, or the whole policy's).
// Plus rule="-" (no rule: the message passing at end of data or where the
// front end settles it early, at MAIL or DATA; the engine's own verdicts such
// as internal errors or too many recipients).
//
// Labels are bounded by construction: rule names come from the policy, the
// action and stage from enums, the codes from replies the loader validated
// against the registry (a rule has one reply; the defaults and the backend
// failure reply add a few per rule). Nothing a client sends becomes a label.
//
// decision() and would_be() find a rule by name in an immutable hash table,
// then its series in a small array of cached (key, counter) slots published
// with release/acquire: an increment is a hash lookup, a few compares and a
// relaxed atomic add. A label set not cached yet (a non-SMTP delivery stage,
// a backend failure reply) is created once under the rule's mutex and cached.
//
// Lifetime: each connection keeps the PolicyMetrics of the policy it pinned
// (Recorder::open); the series stay exported while any PolicyMetrics holds
// them (metric_family.hpp), so a rule that keeps its name across a reload
// keeps counting into the same series, and one removed by a reload stops
// being exported once the last connection on the old policy has closed.
//
// Thread contract: immutable after construction except for the slot caches;
// decision() and would_be() are safe from any thread.
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "codes/reply.hpp"
#include "codes/stage.hpp"
#include "observability/front_end.hpp"
#include "observability/metric_family.hpp"
#include "policy/policy.hpp"
#include "policy/verdict.hpp"

namespace mv::observability {

class PolicyMetrics {
  public:
    PolicyMetrics(const policy::Policy& policy, std::shared_ptr<Family<Counter>> decisions,
                  std::shared_ptr<Family<Counter>> monitor, std::vector<FrontEnd> front_ends);
    PolicyMetrics(const PolicyMetrics&) = delete;
    PolicyMetrics& operator=(const PolicyMetrics&) = delete;

    // A decision delivered at `stage`; rule "" is the engine's ("-").
    void decision(FrontEnd fe, std::string_view rule, policy::Action action, codes::Stage stage,
                  const codes::Reply& reply) const;
    // A monitor-mode rule's would-be decision.
    void would_be(FrontEnd fe, const policy::WouldBe& would) const;

    std::size_t rules() const { return rules_.size() - 1; }  // without "-"

  private:
    static constexpr std::size_t kSlots = 16;
    struct Slot {
        std::uint32_t key = 0;
        std::string enhanced;
        Counter* counter = nullptr;
    };
    struct RuleSeries {
        explicit RuleSeries(std::string n) : name(std::move(n)) {}
        std::string name;  // "-" for the engine
        std::array<Slot, kSlots> slots;
        std::atomic<std::size_t> used{0};
        std::mutex mu;                                // adding to slots / owned
        std::vector<std::shared_ptr<Counter>> owned;  // keeps the series exported
    };

    RuleSeries& find(std::string_view rule) const;
    Counter& series(RuleSeries& r, bool monitor, FrontEnd fe, policy::Action action,
                    codes::Stage stage, const codes::Reply& reply) const;

    std::shared_ptr<Family<Counter>> decisions_;
    std::shared_ptr<Family<Counter>> monitor_;
    std::vector<std::unique_ptr<RuleSeries>> rules_;  // [0] is "-"
    std::unordered_map<std::string_view, RuleSeries*> by_name_;
};

}  // namespace mv::observability
