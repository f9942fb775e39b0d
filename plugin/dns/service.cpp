// SPDX-License-Identifier: Apache-2.0
// service.cpp - shared lookups, cache, zone health and counters (service.hpp).
#include "dns/service.hpp"

#include "dns/names.hpp"

namespace mv::dns {

namespace {

std::string_view kind_name(ZoneKind k) {
    switch (k) {
        case ZoneKind::Ipv4:
            return "IPv4";
        case ZoneKind::Ipv6:
            return "IPv6";
        case ZoneKind::Name:
            return "domain";
    }
    return "?";
}

std::string zone_key(const std::string& zone, ZoneKind kind) {
    return std::string(kind_name(kind)) + " " + zone;
}

std::uint64_t micros(Clock::duration d) {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
    return us > 0 ? static_cast<std::uint64_t>(us) : 0;
}

// The nibble form of an IPv6 address given as 16 bytes (no IPv4 mapping:
// RFC 5782 tests the IPv4-mapped addresses in their IPv6 form).
std::string nibbles(const std::array<std::uint8_t, 16>& b) {
    static const char kHex[] = "0123456789abcdef";
    std::string out;
    for (int i = 15; i >= 0; --i) {
        out += kHex[b[i] & 0xf];
        out += '.';
        out += kHex[b[i] >> 4];
        if (i) out += '.';
    }
    return out;
}

}  // namespace

bool Lookup::done() const {
    std::lock_guard lock(mu_);
    return done_;
}

bool Lookup::wait_until(TimePoint until) const {
    std::unique_lock lock(mu_);
    return cv_.wait_until(lock, until, [&] { return done_; });
}

Answer Lookup::answer() const {
    std::lock_guard lock(mu_);
    if (done_) return answer_;
    Answer a;
    a.outcome = Outcome::Timeout;
    return a;
}

Clock::duration Lookup::latency() const {
    std::lock_guard lock(mu_);
    if (cached_ || !done_) return Clock::duration::zero();
    return answered_ - started_;
}

void Lookup::then(std::function<void(const Answer&)> f) {
    std::unique_lock lock(mu_);
    if (!done_) {
        then_.push_back(std::move(f));
        return;
    }
    const Answer a = answer_;
    lock.unlock();
    f(a);
}

void Lookup::complete(Answer a, TimePoint at) {
    std::vector<std::function<void(const Answer&)>> run;
    {
        std::lock_guard lock(mu_);
        if (done_) return;
        done_ = true;
        answer_ = std::move(a);
        answered_ = at;
        run.swap(then_);
    }
    cv_.notify_all();
    for (auto& f : run) f(answer_);  // answer_ no longer changes once done_
}

std::pair<std::string, std::string> test_names(const std::string& zone, ZoneKind kind) {
    switch (kind) {
        case ZoneKind::Ipv4:
            return {"2.0.0.127." + zone, "1.0.0.127." + zone};
        case ZoneKind::Ipv6: {
            std::array<std::uint8_t, 16> b{};
            b[10] = b[11] = 0xff;
            b[12] = 0x7f;
            b[15] = 2;
            const std::string listed = nibbles(b) + "." + zone;
            b[15] = 1;
            return {listed, nibbles(b) + "." + zone};
        }
        case ZoneKind::Name:
            return {"test." + zone, "invalid." + zone};
    }
    return {};
}

Service::Service(std::unique_ptr<Resolver> resolver, ServiceOptions options, LogSink log,
                 std::shared_ptr<const TimeSource> clock)
    : resolver_(std::move(resolver)),
      instant_(resolver_->instant()),
      options_(options),
      log_(std::move(log)),
      clock_(std::move(clock)),
      cache_(options.cache, clock_) {}

Service::~Service() {
    // Completes every running lookup; their continuations may still call
    // lookup(), which answers "resolver stopped" from now on.
    stopping_ = true;
    std::unique_ptr<Resolver> r = std::move(resolver_);
    r.reset();
}

LookupPtr Service::lookup(const Question& q, Millis timeout) {
    const TimePoint now = clock_->now();
    if (stopping_) {
        auto l = std::make_shared<Lookup>(q, now, false);
        Answer a;
        a.outcome = Outcome::TempFail;
        a.error = "resolver stopped";
        l->complete(std::move(a), now);
        return l;
    }
    if (auto a = cache_.get(q)) {
        auto l = std::make_shared<Lookup>(q, now, true);
        l->complete(std::move(*a), now);
        return l;
    }
    const std::string key = q.key();
    LookupPtr l;
    {
        std::lock_guard lock(mu_);
        if (auto it = running_.find(key); it != running_.end()) {
            if (auto existing = it->second.lock()) {
                ++shared_;
                return existing;
            }
        }
        l = std::make_shared<Lookup>(q, now, false);
        running_[key] = l;
    }
    ++lookups_;
    // The callback holds the Lookup, so a lookup nobody waits for any more
    // still ends (and fills the cache) cleanly.
    resolver_->resolve(q, now + timeout, [this, l, key](Answer a) {
        if (a.outcome == Outcome::Timeout) ++timeouts_;
        if (a.outcome == Outcome::TempFail || a.outcome == Outcome::Malformed) ++failures_;
        cache_.put(l->question(), a);
        {
            std::lock_guard lock(mu_);
            auto it = running_.find(key);
            if (it != running_.end() && it->second.lock() == l) running_.erase(it);
        }
        l->complete(std::move(a), clock_->now());
    });
    return l;
}

Health Service::health(const std::string& zone, ZoneKind kind) const {
    std::lock_guard lock(mu_);
    const auto it = zones_.find(zone_key(zone, kind));
    return it == zones_.end() ? Health::Unknown : it->second.health;
}

void Service::check(const ZoneEntry& zone, ZoneKind kind) {
    if (!options_.health_checks) return;
    const std::string key = zone_key(zone.zone, kind);
    {
        std::lock_guard lock(mu_);
        ZoneState& st = zones_[key];
        if (st.checking) return;
        st.checking = true;
        st.checked = clock_->now();
    }
    const auto [listed_name, unlisted_name] = test_names(zone.zone, kind);
    auto listed = lookup({listed_name, RrType::A}, options_.check_timeout);
    auto unlisted = lookup({unlisted_name, RrType::A}, options_.check_timeout);
    const std::string shown = zone.show_as;
    // Whichever answer comes last finishes the check, once: when both are in
    // before the second then() (the cache, an instant resolver), both
    // callbacks see them done.
    auto finished = std::make_shared<std::atomic<bool>>(false);
    auto finish = [this, key, shown, kind, listed, unlisted, finished](const Answer&) {
        if (!listed->done() || !unlisted->done()) return;
        if (finished->exchange(true)) return;
        finish_check(key, shown, kind, listed->answer(), unlisted->answer());
    };
    listed->then(finish);
    unlisted->then(finish);
}

void Service::finish_check(const std::string& key, const std::string& shown, ZoneKind kind,
                           const Answer& listed, const Answer& unlisted) {
    Health h = Health::Healthy;
    std::string why;
    const bool failed = !listed.definite() || !unlisted.definite();
    ZoneEntry any;  // no filter: any answer in 127/8 is a listing
    bool error_codes = false;
    for (const auto& r : listed.records)
        if (classify(any, r) == RecordMeaning::Error) error_codes = true;
    for (const auto& r : unlisted.records)
        if (classify(any, r) == RecordMeaning::Error) error_codes = true;
    const auto [tl, tu] = test_names("", kind);
    if (failed) {
        h = Health::Unknown;
        why = "test lookups failed (" + listed.summary() + "; " + unlisted.summary() +
              "); the zone stays in use, checked again later";
    } else if (error_codes) {
        h = Health::Unhealthy;
        why = "its test entries answer error codes (" + listed.summary() + "; " +
              unlisted.summary() + "): a blocked public resolver or an exhausted quota";
    } else if (listed.outcome != Outcome::Records) {
        h = Health::Unhealthy;
        why = "the test entry that must be listed (" + tl.substr(0, tl.size() - 1) +
              ") is not: " + listed.summary();
    } else if (unlisted.outcome == Outcome::Records) {
        h = Health::Unhealthy;
        why = "the test entry that must not be listed (" + tu.substr(0, tu.size() - 1) +
              ") is listed (" + unlisted.summary() + "): the zone lists everything";
    }
    Health before;
    bool failed_before = false;
    std::shared_ptr<ZoneMeters> meters;
    Health now;
    {
        std::lock_guard lock(mu_);
        ZoneState& st = zones_[key];
        before = st.health;
        failed_before = st.failed;
        st.checking = false;
        st.checked = clock_->now();
        // A failed check says nothing new: keep what we knew.
        if (h != Health::Unknown) st.health = h;
        st.failed = failed;
        st.why = why;
        now = st.health;
        meters = meters_;
    }
    if (meters)
        if (auto m = meters->zone(shown)) m->health(h == Health::Healthy, now == Health::Unhealthy);
    const std::string zone = shown + " (" + std::string(kind_name(kind)) + ")";
    if (failed && !failed_before) {
        // No answer for the test entries: the resolver (or the list's
        // server) does not answer; every rule on the zone then fails.
        log(Severity::Warning, "dns: zone " + zone + ": health check got no answer: " + why +
                                   " (is the resolver reachable?)");
        return;
    }
    if (h == Health::Unhealthy && before != Health::Unhealthy)
        log(Severity::Warning,
            "dns: zone " + zone + " is unhealthy and skipped: " + why + " (RFC 5782 5)");
    else if (h == Health::Healthy && before == Health::Unhealthy)
        log(Severity::Info, "dns: zone " + zone + " answers its test entries again; in use");
    else if (h == Health::Unknown && before == Health::Unknown)
        log(Severity::Info, "dns: zone " + zone + ": " + why);
}

bool Service::usable(const ZoneEntry& zone, ZoneKind kind) {
    if (!zone.check || !options_.health_checks) return true;
    const std::string key = zone_key(zone.zone, kind);
    bool start = false;
    Health h;
    {
        std::lock_guard lock(mu_);
        auto it = zones_.find(key);
        const TimePoint now = clock_->now();
        if (it == zones_.end()) {
            start = true;
            h = Health::Unknown;
        } else {
            const auto& st = it->second;
            h = st.health;
            const auto again =
                st.health == Health::Unknown ? options_.retry_failed_check : options_.recheck;
            start = !st.checking && now - st.checked >= again;
        }
    }
    if (start) check(zone, kind);
    return h != Health::Unhealthy;
}

void Service::note_error_answer(const ZoneEntry& zone, const std::string& qname,
                                const std::string& record) {
    {
        std::lock_guard lock(mu_);
        if (!error_logged_.insert(zone.zone).second) return;
    }
    // The query name holds the zone; for a secret zone show the public name.
    std::string q = qname;
    if (zone.show_as != zone.zone && q.size() >= zone.zone.size())
        q = q.substr(0, q.size() - zone.zone.size()) + zone.show_as;
    log(Severity::Warning, "dns: zone " + zone.show_as + " answered " + record + " for " + q +
                               ": an error code, not a listing; lookups of this zone count as "
                               "failures (logged once per zone)");
}

void Service::count_zone(const std::string& shown, std::uint64_t ZoneCounters::*field) {
    std::lock_guard lock(mu_);
    if (zone_counters_.size() >= 1024 && !zone_counters_.count(shown)) return;
    ++(zone_counters_[shown].*field);
}

void Service::note_wait(Clock::duration latency, Clock::duration waited) {
    ++needed_;
    needed_us_ += micros(latency);
    waited_us_ += micros(std::min(waited, latency));
}

Stats Service::stats() const {
    Stats s;
    s.lookups = lookups_;
    s.shared = shared_;
    s.timeouts = timeouts_;
    s.failures = failures_;
    s.answers_needed = needed_;
    s.needed_us = needed_us_;
    s.waited_us = waited_us_;
    s.cache = cache_.counters();
    s.cache_hits = s.cache.hits;
    std::lock_guard lock(mu_);
    s.zones = zone_counters_;
    return s;
}

std::string Stats::summary() const {
    const double needed_ms = needed_us / 1000.0, waited_ms = waited_us / 1000.0;
    char hidden[32];
    std::snprintf(hidden, sizeof hidden, "%.1f%%",
                  needed_us ? 100.0 * (1.0 - static_cast<double>(waited_us) / needed_us) : 100.0);
    char times[96];
    std::snprintf(times, sizeof times, "%.1f ms of lookups, rules waited %.1f ms", needed_ms,
                  waited_ms);
    return "dns: lookups=" + std::to_string(lookups) + " cache_hits=" + std::to_string(cache_hits) +
           " shared=" + std::to_string(shared) + " timeouts=" + std::to_string(timeouts) +
           " failures=" + std::to_string(failures) +
           " cache_entries=" + std::to_string(cache.entries) +
           " answers_needed=" + std::to_string(answers_needed) + " (" + times + ": " + hidden +
           " hidden from clients)";
}

}  // namespace mv::dns
