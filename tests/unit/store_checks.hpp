// SPDX-License-Identifier: Apache-2.0
// store_checks.hpp - checks every Store must pass, shared by the memory and Redis fixtures.
//
// Each returns a description of the first failure, or "" when the store
// behaved; the fixtures assert on it so one behaviour is written once.
#pragma once

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "state/clock.hpp"
#include "state/store.hpp"

namespace mv::state::testing {

// `threads` threads each try `attempts` events against one limit; exactly
// `limit` must be allowed, whatever the interleaving.
inline std::string check_concurrent_limit(Store& store, const std::string& key, int threads,
                                          int attempts, std::uint64_t limit) {
    std::atomic<int> allowed{0}, errors{0};
    std::atomic<bool> go{false};
    std::string first_error;
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&] {
            while (!go.load()) std::this_thread::yield();
            RateRequest req;
            req.key = key;
            req.windows = {{std::chrono::hours(1), limit}};
            for (int i = 0; i < attempts; ++i) {
                const RateResult r = store.rate(req);
                if (!r.ok()) {
                    errors.fetch_add(1);
                } else if (r.allowed) {
                    allowed.fetch_add(1);
                }
            }
        });
    }
    go.store(true);
    for (auto& th : pool) th.join();
    if (errors.load() != 0) return std::to_string(errors.load()) + " backend errors";
    if (static_cast<std::uint64_t>(allowed.load()) != limit)
        return "allowed " + std::to_string(allowed.load()) + ", limit " + std::to_string(limit);
    return {};
}

// The greylisting life cycle against a store driven by `clock`.
inline std::string check_greylist_cycle(Store& store, FakeClock& clock, const std::string& key) {
    using namespace std::chrono_literals;
    GreylistRequest req;
    req.triplet = key;
    req.delay = 300s;
    req.expiry = 3600s;
    req.pass_lifetime = 86400s;
    GreylistResult r = store.greylist(req);
    if (!r.ok()) return r.error;
    if (r.outcome != GreylistOutcome::Deferred || r.remaining != 300s) return "new not deferred";
    clock.advance(100s);
    r = store.greylist(req);
    if (r.outcome != GreylistOutcome::Deferred || r.remaining != 200s)
        return "early retry: remaining " + std::to_string(r.remaining.count());
    clock.advance(200s);
    r = store.greylist(req);
    if (r.outcome != GreylistOutcome::Passed) return "retry after delay did not pass";
    clock.advance(80000s);
    if (store.greylist(req).outcome != GreylistOutcome::Passed) return "pass not remembered";
    return {};
}

}  // namespace mv::state::testing
