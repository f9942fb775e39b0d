// SPDX-License-Identifier: Apache-2.0
// service.hpp - the daemon's one DNS service: cache, shared lookups, zone health, counters.
//
// lookup(q, timeout) answers from the cache when it can; otherwise it joins a
// lookup of the same question already running (one query upstream however
// many connections ask at once) or starts one through the Resolver. The
// returned Lookup is shared: anyone may wait on it (wait_until) or chain a
// continuation on it (then), which runs once the answer is in - at once when
// it is already in, else on the resolver's thread, so it must be short and
// must not wait. A lookup ends by its deadline (start + timeout): a timeout
// is an answer like any other, never "not listed". Answers go into the cache
// before anyone sees them.
//
// Zone health (RFC 5782 section 5): check() asks a list zone for its test
// entries - 127.0.0.2 (IPv4), ::FFFF:7F00:2 (IPv6) or TEST (names) must be
// listed, 127.0.0.1, ::FFFF:7F00:1 or INVALID must not - and marks the zone
// unhealthy when it answers wrongly (it lists everything, it is gone, or it
// answers error codes), with one log line when the state changes. An
// unhealthy zone is skipped (usable() is false) until a later check passes;
// checks that time out leave the zone in use and are retried. usable() starts
// a check of a zone and key kind not checked within the last hour.
// note_error_answer() logs an error answer (127.255.255.x, outside 127/8)
// once per zone.
//
// Counters (stats()) for the logs and metrics: lookups sent upstream, cache
// hits, shared lookups, timeouts, failures; per zone: queries, listed, not
// listed, errors, timeouts, skipped; and the latency hiding the transactions
// report (note_wait): how long the answers rules needed took, and how much of
// that the rules waited - the rest ran while the client was still talking.
//
// Thread contract: every member is safe from any thread. The Service owns its
// Resolver alone (every lookup callback uses the Service): its destructor
// destroys the Resolver first, which completes every lookup still running
// while the Service is whole; lookup() answers "resolver stopped" from then
// on.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "dns/answer.hpp"
#include "dns/cache.hpp"
#include "dns/clock.hpp"
#include "dns/list_spec.hpp"
#include "dns/resolver.hpp"
#include "dns/zone_meter.hpp"

namespace mv::dns {

enum class Severity { Warning, Info };
using LogSink = std::function<void(Severity, const std::string&)>;

class Lookup {
  public:
    Lookup(Question q, TimePoint started, bool from_cache)
        : q_(std::move(q)), started_(started), cached_(from_cache) {}

    const Question& question() const { return q_; }
    bool done() const;
    // True when the answer is in, waiting at most until `until`.
    bool wait_until(TimePoint until) const;
    Answer answer() const;  // the answer; Timeout while not done
    bool from_cache() const { return cached_; }
    TimePoint started() const { return started_; }
    Clock::duration latency() const;  // answer time - start; 0 from the cache
    void then(std::function<void(const Answer&)> f);

    void complete(Answer a, TimePoint at);  // the Service's, once

  private:
    const Question q_;
    const TimePoint started_;
    const bool cached_;
    mutable std::mutex mu_;
    mutable std::condition_variable cv_;
    bool done_ = false;
    Answer answer_;
    TimePoint answered_{};
    std::vector<std::function<void(const Answer&)>> then_;
};

using LookupPtr = std::shared_ptr<Lookup>;

struct ZoneCounters {
    std::uint64_t queries = 0, listed = 0, not_listed = 0, errors = 0, timeouts = 0, skipped = 0;
};

struct Stats {
    std::uint64_t lookups = 0;  // sent upstream
    std::uint64_t cache_hits = 0;
    std::uint64_t shared = 0;  // joined a lookup already running
    std::uint64_t timeouts = 0, failures = 0;
    std::uint64_t answers_needed = 0;  // answers rules read (note_wait)
    std::uint64_t needed_us = 0;       // their lookup time
    std::uint64_t waited_us = 0;       // of which rules waited
    CacheCounters cache;
    std::map<std::string, ZoneCounters> zones;  // by the name shown (show_as)
    std::string summary() const;                // one line for the log
};

// How a zone is queried: the health test entries differ.
enum class ZoneKind { Ipv4, Ipv6, Name };
enum class Health { Unknown, Healthy, Unhealthy };

struct ServiceOptions {
    CacheOptions cache;
    Millis check_timeout{5000};
    std::chrono::seconds recheck{3600};
    std::chrono::seconds retry_failed_check{300};
    bool health_checks = true;  // off: every zone is usable (simulate's offline answers)
};

class Service {
  public:
    Service(std::unique_ptr<Resolver> resolver, ServiceOptions options, LogSink log = {},
            std::shared_ptr<const TimeSource> clock = std::make_shared<SteadyClock>());
    ~Service();
    Service(const Service&) = delete;
    Service& operator=(const Service&) = delete;

    LookupPtr lookup(const Question& q, Millis timeout);

    // Zone health. The end of each check is reported to the meters' zone
    // (metrics) when set_meters() gave some; a check that gets no answer is
    // a warning the first time in a row (the resolver may be unreachable).
    void set_meters(std::shared_ptr<ZoneMeters> meters) {
        std::lock_guard lock(mu_);
        meters_ = std::move(meters);
    }
    void check(const ZoneEntry& zone, ZoneKind kind);
    bool usable(const ZoneEntry& zone, ZoneKind kind);
    Health health(const std::string& zone, ZoneKind kind) const;
    void note_error_answer(const ZoneEntry& zone, const std::string& qname,
                           const std::string& record);

    void count_zone(const std::string& shown, std::uint64_t ZoneCounters::*field);
    void note_wait(Clock::duration latency, Clock::duration waited);
    Stats stats() const;
    std::string describe() const { return resolver_->describe(); }
    bool instant() const { return instant_; }
    void log(Severity s, const std::string& line) const {
        if (log_) log_(s, line);
    }

  private:
    struct ZoneState {
        Health health = Health::Unknown;
        bool checking = false;
        TimePoint checked{};
        std::string why;
        bool failed = false;  // the last check got no answer
    };
    void finish_check(const std::string& key, const std::string& shown, ZoneKind kind,
                      const Answer& listed, const Answer& unlisted);

    std::unique_ptr<Resolver> resolver_;
    const bool instant_;
    ServiceOptions options_;
    LogSink log_;
    std::shared_ptr<const TimeSource> clock_;
    Cache cache_;

    mutable std::mutex mu_;
    std::unordered_map<std::string, std::weak_ptr<Lookup>> running_;
    std::unordered_map<std::string, ZoneState> zones_;   // "kind zone"
    std::map<std::string, ZoneCounters> zone_counters_;  // bounded by the zones configured
    std::unordered_set<std::string> error_logged_;       // zones whose error answer was logged
    std::shared_ptr<ZoneMeters> meters_;

    std::atomic<bool> stopping_{false};
    std::atomic<std::uint64_t> lookups_{0}, shared_{0}, timeouts_{0}, failures_{0};
    std::atomic<std::uint64_t> needed_{0}, needed_us_{0}, waited_us_{0};
};

// The test names of RFC 5782 section 5 for a zone: {listed, not listed}.
std::pair<std::string, std::string> test_names(const std::string& zone, ZoneKind kind);

}  // namespace mv::dns
