// SPDX-License-Identifier: Apache-2.0
// state_owner.hpp - the daemon's state store, kept across policy reloads.
//
// adopt(policy) gives a policy's stateful rules their store before the policy
// is installed: the current store when the policy's `state` settings equal
// the ones it was opened with (counters and greylist passes survive a
// reload), else a new one (the old one is flushed first, so an embedded
// store's file carries the state over when only, say, max_entries changed).
// A policy without rate_limit or greylist rules gets nothing, and no store is
// opened for it. stop() flushes the store at SIGTERM.
//
// With metrics (set_metrics), the policies get the store wrapped so that its
// operations are counted (observability/store_metrics.hpp); store() is the
// store itself.
//
// Errors: opening never fails (a corrupt state file is moved aside, an
// unreachable Redis is retried per operation); what is worth knowing is
// logged. A failed flush is logged as an error.
//
// Thread contract: adopt() and stop() from one thread at a time (start-up,
// then the reload thread); the store itself is used by the workers.
#pragma once

#include <memory>

#include "milter/logger.hpp"
#include "observability/metrics.hpp"
#include "policy/policy.hpp"
#include "state/clock.hpp"
#include "state/store.hpp"

namespace mv::milter {

class StateOwner {
  public:
    explicit StateOwner(Logger& log, std::shared_ptr<const state::Clock> clock =
                                         std::make_shared<state::SystemClock>())
        : log_(log), clock_(std::move(clock)) {}
    ~StateOwner() { stop(); }
    StateOwner(const StateOwner&) = delete;
    StateOwner& operator=(const StateOwner&) = delete;

    // Before the first adopt(): count the store's operations into `metrics`.
    void set_metrics(observability::Metrics* metrics) { metrics_ = metrics; }
    void adopt(const policy::Policy& policy);
    void stop();

    std::shared_ptr<state::Store> store() const { return store_; }

  private:
    Logger& log_;
    std::shared_ptr<const state::Clock> clock_;
    std::shared_ptr<state::Store> store_;
    std::shared_ptr<state::Store> attached_;  // store_, or store_ counted by metrics_
    state::StateSettings settings_;
    observability::Metrics* metrics_ = nullptr;
};

}  // namespace mv::milter
