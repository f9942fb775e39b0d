// SPDX-License-Identifier: Apache-2.0
// store_slot.hpp - where the stateful conditions of one Policy find their store.
//
// The config loader builds conditions before any store exists, and the daemon
// keeps one store across reloads (policies come and go, the counters stay).
// So every Policy owns a slot shared by its rate_limit and greylist
// conditions; whoever runs the policy (daemon, simulate, tests) attaches a
// store to it before the first transaction. A condition that finds the slot
// empty answers TempError ("no state store"), which its rule's
// on_backend_error turns into a decision.
//
// Thread contract: attach() and get() are safe from any thread at once.
#pragma once

#include <memory>
#include <mutex>

#include "state/store.hpp"

namespace mv::state {

class StoreSlot {
  public:
    void attach(std::shared_ptr<Store> store) {
        std::lock_guard lock(mu_);
        store_ = std::move(store);
    }
    std::shared_ptr<Store> get() const {
        std::lock_guard lock(mu_);
        return store_;
    }
    // Set by the loader when some rule uses the store.
    void set_needed() { needed_ = true; }
    bool needed() const { return needed_; }

  private:
    mutable std::mutex mu_;
    std::shared_ptr<Store> store_;
    bool needed_ = false;  // written only while the loader builds the policy
};

}  // namespace mv::state
