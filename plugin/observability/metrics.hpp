// SPDX-License-Identifier: Apache-2.0
// metrics.hpp - every metric the daemon exports, and the exposition.
//
// One Metrics object per process (the daemon creates it when `metrics` is
// set; with metrics off there is none and nothing is counted). It owns the
// families below, creates the fixed series at construction (per enabled
// front end, per stage), builds a PolicyMetrics for each policy loaded
// (adopt()) and renders the exposition for the HTTP endpoint (render()).
//
//   milter_verdict_build_info{version}                                gauge (OpenMetrics: info)
//   milter_verdict_decisions_total{front_end,rule,action,stage,code,enhanced}
//   milter_verdict_monitor_decisions_total{front_end,rule,action,code,enhanced}
//   milter_verdict_connections_total{front_end}, _connections_active{front_end}
//   milter_verdict_transactions_total{front_end}, _transactions_active{front_end}
//   milter_verdict_decision_duration_seconds{front_end,stage}         histogram (engine time)
//   milter_verdict_evidence_wait_seconds{front_end,stage,evidence}    histogram (state, dns)
//   milter_verdict_state_operations_total{backend,operation}, _state_errors_total{...}
//   milter_verdict_state_operation_duration_seconds{backend,operation} histogram
//   milter_verdict_state_memory_entries, _state_memory_max_entries, _state_memory_evictions_total
//   milter_verdict_state_redis_reconnects_total, _state_redis_connect_failures_total
//   milter_verdict_dns_lookups_total{zone}, _dns_cache_hits_total{zone},
//   milter_verdict_dns_timeouts_total{zone}, _dns_errors_total{zone},
//   milter_verdict_dns_zone_check_failures_total{zone}, _dns_zone_unhealthy{zone}
//   milter_verdict_policy_reloads_total{result}, _policy_last_reload_successful,
//   milter_verdict_policy_last_reload_success_timestamp_seconds,
//   milter_verdict_policy_rules, _policy_list_entries
//   process_cpu_seconds_total, process_resident_memory_bytes, process_virtual_memory_bytes,
//   process_open_fds, process_max_fds, process_start_time_seconds
//
// Every family is declared in every scrape (# HELP, # TYPE), with samples
// where there are any: the Redis ones only with a Redis store, the DNS ones
// for the list zones of the policies in use (dns_zone(), through
// dns_metrics.hpp when a policy is attached to the resolver). Adding a family: a member
// here, its construction in metrics.cpp and one write() line in render().
//
// Call order: construct; adopt(policy) before the policy is installed (and
// loaded() / reload_failed() after each load); binding(policy) when a
// connection starts (Recorder::open); instrument(store) when the state store
// is opened; render() from the HTTP threads.
//
// Thread contract: every member is safe from any thread. The milter path
// touches only series pointers (atomics); binding() takes a short mutex once
// per connection; render() runs one scrape at a time, so a flood of scrapes
// costs at most one core.
#pragma once

#include <array>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "codes/stage.hpp"
#include "observability/exposition.hpp"
#include "observability/front_end.hpp"
#include "observability/metric_family.hpp"
#include "observability/policy_metrics.hpp"
#include "policy/policy.hpp"
#include "state/store.hpp"

namespace mv::observability {

// The fixed series of one front end.
struct FrontEndSeries {
    FrontEnd front_end = FrontEnd::Milter;
    std::shared_ptr<Counter> connections_total;
    std::shared_ptr<Gauge> connections_active;
    std::shared_ptr<Counter> transactions_total;
    std::shared_ptr<Gauge> transactions_active;
    std::array<std::shared_ptr<Histogram>, codes::kStageCount> decision_duration;
    std::array<std::shared_ptr<Histogram>, codes::kStageCount> state_wait;
    std::array<std::shared_ptr<Histogram>, codes::kStageCount> dns_wait;
};

// The counters of one DNS zone (for the DNS checks: take them when the
// policy naming the zone is loaded, keep them as long as it is in use).
struct DnsZoneSeries {
    std::shared_ptr<Counter> lookups;
    std::shared_ptr<Counter> cache_hits;
    std::shared_ptr<Counter> timeouts;
    std::shared_ptr<Counter> errors;
    std::shared_ptr<Counter> check_failures;  // health checks without an answer or unhealthy
    std::shared_ptr<Gauge> unhealthy;         // 1 while the zone is skipped
};

class Metrics {
  public:
    struct Options {
        std::vector<FrontEnd> front_ends{FrontEnd::Milter};  // the ones this daemon runs
        std::string version;                                 // build_info
    };
    explicit Metrics(Options options);
    Metrics(const Metrics&) = delete;
    Metrics& operator=(const Metrics&) = delete;

