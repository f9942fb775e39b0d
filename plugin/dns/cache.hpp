// SPDX-License-Identifier: Apache-2.0
// cache.hpp - answers kept for their TTL, bounded in entries and bytes.
//
// put() keeps a definite answer (records, no data, NXDOMAIN) for its TTL,
// clamped to max_ttl (max_negative_ttl for no data and NXDOMAIN); an answer
// with TTL 0, a failure or a timeout is never kept. get() returns a copy of
// the answer whose TTL has not run out, with the TTL that is left, and counts
// a hit or a miss. When an insertion would go over max_entries or max_bytes
// the least recently used entries go first; an answer larger than max_bytes
// / 16 on its own is not kept (a hostile zone cannot flush the cache with one
// answer). max_entries = 0 disables the cache.
//
// libunbound keeps a cache of its own underneath (bounded by its defaults,
// 4 MiB of messages and RRsets); this one sits in front of it so that a
// warm answer costs one hash lookup in the worker's thread, no hand-over to
// the resolver's thread.
//
// Thread contract: every member is safe from any thread (one mutex).
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "dns/answer.hpp"
#include "dns/clock.hpp"

namespace mv::dns {

struct CacheOptions {
    std::size_t max_entries = 100000;
    std::size_t max_bytes = 64u << 20;
    std::uint32_t max_ttl = 86400;
    std::uint32_t max_negative_ttl = 3600;
};

struct CacheCounters {
    std::uint64_t hits = 0, misses = 0, insertions = 0, evictions = 0;
    std::size_t entries = 0, bytes = 0;
};

class Cache {
  public:
    explicit Cache(CacheOptions options,
                   std::shared_ptr<const TimeSource> clock = std::make_shared<SteadyClock>());

    std::optional<Answer> get(const Question& q);
    void put(const Question& q, const Answer& a);
    CacheCounters counters() const;
    const CacheOptions& options() const { return options_; }

  private:
    struct Entry {
        std::string key;
        Answer answer;
        TimePoint expires;
        std::size_t bytes = 0;
    };
    void evict_locked();

    CacheOptions options_;
    std::shared_ptr<const TimeSource> clock_;
    mutable std::mutex mu_;
    std::list<Entry> lru_;  // most recent first
    std::unordered_map<std::string, std::list<Entry>::iterator> index_;
    CacheCounters counters_;
};

}  // namespace mv::dns
