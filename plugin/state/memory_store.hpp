// SPDX-License-Identifier: Apache-2.0
// memory_store.hpp - the embedded store: in process, bounded, persisted to a file.
//
// Call order: construct, load() once (reads the file back; a corrupt file is
// renamed aside and reported, the store starts empty), optionally
// start_maintenance(), then rate()/greylist() from any thread; the owner calls
// flush() at shutdown (SIGTERM) so nothing since the last periodic save is
// lost. The destructor stops the maintenance thread but does not save:
// saving is an operation with an error to report, not a side effect.
//
// Bounds: at most max_entries records. Keys are spread over `shards` shards,
// each with its own mutex, LRU list and max_entries/shards slots. When a shard
// is full the least recently used record is evicted (expired records are
// usually the least recently used, and the sweep removes them first anyway).
// An evicted record only loses state: a rate counter starts again from zero, a
// triplet is greylisted again; evictions are counted in describe().
// Expired records are dropped when touched and by sweep() (maintenance).
//
// Persistence: flush() snapshots the shards one at a time (each record is
// consistent; the file is not one instant across shards, which a restart
// cannot tell apart) and writes the file atomically (state_file.hpp).
//
// Thread contract: every public member is safe from any thread; rate() and
// greylist() lock only the shard(s) of their keys, never across I/O.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "state/clock.hpp"
#include "state/entry.hpp"
#include "state/state_file.hpp"
#include "state/store.hpp"

namespace mv::state {

struct MemoryOptions {
    std::size_t max_entries = 1'000'000;  // records kept at most, all shards together
    std::string file;                     // "" = not persisted
    std::size_t shards = 16;              // lock shards (1 for exact LRU in tests)
};

class MemoryStore final : public Store {
  public:
    MemoryStore(MemoryOptions options, std::shared_ptr<const Clock> clock);
    ~MemoryStore() override;
    MemoryStore(const MemoryStore&) = delete;
    MemoryStore& operator=(const MemoryStore&) = delete;

    // Read the file back. "" when it was read (or is absent), else one line to
    // log: why the file was not used and, when corrupt, where it was moved.
    std::string load();

    RateResult rate(const RateRequest& request) override;
    GreylistResult greylist(const GreylistRequest& request) override;
    std::string flush() override;
    std::string describe() const override;

    std::size_t size() const;
    std::uint64_t evictions() const { return evictions_.load(); }
    // Remove expired records; returns how many.
    std::size_t sweep();
    // Every `interval`: sweep(), then flush() when a file is set; errors go to `log`.
    void start_maintenance(Duration interval, std::function<void(const std::string&)> log);
    void stop_maintenance();

    const MemoryOptions& options() const { return options_; }

    // Administration (milter-verdict state, through the control socket).
    // Keys are the caller's (without kind); expired records are skipped.
    using Pick = std::function<bool(const std::string& key, const Entry& entry)>;
    // The live records `pick` selects, at most `limit`, shard by shard (each
    // shard locked only while it is copied).
    std::vector<Record> select(const Pick& pick, std::size_t limit) const;
    // Removes the live records `pick` selects; returns how many.
    std::size_t erase_if(const Pick& pick);

  private:
    struct Node {
        Entry entry;
        std::list<const std::string*>::iterator lru;
    };
    struct Shard {
        mutable std::mutex mu;
        std::unordered_map<std::string, Node> map;
        std::list<const std::string*> lru;  // front = most recently used
    };

    Shard& shard_for(const std::string& key);
    // Under the shard's lock: the live entry for key, or nullptr (expired ones are dropped).
    Entry* find(Shard& s, const std::string& key, std::int64_t now_ms);
    // Under the shard's lock: insert or replace, evicting the LRU record when full.
    void put(Shard& s, const std::string& key, Entry entry);
    void erase(Shard& s, const std::string& key);

    MemoryOptions options_;
    std::shared_ptr<const Clock> clock_;
    std::vector<std::unique_ptr<Shard>> shards_;
    std::size_t per_shard_;
    std::atomic<std::uint64_t> evictions_{0};
    std::mutex file_mu_;  // one writer of the file at a time

    std::mutex maint_mu_;
    std::condition_variable_any maint_cv_;
    std::jthread maint_;
};

}  // namespace mv::state
