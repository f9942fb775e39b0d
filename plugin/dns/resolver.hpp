// SPDX-License-Identifier: Apache-2.0
// resolver.hpp - the asynchronous resolver interface under the DNS service.
//
// resolve() starts one lookup and returns at once; `done` is called exactly
// once with the answer, or with Outcome::Timeout when none came by
// `deadline`, from the resolver's own thread (or from the caller's, inline,
// when the answer is known at once). UnboundResolver (libunbound) is the
// daemon's; TableResolver (table_resolver.hpp) answers from a table, for
// `simulate --dns-answer` and the unit tests.
//
// Errors: every failure is an Answer (TempFail, Timeout, Malformed); nothing
// throws from resolve().
//
// Thread contract: resolve() is safe from any thread, also from inside a
// `done` callback (chained lookups). The destructor completes every lookup
// still running (Outcome::TempFail, "resolver stopped") before it returns.
#pragma once

#include <functional>
#include <string>

#include "dns/answer.hpp"
#include "dns/clock.hpp"

namespace mv::dns {

class Resolver {
  public:
    using Done = std::function<void(Answer)>;
    virtual ~Resolver() = default;
    virtual void resolve(const Question& q, TimePoint deadline, Done done) = 0;
    // One line for the logs: "libunbound 1.17.1, forwarding to 127.0.0.1@5353".
    virtual std::string describe() const = 0;
    // Answers come at once, from a table (simulate): no latency to show.
    virtual bool instant() const { return false; }
};

}  // namespace mv::dns
