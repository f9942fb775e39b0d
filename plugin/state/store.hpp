// SPDX-License-Identifier: Apache-2.0
// store.hpp - the state store behind rate limits and greylisting.
//
// Two operations, each atomic with respect to every other caller of the same
// store (and, for Redis, of every other daemon sharing the same database):
//
//  * rate(): count `cost` events for a key in one or more windows and say
//    whether a limit is exceeded. Windows are FIXED windows that open at the
//    first event counted for the key and last `length`; the next event after
//    a window closes opens a new one (postfwd's model). Counting is exact: N
//    concurrent callers against a limit L get exactly L acceptances. A burst
//    of up to 2L across a window boundary is possible; bound it with a second,
//    shorter window (several windows are checked and counted together). An
//    event is allowed when every window has room for `cost` more events; an
//    allowed event is counted in every window, a refused one only when
//    `count_refused` (a strict limit: a client that keeps trying stays out
//    until its window closes; a leaky limit counts only what was accepted).
//  * greylist(): look up and update a greylisting triplet (client network,
//    sender, recipient, built into a key by the caller). A new triplet is
//    deferred for `delay`; a retry after the delay and before `expiry` passes
//    and the triplet is remembered as passed for `pass_lifetime`, renewed on
//    each pass (auto-whitelisting). When `client` is set, a client that passed
//    `client_after` triplets passes everything for `pass_lifetime`.
//
// Entries carry a time to live (rate: end of the longest window; triplets:
// first-seen + expiry until passed, then the pass lifetime) and are removed
// when it ends.
//
// Errors are results: a backend failure (Redis down, timeout, a key over
// kMaxKey) comes back with `error` set, never as an exception; the rule turns
// it into Match::TempError and its on_backend_error decides.
//
// Thread contract: every member is safe to call from many threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "state/clock.hpp"

namespace mv::state {

// Keys are built from bounded network values; anything longer is refused.
inline constexpr std::size_t kMaxKey = 16384;
// At most this many windows on one rate key.
inline constexpr std::size_t kMaxWindows = 8;

struct Window {
    Duration length{0};       // > 0
    std::uint64_t limit = 0;  // events allowed per window
};

struct RateRequest {
    std::string key;              // namespaced by the caller (rule and key values)
    std::vector<Window> windows;  // 1..kMaxWindows, distinct lengths
    std::uint64_t cost = 1;       // events to count now; 0 = only look
    bool count_refused = false;   // strict limit: refused attempts count too
};

struct RateResult {
    std::string error;  // non-empty: backend failure, the rest is meaningless
    bool allowed = true;
    int exceeded = -1;                  // refused: index of the window with the longest wait
    Duration retry_after{0};            // refused: until that window closes
    std::vector<std::uint64_t> counts;  // per window, after this call

    bool ok() const { return error.empty(); }
};

struct GreylistRequest {
    std::string triplet;             // key of the triplet (namespaced by the caller)
    std::string client;              // key of the client for client whitelisting; "" = none
    Duration delay{0};               // a new triplet is deferred this long
    Duration expiry{0};              // a deferred triplet not retried within this is forgotten
    Duration pass_lifetime{0};       // passed triplets / clients are remembered this long
    std::uint32_t client_after = 0;  // passed triplets that whitelist the client; 0 = never
};

enum class GreylistOutcome {
    Deferred,     // new, or retried too early
    Passed,       // retried after the delay, or a remembered pass
    Whitelisted,  // the client is auto-whitelisted
};

struct GreylistResult {
    std::string error;  // non-empty: backend failure, the rest is meaningless
    GreylistOutcome outcome = GreylistOutcome::Deferred;
    Duration remaining{0};  // Deferred: time until a retry passes

    bool ok() const { return error.empty(); }
    bool passes() const { return ok() && outcome != GreylistOutcome::Deferred; }
};

// A request's shape problems ("" when fine); both stores refuse such requests.
std::string check_request(const RateRequest& r);
std::string check_request(const GreylistRequest& r);

class Store {
  public:
    virtual ~Store() = default;
    virtual RateResult rate(const RateRequest& request) = 0;
    virtual GreylistResult greylist(const GreylistRequest& request) = 0;
    // Persist what must survive a restart now; "" on success, else the error.
    virtual std::string flush() = 0;
    // One line for logs and simulate: "memory, 12 entries, file /var/lib/...".
    virtual std::string describe() const = 0;
};

}  // namespace mv::state
