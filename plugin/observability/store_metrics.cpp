// SPDX-License-Identifier: Apache-2.0
// store_metrics.cpp - see store_metrics.hpp.
#include "observability/store_metrics.hpp"

#include <chrono>

#include "state/memory_store.hpp"
#include "state/redis_store.hpp"

namespace mv::observability {

namespace {

template <typename R, typename F>
R counted(const StoreOpSeries& s, F&& call) {
    const auto started = std::chrono::steady_clock::now();
    R result = call();
    s.duration->observe(std::chrono::steady_clock::now() - started);
    s.operations->add();
    if (!result.ok()) s.errors->add();
    return result;
}

}  // namespace

std::string store_backend_name(const state::Store& store) {
    if (dynamic_cast<const state::MemoryStore*>(&store)) return "memory";
    if (dynamic_cast<const state::RedisStore*>(&store)) return "redis";
    return "other";
}

state::RateResult InstrumentedStore::rate(const state::RateRequest& request) {
    return counted<state::RateResult>(rate_, [&] { return inner_->rate(request); });
}

state::GreylistResult InstrumentedStore::greylist(const state::GreylistRequest& request) {
    return counted<state::GreylistResult>(greylist_, [&] { return inner_->greylist(request); });
}

}  // namespace mv::observability