    // nullptr when the front end is not enabled.
    std::shared_ptr<const FrontEndSeries> front_end(FrontEnd f) const;

    // The series of `policy`'s rules; call before installing the policy.
    std::shared_ptr<const PolicyMetrics> adopt(const policy::PolicyPtr& policy);
    // The PolicyMetrics adopt() built for `policy`, or nullptr (never adopted).
    std::shared_ptr<const PolicyMetrics> binding(const policy::PolicyPtr& policy) const;
    // A load (start or reload) succeeded with these counts / a reload failed.
    void loaded(const policy::Policy& policy, std::size_t list_entries, bool reload);
    void reload_failed();

    // The store wrapped so that its operations are counted; the gauges of
    // the memory store and the Redis counters are read from it at each scrape.
    std::shared_ptr<state::Store> instrument(std::shared_ptr<state::Store> store);

    std::shared_ptr<DnsZoneSeries> dns_zone(std::string_view zone);

    std::string render(ExpositionFormat format);

    // The version given in Options (build_info; the landing page names it).
    const std::string& version() const { return options_.version; }

  private:
    void purge_bindings();
    void write_state(ExpositionWriter& w);
    void write_process(ExpositionWriter& w) const;

    Options options_;
    std::array<std::shared_ptr<const FrontEndSeries>, kFrontEndCount> front_ends_{};

    std::shared_ptr<Family<Gauge>> build_info_;
    std::shared_ptr<Family<Counter>> decisions_;
    std::shared_ptr<Family<Counter>> monitor_;
    std::shared_ptr<Family<Counter>> connections_total_;
    std::shared_ptr<Family<Gauge>> connections_active_;
    std::shared_ptr<Family<Counter>> transactions_total_;
    std::shared_ptr<Family<Gauge>> transactions_active_;
    std::shared_ptr<Family<Histogram>> decision_duration_;
    std::shared_ptr<Family<Histogram>> evidence_wait_;
    std::shared_ptr<Family<Counter>> state_operations_;
    std::shared_ptr<Family<Counter>> state_errors_;
    std::shared_ptr<Family<Histogram>> state_duration_;
    std::shared_ptr<Family<Counter>> dns_lookups_;
    std::shared_ptr<Family<Counter>> dns_cache_hits_;
    std::shared_ptr<Family<Counter>> dns_timeouts_;
    std::shared_ptr<Family<Counter>> dns_errors_;
    std::shared_ptr<Family<Counter>> dns_check_failures_;
    std::shared_ptr<Family<Gauge>> dns_unhealthy_;
    std::shared_ptr<Family<Counter>> reloads_;
    std::shared_ptr<Family<Gauge>> last_reload_ok_;
    std::shared_ptr<Family<Gauge>> last_reload_time_;
    std::shared_ptr<Family<Gauge>> rules_;
    std::shared_ptr<Family<Gauge>> list_entries_;

    std::shared_ptr<Counter> reload_success_, reload_failure_;
    std::shared_ptr<Gauge> reload_ok_, reload_time_, rule_count_, list_count_;

    mutable std::mutex bind_mu_;
    struct Bound {
        const policy::Policy* policy;
        std::weak_ptr<const policy::Policy> alive;
        std::shared_ptr<const PolicyMetrics> metrics;
    };
    std::vector<Bound> bindings_;

    std::mutex store_mu_;
    std::weak_ptr<state::Store> store_;  // the inner store, for its gauges

    std::mutex scrape_mu_;  // one scrape at a time
};

}  // namespace mv::observability
