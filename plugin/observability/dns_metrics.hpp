// SPDX-License-Identifier: Apache-2.0
// dns_metrics.hpp - the DNS evidence's zone meters on the metrics (dns/zone_meter.hpp).
//
// DnsZoneMeters gives each DNS list zone (by its shown name) a meter that
// adds to
//   milter_verdict_dns_lookups_total{zone}      every lookup a session asks of the zone
//   milter_verdict_dns_cache_hits_total{zone}   of which answered from the cache
//   milter_verdict_dns_timeouts_total{zone}     ended by the lookup timeout
//   milter_verdict_dns_errors_total{zone}       failed otherwise, or answered an error code
//   milter_verdict_dns_zone_check_failures_total{zone}  health checks without an answer or
//                                               finding the zone unhealthy
//   milter_verdict_dns_zone_unhealthy{zone}     1 while the zone is skipped
// through Metrics::dns_zone(). A meter holds its series: while a policy
// naming the zone is in use the series are exported (the families retire
// unused series), and a zone kept across a reload keeps its counts.
//
// Thread contract: zone() at policy load; the meters from any thread (atomics).
#pragma once

#include <memory>
#include <string_view>

#include "dns/zone_meter.hpp"
#include "observability/metrics.hpp"

namespace mv::observability {

class DnsZoneMeters final : public dns::ZoneMeters {
  public:
    explicit DnsZoneMeters(Metrics& metrics) : metrics_(metrics) {}
    std::shared_ptr<dns::ZoneMeter> zone(std::string_view shown) override;

  private:
    Metrics& metrics_;
};

}  // namespace mv::observability
