// SPDX-License-Identifier: Apache-2.0
// dns_owner.hpp - the daemon's DNS service (resolver, cache), kept across policy reloads.
//
// adopt(policy) gives a policy's DNS conditions their evidence before the
// policy is installed: the current Service when the policy's resolver
// settings equal the ones it was built with (the cache and the zone health
// survive a reload), else a new libunbound resolver and Service; then it
// starts the health checks of the policy's list zones (dns/evidence.hpp
// attach_dns); a reload that keeps the service logs its counters. A policy
// without DNS conditions gets nothing and no resolver is built for it.
// With set_meters() (the daemon, when metrics are on) each policy's list
// zones count their lookups into those meters (dns/zone_meter.hpp).
// stop() logs the DNS counters and lets the service go (connections still
// holding it keep it alive until they close).
//
// Errors: adopt() returns false, after logging why, when libunbound refuses
// the settings (an unreadable resolv.conf, a bad address); the daemon then
// refuses to start, and a reload keeps the policy in force.
//
// Thread contract: adopt() and stop() from one thread at a time (start-up,
// then the signal thread); the service itself is used by the workers.
#pragma once

#include <memory>

#include "dns/config.hpp"
#include "dns/service.hpp"
#include "dns/zone_meter.hpp"
#include "milter/logger.hpp"
#include "policy/policy.hpp"

namespace mv::milter {

class DnsOwner {
  public:
    explicit DnsOwner(Logger& log) : log_(log) {}
    ~DnsOwner() { stop(); }
    DnsOwner(const DnsOwner&) = delete;
    DnsOwner& operator=(const DnsOwner&) = delete;

    // Before the first adopt(): count the list zones' lookups into `meters`.
    void set_meters(std::shared_ptr<dns::ZoneMeters> meters) { meters_ = std::move(meters); }
    bool adopt(const policy::Policy& policy);
    void stop();
    std::shared_ptr<dns::Service> service() const { return service_; }

  private:
    Logger& log_;
    std::shared_ptr<dns::Service> service_;
    dns::ResolverSettings settings_;
    std::shared_ptr<dns::ZoneMeters> meters_;
};

}  // namespace mv::milter
