// SPDX-License-Identifier: Apache-2.0
// rate_window.hpp - the fixed-window counting rule of store.hpp as a pure function.
//
// MemoryStore applies it under its shard lock; the Redis Lua script
// (redis_scripts.cpp) implements the same rule, and the unit tests check both
// against the same cases. Keeping it pure makes the arithmetic testable
// without a store or a clock.
//
// Thread contract: pure; the caller serialises access to the states.
#pragma once

#include <cstdint>
#include <vector>

#include "state/store.hpp"

namespace mv::state {

// One window's counter: when it opened and how many events it holds.
struct WindowState {
    std::int64_t length_ms = 0;
    std::int64_t start_ms = 0;
    std::uint64_t count = 0;
};

// Apply `request` at `now_ms` to `states` (matched to request.windows by
// length; states for other lengths are dropped, missing ones start empty).
// Returns the result and sets `expires_ms` to when the last window closes.
RateResult apply_rate(std::vector<WindowState>& states, const RateRequest& request,
                      std::int64_t now_ms, std::int64_t& expires_ms);

}  // namespace mv::state
