// SPDX-License-Identifier: Apache-2.0
// redis_scripts.hpp - the Lua scripts that make Redis updates atomic.
//
// Redis runs a script without interleaving any other command, so the read,
// the decision and the write of one rate() or greylist() call are one step
// for every daemon sharing the database. The scripts implement exactly the
// rules of rate_window.cpp and greylist_entry.cpp; times come from the
// calling host's Clock (so tests can inject one) and TTLs are set relative
// (PEXPIRE), so a host clock that is off shifts no key's lifetime.
//
// Calling convention:
//   rate:     KEYS = {rate key}; ARGV = {now_ms, cost, count_refused 0|1, n,
//             length_ms_1, limit_1, ..., length_ms_n, limit_n}
//             -> {allowed 0|1, exceeded index or -1, retry_after_ms, count_1..count_n}
//   greylist: KEYS = {triplet key, client key}; ARGV = {now_ms, delay_ms,
//             expiry_ms, lifetime_ms, client_after}
//             -> {outcome 0 deferred | 1 passed | 2 whitelisted, remaining_ms}
// Both keys of greylist must live on one server (no Redis Cluster).
//
// Thread contract: constants.
#pragma once

#include <string_view>

namespace mv::state {

extern const std::string_view kRateScript;
extern const std::string_view kGreylistScript;

}  // namespace mv::state
