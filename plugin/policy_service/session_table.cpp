// SPDX-License-Identifier: Apache-2.0
// session_table.cpp - bounded LRU map of SMTP session identities (see session_table.hpp).
#include "policy_service/session_table.hpp"

namespace mv::policy_service {

std::shared_ptr<Entry> SessionTable::find(const std::string& key,
                                          std::chrono::steady_clock::time_point now) {
    std::lock_guard lock(mu_);
    auto it = map_.find(key);
    if (it != map_.end()) {
        Slot& s = it->second;
        lru_.splice(lru_.begin(), lru_, s.lru);
        if (now - s.used > idle_) s.entry = std::make_shared<Entry>();  // a stale session
        s.used = now;
        return s.entry;
    }
    // Make room: expired entries from the old end first, then the oldest.
    while (!lru_.empty() && (map_.size() >= capacity_ || now - map_[lru_.back()].used > idle_)) {
        auto old = map_.find(lru_.back());
        if (now - old->second.used <= idle_) ++evictions_;
        map_.erase(old);
        lru_.pop_back();
    }
    lru_.push_front(key);
    Slot s{std::make_shared<Entry>(), now, lru_.begin()};
    return map_.emplace(key, std::move(s)).first->second.entry;
}

void SessionTable::sweep(std::chrono::steady_clock::time_point now) {
    std::lock_guard lock(mu_);
    while (!lru_.empty()) {
        auto old = map_.find(lru_.back());
        if (now - old->second.used <= idle_) break;
        map_.erase(old);
        lru_.pop_back();
    }
}

std::size_t SessionTable::size() const {
    std::lock_guard lock(mu_);
    return map_.size();
}

std::size_t SessionTable::evictions() const {
    std::lock_guard lock(mu_);
    return evictions_;
}

}  // namespace mv::policy_service
