// SPDX-License-Identifier: Apache-2.0
// store_metrics.hpp - the state store, counted and timed.
//
// InstrumentedStore wraps the daemon's store (state_owner.hpp attaches the
// wrapper to the policies' slots): every rate() and greylist() counts into
//   milter_verdict_state_operations_total{backend, operation}
//   milter_verdict_state_errors_total{backend, operation}      (result.error set)
//   milter_verdict_state_operation_duration_seconds{backend, operation}
// with backend "memory" or "redis" and operation "rate" or "greylist". The
// series are created with the wrapper, so the calls themselves only add to
// atomics. flush() and describe() are passed through unchanged.
//
// Thread contract: as state::Store (every member from any thread).
#pragma once

#include <memory>
#include <string>

#include "observability/metric_family.hpp"
#include "state/store.hpp"

namespace mv::observability {

struct StoreOpSeries {
    std::shared_ptr<Counter> operations;
    std::shared_ptr<Counter> errors;
    std::shared_ptr<Histogram> duration;
};

// "memory", "redis", or "other" for a store of another type (tests).
std::string store_backend_name(const state::Store& store);

class InstrumentedStore final : public state::Store {
  public:
    InstrumentedStore(std::shared_ptr<state::Store> inner, StoreOpSeries rate,
                      StoreOpSeries greylist)
        : inner_(std::move(inner)), rate_(std::move(rate)), greylist_(std::move(greylist)) {}

    state::RateResult rate(const state::RateRequest& request) override;
    state::GreylistResult greylist(const state::GreylistRequest& request) override;
    std::string flush() override { return inner_->flush(); }
    std::string describe() const override { return inner_->describe(); }

    const std::shared_ptr<state::Store>& inner() const { return inner_; }

  private:
    std::shared_ptr<state::Store> inner_;
    StoreOpSeries rate_;
    StoreOpSeries greylist_;
};

}  // namespace mv::observability
