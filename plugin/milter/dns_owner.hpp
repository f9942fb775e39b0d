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
// adopt() is prepare() then commit(): prepare() builds what the policy needs
// (a new resolver and Service when its settings changed) and changes
// nothing; commit() switches to it. A reload prepares the resolver before it
// switches anything else (daemon.cpp), so that a resolver that cannot be set
// up leaves the running policy, state store and resolver all untouched.
//
// Errors: prepare() (and adopt()) returns nullopt (false), after logging why,
// when libunbound refuses the settings (an unreadable resolv.conf, a bad
// address); the daemon then refuses to start, and a reload keeps everything
// in force.
//
// Thread contract: adopt() and stop() from one thread at a time (start-up,
// then the reload thread); the service itself is used by the workers.
#pragma once

#include <memory>
#include <optional>

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
    struct Prepared {
        std::shared_ptr<dns::Service> fresh;  // null: keep the running service (or none needed)
    };
    std::optional<Prepared> prepare(const policy::Policy& policy) const;
    void commit(const policy::Policy& policy, Prepared prepared);
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
