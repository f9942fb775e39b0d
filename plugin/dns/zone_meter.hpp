// SPDX-License-Identifier: Apache-2.0
// zone_meter.hpp - what the DNS evidence reports per list zone (for the metrics).
//
// The DNS evidence (evidence.hpp) counts, for each DNS list zone a policy
// names, the lookups its sessions ask for and how they end, through this
// interface: plugin/dns knows nothing of the exposition. The daemon gives
// attach_dns() a ZoneMeters when metrics are on (observability/dns_metrics.hpp
// builds them on milter_verdict_dns_*_total{zone}); without one nothing is
// counted.
//
// What is counted, per zone by the name shown (show_as, never a secret key):
//   lookup(from_cache)  each question (A of a listing, TXT of a hit) a session
//                       asks of the zone, once per session and query name,
//                       whether or not a rule then reads the answer;
//                       from_cache: answered from the daemon's cache at once
//   timeout()           one of those lookups ended by its timeout_ms
//   error()             one ended in a failure that is not a timeout
//                       (SERVFAIL, REFUSED, network, a malformed answer) or
//                       answered an error code (127.255.255.0/24, outside
//                       127.0.0.0/8: RFC 5782 2.3), never a listing
//   health(ok, unhealthy) each RFC 5782 health check of the zone as it ends:
//                       ok false when it failed (no answer: the resolver or
//                       the list server unreachable) or found the zone
//                       unhealthy; unhealthy: the zone is skipped now
// The lookups of the health checks themselves are not counted as lookups.
//
// Thread contract: ZoneMeters::zone() at policy load (one thread); a
// ZoneMeter from any thread (the resolver's included), without blocking.
#pragma once

#include <memory>
#include <string_view>

namespace mv::dns {

class ZoneMeter {
  public:
    virtual ~ZoneMeter() = default;
    virtual void lookup(bool from_cache) = 0;
    virtual void timeout() = 0;
    virtual void error() = 0;
    virtual void health(bool ok, bool unhealthy) {
        (void)ok;
        (void)unhealthy;
    }
};

class ZoneMeters {
  public:
    virtual ~ZoneMeters() = default;
    // The meter of a zone by its shown name; kept as long as a policy that
    // names the zone is in use (that keeps its series exported).
    virtual std::shared_ptr<ZoneMeter> zone(std::string_view shown) = 0;
};

}  // namespace mv::dns
