// SPDX-License-Identifier: Apache-2.0
// policy_store.cpp - mutex-guarded shared_ptr to the current Policy.
#include "milter/policy_store.hpp"

#include <utility>

namespace mv::milter {

PolicyStore::PolicyStore(policy::PolicyPtr initial) : policy_(std::move(initial)) {}

policy::PolicyPtr PolicyStore::current() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return policy_;
}

bool PolicyStore::replace(policy::PolicyPtr next) {
    if (!next) return false;
    policy::PolicyPtr old;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        old = std::exchange(policy_, std::move(next));
    }
    // `old` is released here, outside the lock: if this was the last
    // reference, freeing a large Policy does not stall readers.
    return true;
}

}  // namespace mv::milter
