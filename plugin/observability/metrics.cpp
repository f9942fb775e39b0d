// SPDX-License-Identifier: Apache-2.0
// metrics.cpp - the families, their fixed series and the exposition (see metrics.hpp).
#include "observability/metrics.hpp"

#include <chrono>

#include "observability/process_stats.hpp"
#include "observability/store_metrics.hpp"
#include "state/memory_store.hpp"
#include "state/redis_store.hpp"

namespace mv::observability {

namespace {

using codes::Stage;

template <typename S>
std::shared_ptr<Family<S>> family(const char* name, const char* help, MetricKind kind,
                                  std::vector<std::string> labels, bool retire = false) {
    return std::make_shared<Family<S>>(name, help, kind, std::move(labels), retire);
}

std::int64_t now_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

Metrics::Metrics(Options options) : options_(std::move(options)) {
    build_info_ = family<Gauge>("milter_verdict_build_info",
                                "The version of milter-verdict running (value 1).",
                                MetricKind::Info, {"version"});
    decisions_ = family<Counter>(
        "milter_verdict_decisions_total",
        "Decisions delivered, by front end, rule (- for none), action, stage delivered, basic "
        "and enhanced code.",
        MetricKind::Counter, {"front_end", "rule", "action", "stage", "code", "enhanced"}, true);
    monitor_ = family<Counter>(
        "milter_verdict_monitor_decisions_total",
        "Decisions rules in monitor mode would have made (the mail went on), by rule.",
        MetricKind::Counter, {"front_end", "rule", "action", "code", "enhanced"}, true);
    connections_total_ = family<Counter>("milter_verdict_connections_total",
                                         "Connections from the MTA, by front end.",
                                         MetricKind::Counter, {"front_end"});
    connections_active_ = family<Gauge>("milter_verdict_connections_active",
                                        "Connections from the MTA open now, by front end.",
                                        MetricKind::Gauge, {"front_end"});
    transactions_total_ = family<Counter>("milter_verdict_transactions_total",
                                          "Transactions (MAIL FROM) seen, by front end.",
                                          MetricKind::Counter, {"front_end"});
    transactions_active_ = family<Gauge>(
        "milter_verdict_transactions_active",
        "Transactions between MAIL FROM and their end (end of data, abort, refusal) now.",
        MetricKind::Gauge, {"front_end"});
    decision_duration_ = family<Histogram>(
        "milter_verdict_decision_duration_seconds",
        "Time the policy engine took to evaluate a stage's rules, waits included.",
        MetricKind::Histogram, {"front_end", "stage"});
    evidence_wait_ = family<Histogram>(
        "milter_verdict_evidence_wait_seconds",
        "Time a stage's rules waited for evidence (state store, DNS), when they waited.",
        MetricKind::Histogram, {"front_end", "stage", "evidence"});
    state_operations_ = family<Counter>("milter_verdict_state_operations_total",
                                        "State store operations, by backend and operation.",
                                        MetricKind::Counter, {"backend", "operation"});
    state_errors_ = family<Counter>("milter_verdict_state_errors_total",
                                    "State store operations that failed, by backend and operation.",
                                    MetricKind::Counter, {"backend", "operation"});
    state_duration_ = family<Histogram>("milter_verdict_state_operation_duration_seconds",
                                        "Duration of state store operations.",
                                        MetricKind::Histogram, {"backend", "operation"});
    dns_lookups_ = family<Counter>("milter_verdict_dns_lookups_total", "DNS lookups, by zone.",
                                   MetricKind::Counter, {"zone"}, true);
    dns_cache_hits_ = family<Counter>("milter_verdict_dns_cache_hits_total",
                                      "DNS lookups answered from the cache, by zone.",
                                      MetricKind::Counter, {"zone"}, true);
    dns_timeouts_ =
        family<Counter>("milter_verdict_dns_timeouts_total", "DNS lookups that timed out, by zone.",
                        MetricKind::Counter, {"zone"}, true);
    dns_errors_ = family<Counter>(
        "milter_verdict_dns_errors_total",
        "DNS lookups that failed (SERVFAIL, network) or answered an error code, by zone.",
        MetricKind::Counter, {"zone"}, true);
    dns_check_failures_ = family<Counter>(
        "milter_verdict_dns_zone_check_failures_total",
        "RFC 5782 health checks of a zone that got no answer or found it unhealthy, by zone.",
        MetricKind::Counter, {"zone"}, true);
    dns_unhealthy_ = family<Gauge>(
        "milter_verdict_dns_zone_unhealthy",
        "1 while a zone is skipped because its health check found it unhealthy, by zone.",
        MetricKind::Gauge, {"zone"}, true);
    reloads_ =
        family<Counter>("milter_verdict_policy_reloads_total",
                        "Policy reloads (SIGUSR1), by result.", MetricKind::Counter, {"result"});
    last_reload_ok_ = family<Gauge>("milter_verdict_policy_last_reload_successful",
                                    "1 when the last load of the policy succeeded, else 0.",
                                    MetricKind::Gauge, {});
    last_reload_time_ = family<Gauge>(
        "milter_verdict_policy_last_reload_success_timestamp_seconds",
        "When the policy in force was loaded (start or reload), in seconds since the epoch.",
        MetricKind::Gauge, {});
    rules_ = family<Gauge>("milter_verdict_policy_rules", "Rules in the policy in force.",
                           MetricKind::Gauge, {});
    list_entries_ =
        family<Gauge>("milter_verdict_policy_list_entries",
                      "Entries in the lists of the policy in force.", MetricKind::Gauge, {});

    build_info_->get({options_.version})->set(1);
    reload_success_ = reloads_->get({"success"});
    reload_failure_ = reloads_->get({"failure"});
    reload_ok_ = last_reload_ok_->get({});
    reload_time_ = last_reload_time_->get({});
    rule_count_ = rules_->get({});
    list_count_ = list_entries_->get({});

    for (FrontEnd f : options_.front_ends) {
        auto s = std::make_shared<FrontEndSeries>();
        const std::string_view fe = front_end_name(f);
        s->front_end = f;
        s->connections_total = connections_total_->get({fe});
        s->connections_active = connections_active_->get({fe});
        s->transactions_total = transactions_total_->get({fe});
        s->transactions_active = transactions_active_->get({fe});
        for (int i = 0; i < codes::kStageCount; ++i) {
            const std::string_view stage = codes::stage_name(static_cast<Stage>(i));
            s->decision_duration[i] = decision_duration_->get({fe, stage}, latency_buckets());
            s->state_wait[i] = evidence_wait_->get({fe, stage, "state"}, latency_buckets());
            s->dns_wait[i] = evidence_wait_->get({fe, stage, "dns"}, latency_buckets());
        }
        front_ends_[static_cast<int>(f)] = std::move(s);
    }
}

std::shared_ptr<const FrontEndSeries> Metrics::front_end(FrontEnd f) const {
    return front_ends_[static_cast<int>(f)];
}

std::shared_ptr<const PolicyMetrics> Metrics::adopt(const policy::PolicyPtr& policy) {
    if (!policy) return nullptr;
    auto m =
        std::make_shared<const PolicyMetrics>(*policy, decisions_, monitor_, options_.front_ends);
    std::lock_guard lock(bind_mu_);
    std::erase_if(bindings_, [](const Bound& b) { return b.alive.expired(); });
    bindings_.push_back({policy.get(), policy, m});
    return m;
}

std::shared_ptr<const PolicyMetrics> Metrics::binding(const policy::PolicyPtr& policy) const {
    std::lock_guard lock(bind_mu_);
    // The caller holds `policy`, so an entry for its address that is still
    // alive is this very policy (not an earlier one freed at that address).
    for (const Bound& b : bindings_)
        if (b.policy == policy.get() && !b.alive.expired()) return b.metrics;
    return nullptr;
}

void Metrics::purge_bindings() {
    std::vector<Bound> gone;
    {
        std::lock_guard lock(bind_mu_);
        for (auto it = bindings_.begin(); it != bindings_.end();) {
            if (it->alive.expired()) {
                gone.push_back(std::move(*it));
                it = bindings_.erase(it);
            } else {
                ++it;
            }
        }
    }
    // `gone` is freed here, outside the lock: a large policy's series.
}

void Metrics::loaded(const policy::Policy& policy, std::size_t list_entries, bool reload) {
    if (reload) reload_success_->add();
    reload_ok_->set(1);
    reload_time_->set(now_seconds());
    rule_count_->set(static_cast<std::int64_t>(policy.rules.size()));
    list_count_->set(static_cast<std::int64_t>(list_entries));
}

void Metrics::reload_failed() {
    reload_failure_->add();
    reload_ok_->set(0);
}

std::shared_ptr<state::Store> Metrics::instrument(std::shared_ptr<state::Store> store) {
    if (!store) return store;
    const std::string backend = store_backend_name(*store);
    const auto op = [&](std::string_view operation) {
        return StoreOpSeries{state_operations_->get({backend, operation}),
                             state_errors_->get({backend, operation}),
                             state_duration_->get({backend, operation}, latency_buckets())};
    };
    {
        std::lock_guard lock(store_mu_);
        store_ = store;
    }
    return std::make_shared<InstrumentedStore>(store, op("rate"), op("greylist"));
}

std::shared_ptr<DnsZoneSeries> Metrics::dns_zone(std::string_view zone) {
    auto s = std::make_shared<DnsZoneSeries>();
    s->lookups = dns_lookups_->get({zone});
    s->cache_hits = dns_cache_hits_->get({zone});
    s->timeouts = dns_timeouts_->get({zone});
    s->errors = dns_errors_->get({zone});
    s->check_failures = dns_check_failures_->get({zone});
    s->unhealthy = dns_unhealthy_->get({zone});
    return s;
}

void Metrics::write_state(ExpositionWriter& w) {
    std::shared_ptr<state::Store> store;
    {
        std::lock_guard lock(store_mu_);
        store = store_.lock();
    }
    const auto* memory = dynamic_cast<const state::MemoryStore*>(store.get());
    const auto* redis = dynamic_cast<const state::RedisStore*>(store.get());
    w.family("milter_verdict_state_memory_entries", "Records in the embedded state store.",
             MetricKind::Gauge);
    if (memory)
        w.sample("milter_verdict_state_memory_entries", "", "",
                 static_cast<std::int64_t>(memory->size()));
    w.family("milter_verdict_state_memory_max_entries",
             "Records the embedded state store keeps at most (max_entries).", MetricKind::Gauge);
    if (memory)
        w.sample("milter_verdict_state_memory_max_entries", "", "",
                 static_cast<std::int64_t>(memory->options().max_entries));
    w.family("milter_verdict_state_memory_evictions_total",
             "Records the embedded store evicted to stay within max_entries.", MetricKind::Counter);
    if (memory)
        w.sample("milter_verdict_state_memory_evictions_total", "", "", memory->evictions());
    const state::RedisStore::Stats rs = redis ? redis->stats() : state::RedisStore::Stats{};
    w.family("milter_verdict_state_redis_reconnects_total",
             "Connections to Redis opened to replace one that was dropped.", MetricKind::Counter);
    if (redis) w.sample("milter_verdict_state_redis_reconnects_total", "", "", rs.reconnects);
    w.family("milter_verdict_state_redis_connect_failures_total",
             "Connection attempts to Redis that failed.", MetricKind::Counter);
    if (redis)
        w.sample("milter_verdict_state_redis_connect_failures_total", "", "", rs.connect_failures);
}

void Metrics::write_process(ExpositionWriter& w) const {
    const ProcessStats p = read_process_stats();
    const auto gauge = [&](const char* name, const char* help, std::int64_t v) {
        w.family(name, help, MetricKind::Gauge);
        if (v >= 0) w.sample(name, "", "", v);
    };
    w.family("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
             MetricKind::Counter);
    if (p.cpu_seconds >= 0) w.sample("process_cpu_seconds_total", "", "", p.cpu_seconds);
    gauge("process_resident_memory_bytes", "Resident memory size in bytes.", p.resident_bytes);
    gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", p.virtual_bytes);
    gauge("process_open_fds", "Number of open file descriptors.", p.open_fds);
    gauge("process_max_fds", "Maximum number of open file descriptors.", p.max_fds);
    w.family("process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
             MetricKind::Gauge);
    if (p.start_time_seconds >= 0)
        w.sample("process_start_time_seconds", "", "", p.start_time_seconds);
}

std::string Metrics::render(ExpositionFormat format) {
    std::lock_guard scrape(scrape_mu_);
    purge_bindings();
    ExpositionWriter w(format);
    build_info_->write(w);
    decisions_->write(w);
    monitor_->write(w);
    connections_total_->write(w);
    connections_active_->write(w);
    transactions_total_->write(w);
    transactions_active_->write(w);
    decision_duration_->write(w);
    evidence_wait_->write(w);
    state_operations_->write(w);
    state_errors_->write(w);
    state_duration_->write(w);
    write_state(w);
    dns_lookups_->write(w);
    dns_cache_hits_->write(w);
    dns_timeouts_->write(w);
    dns_errors_->write(w);
    reloads_->write(w);
    last_reload_ok_->write(w);
    last_reload_time_->write(w);
    rules_->write(w);
    list_entries_->write(w);
    write_process(w);
    return w.finish();
}

}  // namespace mv::observability
