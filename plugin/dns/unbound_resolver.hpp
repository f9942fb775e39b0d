// SPDX-License-Identifier: Apache-2.0
// unbound_resolver.hpp - the daemon's resolver: libunbound, on a thread of its own.
//
// Why libunbound (libunbound-dev): an asynchronous API (ub_resolve_async with
// a file descriptor to poll), its own packet parsing, retries and server
// selection, a bounded cache, forwarding and stub zones (a local rbldnsd for
// the lists, the system resolver for the rest) in a packaged library; c-ares
// 1.18 has no cache and no stub zones.
//
// create() builds the context: upstream = the nameservers of resolv_conf, or
// `forward` ("ADDR" or "ADDR@PORT"), plus stub zones; iterator module only
// (no DNSSEC validation: list answers are not signed), queries to loopback
// allowed (a local resolver is the usual upstream), no QNAME minimisation
// (one round trip per list lookup in a stub zone), and libunbound's own
// answers for private, documentation and .test names turned off (the
// upstream answers those too). libunbound's own cache keeps answers at most
// cache_max_ttl / cache_max_negative_ttl; with cache_entries = 0 it keeps
// none (cache-max-ttl 0: every lookup asks the server, with TTL 0). It
// returns null and an error for settings libunbound refuses.
//
// One thread owns the context: it takes new questions from a queue (woken by
// an eventfd), calls ub_resolve_async, polls ub_fd() and runs ub_process(),
// and cancels (ub_cancel) every lookup whose deadline passed, answering it
// Timeout. libunbound's own timeouts are longer than ours: ours decide. The
// result callback turns a ub_result into an Answer (answer.hpp): NOERROR with
// data -> Records (the RDATA parsed), without -> NoData, NXDOMAIN, anything
// else (SERVFAIL, REFUSED, bogus, a libunbound error) -> TempFail. The TTL is
// libunbound's (for negative answers the SOA's, RFC 2308).
//
// Thread contract: resolve() is safe from any thread; `done` runs on the
// resolver's thread (or inline after stop). The destructor stops the thread
// and answers every open lookup TempFail ("resolver stopped").
#pragma once

#include <memory>
#include <string>

#include "dns/config.hpp"
#include "dns/resolver.hpp"

namespace mv::dns {

class UnboundResolver final : public Resolver {
  public:
    static std::unique_ptr<UnboundResolver> create(const ResolverSettings& settings,
                                                   std::string& error);
    ~UnboundResolver() override;
    UnboundResolver(const UnboundResolver&) = delete;
    UnboundResolver& operator=(const UnboundResolver&) = delete;

    void resolve(const Question& q, TimePoint deadline, Done done) override;
    std::string describe() const override { return description_; }

    struct Impl;

  private:
    explicit UnboundResolver(std::unique_ptr<Impl> impl, std::string description);
    std::unique_ptr<Impl> impl_;
    std::string description_;
};

}  // namespace mv::dns
