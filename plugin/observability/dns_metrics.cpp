// SPDX-License-Identifier: Apache-2.0
// dns_metrics.cpp - see dns_metrics.hpp.
#include "observability/dns_metrics.hpp"

namespace mv::observability {

namespace {

class SeriesMeter final : public dns::ZoneMeter {
  public:
    explicit SeriesMeter(std::shared_ptr<DnsZoneSeries> s) : s_(std::move(s)) {}
    void lookup(bool from_cache) override {
        s_->lookups->add();
        if (from_cache) s_->cache_hits->add();
    }
    void timeout() override { s_->timeouts->add(); }
    void error() override { s_->errors->add(); }
    void health(bool ok, bool unhealthy) override {
        if (!ok) s_->check_failures->add();
        s_->unhealthy->set(unhealthy ? 1 : 0);
    }

  private:
    std::shared_ptr<DnsZoneSeries> s_;
};

}  // namespace

std::shared_ptr<dns::ZoneMeter> DnsZoneMeters::zone(std::string_view shown) {
    return std::make_shared<SeriesMeter>(metrics_.dns_zone(shown));
}

}  // namespace mv::observability
