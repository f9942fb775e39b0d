// SPDX-License-Identifier: Apache-2.0
// store.cpp - request checks shared by every Store (see store.hpp).
#include "state/store.hpp"

#include <set>

namespace mv::state {

std::string check_request(const RateRequest& r) {
    if (r.key.empty()) return "rate limit key is empty";
    if (r.key.size() > kMaxKey) return "rate limit key longer than " + std::to_string(kMaxKey);
    if (r.windows.empty()) return "rate limit without a window";
    if (r.windows.size() > kMaxWindows)
        return "rate limit with more than " + std::to_string(kMaxWindows) + " windows";
    std::set<std::int64_t> lengths;
    for (const Window& w : r.windows) {
        if (w.length.count() <= 0) return "rate limit window length must be positive";
        if (!lengths.insert(w.length.count()).second)
            return "rate limit windows must have distinct lengths";
    }
    return {};
}

std::string check_request(const GreylistRequest& r) {
    if (r.triplet.empty()) return "greylist triplet key is empty";
    if (r.triplet.size() > kMaxKey || r.client.size() > kMaxKey)
        return "greylist key longer than " + std::to_string(kMaxKey);
    if (r.delay.count() < 0) return "greylist delay is negative";
    if (r.expiry <= r.delay) return "greylist expiry must be longer than the delay";
    if (r.pass_lifetime.count() <= 0) return "greylist pass lifetime must be positive";
    return {};
}

}  // namespace mv::state
