// SPDX-License-Identifier: Apache-2.0
// cache.cpp - the TTL cache (cache.hpp).
#include "dns/cache.hpp"

#include <algorithm>

namespace mv::dns {

namespace {

std::size_t cost(const std::string& key, const Answer& a) {
    std::size_t n = 96 + key.size() + a.error.size();  // node, map slot, strings' own size
    for (const auto& r : a.records) n += 32 + r.size();
    return n;
}

}  // namespace

Cache::Cache(CacheOptions options, std::shared_ptr<const TimeSource> clock)
    : options_(options), clock_(std::move(clock)) {}

std::optional<Answer> Cache::get(const Question& q) {
    const std::string key = q.key();
    std::lock_guard lock(mu_);
    const auto it = index_.find(key);
    if (it == index_.end()) {
        ++counters_.misses;
        return std::nullopt;
    }
    const TimePoint now = clock_->now();
    Entry& e = *it->second;
    if (now >= e.expires) {
        counters_.bytes -= e.bytes;
        lru_.erase(it->second);
        index_.erase(it);
        ++counters_.misses;
        return std::nullopt;
    }
    lru_.splice(lru_.begin(), lru_, it->second);
    ++counters_.hits;
    Answer a = e.answer;
    const auto left = std::chrono::duration_cast<std::chrono::seconds>(e.expires - now).count();
    a.ttl = static_cast<std::uint32_t>(std::max<long long>(left, 1));
    return a;
}

void Cache::put(const Question& q, const Answer& a) {
    if (options_.max_entries == 0 || !a.definite() || a.ttl == 0) return;
    const bool negative = a.outcome != Outcome::Records;
    const std::uint32_t ttl =
        std::min(a.ttl, negative ? options_.max_negative_ttl : options_.max_ttl);
    if (ttl == 0) return;
    std::string key = q.key();
    const std::size_t bytes = cost(key, a);
    if (bytes > options_.max_bytes / 16) return;
    const TimePoint now = clock_->now();
    std::lock_guard lock(mu_);
    if (const auto it = index_.find(key); it != index_.end()) {
        counters_.bytes -= it->second->bytes;
        lru_.erase(it->second);
        index_.erase(it);
    }
    lru_.push_front(Entry{key, a, now + std::chrono::seconds(ttl), bytes});
    index_.emplace(std::move(key), lru_.begin());
    counters_.bytes += bytes;
    ++counters_.insertions;
    evict_locked();
}

void Cache::evict_locked() {
    while (!lru_.empty() &&
           (lru_.size() > options_.max_entries || counters_.bytes > options_.max_bytes)) {
        Entry& last = lru_.back();
        counters_.bytes -= last.bytes;
        index_.erase(last.key);
        lru_.pop_back();
        ++counters_.evictions;
    }
}

CacheCounters Cache::counters() const {
    std::lock_guard lock(mu_);
    CacheCounters c = counters_;
    c.entries = lru_.size();
    return c;
}

}  // namespace mv::dns
