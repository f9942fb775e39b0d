// SPDX-License-Identifier: Apache-2.0
// dns_owner.cpp - build, keep and report the daemon's DNS service (dns_owner.hpp).
#include "milter/dns_owner.hpp"

#include "dns/evidence.hpp"
#include "dns/unbound_resolver.hpp"

namespace mv::milter {

std::optional<DnsOwner::Prepared> DnsOwner::prepare(const policy::Policy& policy) const {
    Prepared p;
    if (!policy.dns_slot->needed() || !policy.dns) return p;
    const dns::Config& cfg = *policy.dns;
    if (service_ && cfg.resolver == settings_) return p;  // kept: commit() attaches it
    std::string error;
    std::unique_ptr<dns::Resolver> resolver = dns::UnboundResolver::create(cfg.resolver, error);
    if (!resolver) {
        log_.log(LogLevel::Error, "dns: " + error);
        return std::nullopt;
    }
    Logger& log = log_;
    p.fresh = std::make_shared<dns::Service>(
        std::move(resolver), dns::service_options(cfg),
        [&log](dns::Severity s, const std::string& line) {
            log.log(s == dns::Severity::Warning ? LogLevel::Warning : LogLevel::Info, line);
        });
    return p;
}

void DnsOwner::commit(const policy::Policy& policy, Prepared prepared) {
    if (!policy.dns_slot->needed() || !policy.dns) return;
    const dns::Config& cfg = *policy.dns;
    if (!prepared.fresh) {
        // A reload that keeps the service says what it did so far.
        if (service_) log_.log(LogLevel::Info, service_->stats().summary());
    } else {
        if (service_) {
            log_.log(LogLevel::Info, "dns settings changed: a new resolver and cache");
            stop();
        }
        service_ = std::move(prepared.fresh);
        settings_ = cfg.resolver;
        log_.log(LogLevel::Info, "dns: " + service_->describe() + "; lookups time out after " +
                                     std::to_string(cfg.timeout_ms) + " ms, rules wait at most " +
                                     std::to_string(cfg.budget_ms) + " ms per transaction");
        // Is anyone there? One question any resolver answers (the root's A:
        // no data); no answer at all within 5 s is a warning, whatever the
        // rules (list zones are health-checked on their own below). An
        // answer of any kind, a refusal included, means it is reachable.
        const std::string described = service_->describe();
        service_->lookup(dns::Question{".", dns::RrType::A}, dns::Millis(5000))
            ->then([&log = log_, described](const dns::Answer& a) {
                if (a.outcome == dns::Outcome::Timeout)
                    log.log(LogLevel::Warning,
                            "dns: the resolver does not answer (" + described +
                                "): no answer within 5 s at start; DNS rules answer their "
                                "on_backend_error (or the policy's on_error) until it does");
            });
    }
    // Health checks report to the metrics too; attach_dns() starts them for
    // every list zone, so a resolver that does not answer at start is a
    // warning in the log at once (Service::finish_check).
    if (service_) service_->set_meters(meters_);
    dns::attach_dns(policy, service_, meters_.get());
}

bool DnsOwner::adopt(const policy::Policy& policy) {
    auto prepared = prepare(policy);
    if (!prepared) return false;
    commit(policy, std::move(*prepared));
    return true;
}

void DnsOwner::stop() {
    if (!service_) return;
    const dns::Stats s = service_->stats();
    log_.log(LogLevel::Info, s.summary());
    for (const auto& [zone, c] : s.zones)
        log_.log(LogLevel::Info, "dns: zone " + zone + ": queries=" + std::to_string(c.queries) +
                                     " listed=" + std::to_string(c.listed) +
                                     " not_listed=" + std::to_string(c.not_listed) +
                                     " errors=" + std::to_string(c.errors) +
                                     " timeouts=" + std::to_string(c.timeouts) +
                                     " skipped=" + std::to_string(c.skipped));
    service_.reset();
}

}  // namespace mv::milter
