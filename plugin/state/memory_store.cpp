// SPDX-License-Identifier: Apache-2.0
// memory_store.cpp - the embedded store (see memory_store.hpp).
#include "state/memory_store.hpp"

#include <algorithm>
#include <functional>

#include "state/state_file.hpp"

namespace mv::state {
namespace {

// Rate counters, triplets and clients live in one map; the kind prefix keeps
// a caller's keys of different kinds apart.
std::string map_key(Entry::Kind kind, const std::string& key) {
    std::string k(1, static_cast<char>(kind));
    k += ':';
    k += key;
    return k;
}

}  // namespace

MemoryStore::MemoryStore(MemoryOptions options, std::shared_ptr<const Clock> clock)
    : options_(std::move(options)), clock_(std::move(clock)) {
    options_.shards = std::max<std::size_t>(1, options_.shards);
    options_.max_entries = std::max<std::size_t>(options_.shards, options_.max_entries);
    per_shard_ = (options_.max_entries + options_.shards - 1) / options_.shards;
    for (std::size_t i = 0; i < options_.shards; ++i) shards_.push_back(std::make_unique<Shard>());
}

MemoryStore::~MemoryStore() {
    stop_maintenance();
}

MemoryStore::Shard& MemoryStore::shard_for(const std::string& key) {
    return *shards_[std::hash<std::string>{}(key) % shards_.size()];
}

Entry* MemoryStore::find(Shard& s, const std::string& key, std::int64_t now_ms) {
    auto it = s.map.find(key);
    if (it == s.map.end()) return nullptr;
    if (it->second.entry.expires_ms <= now_ms) {
        s.lru.erase(it->second.lru);
        s.map.erase(it);
        return nullptr;
    }
    return &it->second.entry;
}

void MemoryStore::put(Shard& s, const std::string& key, Entry entry) {
    auto it = s.map.find(key);
    if (it != s.map.end()) {
        it->second.entry = std::move(entry);
        s.lru.splice(s.lru.begin(), s.lru, it->second.lru);
        return;
    }
    while (s.map.size() >= per_shard_ && !s.lru.empty()) {
        const std::string victim = *s.lru.back();
        s.lru.pop_back();
        s.map.erase(victim);
        evictions_.fetch_add(1);
    }
    auto [ins, ok] = s.map.emplace(key, Node{std::move(entry), {}});
    (void)ok;
    s.lru.push_front(&ins->first);
    ins->second.lru = s.lru.begin();
}

void MemoryStore::erase(Shard& s, const std::string& key) {
    auto it = s.map.find(key);
    if (it == s.map.end()) return;
    s.lru.erase(it->second.lru);
    s.map.erase(it);
}

RateResult MemoryStore::rate(const RateRequest& request) {
    RateResult result;
    if (std::string err = check_request(request); !err.empty()) {
        result.error = err;
        return result;
    }
    const std::int64_t now = to_ms(clock_->now());
    const std::string key = map_key(Entry::Kind::Rate, request.key);
    Shard& s = shard_for(key);
    std::lock_guard lock(s.mu);
    Entry* e = find(s, key, now);
    std::vector<WindowState> states;
    if (e) states = e->windows;
    std::int64_t expires = 0;
    result = apply_rate(states, request, now, expires);
    const bool counted =
        std::any_of(states.begin(), states.end(), [](const WindowState& w) { return w.count > 0; });
    if (!counted) {
        erase(s, key);  // nothing to remember (a look with cost 0 at a fresh key)
        return result;
    }
    Entry next;
    next.kind = Entry::Kind::Rate;
    next.expires_ms = expires;
    next.windows = std::move(states);
    put(s, key, std::move(next));
    return result;
}

GreylistResult MemoryStore::greylist(const GreylistRequest& request) {
    GreylistResult result;
    if (std::string err = check_request(request); !err.empty()) {
        result.error = err;
        return result;
    }
    const std::int64_t now = to_ms(clock_->now());
    const std::string tkey = map_key(Entry::Kind::Triplet, request.triplet);
    const bool use_client = !request.client.empty() && request.client_after > 0;
    const std::string ckey = use_client ? map_key(Entry::Kind::Client, request.client) : "";
    Shard& ts = shard_for(tkey);
    Shard& cs = use_client ? shard_for(ckey) : ts;
    // Two shards are locked together (std::scoped_lock avoids lock-order
    // deadlocks); one shard is locked once.
    std::unique_lock<std::mutex> l1(ts.mu, std::defer_lock), l2(cs.mu, std::defer_lock);
    if (&ts == &cs) {
        l1.lock();
    } else {
        std::lock(l1, l2);
    }
    TripletState triplet;
    ClientState client;
    if (Entry* e = find(ts, tkey, now)) triplet = e->triplet;
    if (use_client) {
        if (Entry* e = find(cs, ckey, now)) client = e->client;
    }
    result = apply_greylist(triplet, client, request, now);
    if (triplet.present) {
        Entry t;
        t.kind = Entry::Kind::Triplet;
        t.expires_ms = triplet.expires_ms;
        t.triplet = triplet;
        put(ts, tkey, std::move(t));
    }
    if (use_client && client.present) {
        Entry c;
        c.kind = Entry::Kind::Client;
        c.expires_ms = client.expires_ms;
        c.client = client;
        put(cs, ckey, std::move(c));
    }
    return result;
}

std::size_t MemoryStore::size() const {
    std::size_t n = 0;
    for (const auto& s : shards_) {
        std::lock_guard lock(s->mu);
        n += s->map.size();
    }
    return n;
}

std::size_t MemoryStore::sweep() {
    const std::int64_t now = to_ms(clock_->now());
    std::size_t removed = 0;
    for (auto& s : shards_) {
        std::lock_guard lock(s->mu);
        for (auto it = s->map.begin(); it != s->map.end();) {
            if (it->second.entry.expires_ms <= now) {
                s->lru.erase(it->second.lru);
                it = s->map.erase(it);
                ++removed;
            } else {
                ++it;
            }
        }
    }
    return removed;
}

std::string MemoryStore::load() {
    if (options_.file.empty()) return {};
    const std::int64_t now = to_ms(clock_->now());
    StateFileRead read = read_state_file(options_.file, now);
    if (read.missing) return {};
    if (!read.error.empty()) {
        if (!read.corrupt) return read.error + "; starting with an empty store";
        std::string err;
        const std::string aside = set_aside(options_.file, now, err);
        if (aside.empty()) return read.error + "; " + err + "; starting with an empty store";
        return read.error + "; moved aside to " + aside + "; starting with an empty store";
    }
    // Records were written least recently used first: inserting them in order
    // rebuilds each shard's LRU order.
    for (Record& r : read.records) {
        const std::string key = map_key(r.second.kind, r.first);
        Shard& s = shard_for(key);
        std::lock_guard lock(s.mu);
        put(s, key, std::move(r.second));
    }
    return {};
}

std::string MemoryStore::flush() {
    if (options_.file.empty()) return {};
    const std::int64_t now = to_ms(clock_->now());
    std::vector<Record> records;
    for (auto& s : shards_) {
        std::lock_guard lock(s->mu);
        for (auto it = s->lru.rbegin(); it != s->lru.rend(); ++it) {
            const Node& node = s->map.at(**it);
            if (node.entry.expires_ms <= now) continue;
            records.emplace_back((*it)->substr(2), node.entry);
        }
    }
    std::lock_guard file_lock(file_mu_);
    return write_state_file(options_.file, records);
}

std::vector<Record> MemoryStore::select(const Pick& pick, std::size_t limit) const {
    const std::int64_t now = to_ms(clock_->now());
    std::vector<Record> out;
    for (const auto& s : shards_) {
        std::lock_guard lock(s->mu);
        for (const auto& [key, node] : s->map) {
            if (out.size() >= limit) return out;
            if (node.entry.expires_ms <= now) continue;
            const std::string bare = key.substr(2);
            if (pick(bare, node.entry)) out.emplace_back(bare, node.entry);
        }
    }
    return out;
}

std::size_t MemoryStore::erase_if(const Pick& pick) {
    const std::int64_t now = to_ms(clock_->now());
    std::size_t removed = 0;
    for (auto& s : shards_) {
        std::lock_guard lock(s->mu);
        for (auto it = s->map.begin(); it != s->map.end();) {
            const Entry& e = it->second.entry;
            if (e.expires_ms > now && pick(it->first.substr(2), e)) {
                s->lru.erase(it->second.lru);
                it = s->map.erase(it);
                ++removed;
            } else {
                ++it;
            }
        }
    }
    return removed;
}

std::string MemoryStore::describe() const {
    std::string d = "memory, " + std::to_string(size()) + " entries (max " +
                    std::to_string(options_.max_entries) + ", " +
                    std::to_string(evictions_.load()) + " evicted)";
    d += options_.file.empty() ? ", not persisted" : ", file " + options_.file;
    return d;
}

void MemoryStore::start_maintenance(Duration interval,
                                    std::function<void(const std::string&)> log) {
    stop_maintenance();
    maint_ = std::jthread([this, interval, log = std::move(log)](std::stop_token stop) {
        std::unique_lock lock(maint_mu_);
        while (!stop.stop_requested()) {
            if (maint_cv_.wait_for(lock, stop, interval, [] { return false; })) break;
            if (stop.stop_requested()) break;
            lock.unlock();
            sweep();
            if (std::string err = flush(); !err.empty() && log) log(err);
            lock.lock();
        }
    });
}

void MemoryStore::stop_maintenance() {
    if (!maint_.joinable()) return;
    maint_.request_stop();
    maint_.join();
}

}  // namespace mv::state
