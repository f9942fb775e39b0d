// SPDX-License-Identifier: Apache-2.0
// greylist_entry.hpp - the greylisting rule of store.hpp as a pure function.
//
// MemoryStore applies it under its shard locks; the Redis Lua script
// (redis_scripts.cpp) implements the same rule.
//
// A triplet is either absent, pending (first seen at `first_ms`, deferred
// until first + delay, forgotten at first + expiry) or passed (remembered
// until `expires_ms`, renewed on each pass). A client record counts the
// triplets its client passed; at `client_after` it whitelists the client
// until its `expires_ms`, renewed on each use.
//
// Thread contract: pure; the caller serialises access to the entries.
#pragma once

#include <cstdint>

#include "state/store.hpp"

namespace mv::state {

struct TripletState {
    bool present = false;
    bool passed = false;
    std::int64_t first_ms = 0;
    std::int64_t expires_ms = 0;
};

struct ClientState {
    bool present = false;
    std::uint64_t passes = 0;
    std::int64_t expires_ms = 0;
};

// Apply `request` at `now_ms`; updates both states (the client state is
// ignored when request.client is empty). Expired states count as absent.
GreylistResult apply_greylist(TripletState& triplet, ClientState& client,
                              const GreylistRequest& request, std::int64_t now_ms);

}  // namespace mv::state
