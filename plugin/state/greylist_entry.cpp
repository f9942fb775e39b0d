// SPDX-License-Identifier: Apache-2.0
// greylist_entry.cpp - greylisting decisions (see greylist_entry.hpp and store.hpp).
#include "state/greylist_entry.hpp"

namespace mv::state {

GreylistResult apply_greylist(TripletState& triplet, ClientState& client,
                              const GreylistRequest& request, std::int64_t now_ms) {
    const std::int64_t delay = request.delay.count();
    const std::int64_t expiry = request.expiry.count();
    const std::int64_t lifetime = request.pass_lifetime.count();
    const bool use_client = !request.client.empty() && request.client_after > 0;
    if (triplet.present && now_ms >= triplet.expires_ms) triplet = TripletState{};
    if (client.present && now_ms >= client.expires_ms) client = ClientState{};

    GreylistResult result;
    if (use_client && client.passes >= request.client_after) {
        client.expires_ms = now_ms + lifetime;
        result.outcome = GreylistOutcome::Whitelisted;
        return result;
    }
    if (triplet.present && triplet.passed) {
        triplet.expires_ms = now_ms + lifetime;
        result.outcome = GreylistOutcome::Passed;
        return result;
    }
    if (!triplet.present) {
        triplet = TripletState{true, false, now_ms, now_ms + expiry};
        result.outcome = GreylistOutcome::Deferred;
        result.remaining = Duration(delay);
        return result;
    }
    if (now_ms < triplet.first_ms + delay) {
        result.outcome = GreylistOutcome::Deferred;
        result.remaining = Duration(triplet.first_ms + delay - now_ms);
        return result;
    }
    // A retry after the delay, within the expiry: the triplet passes, and the
    // client earns one pass towards its own whitelisting.
    triplet.passed = true;
    triplet.expires_ms = now_ms + lifetime;
    if (use_client) {
        client.present = true;
        client.passes += 1;
        client.expires_ms = now_ms + lifetime;
    }
    result.outcome = GreylistOutcome::Passed;
    return result;
}

}  // namespace mv::state
