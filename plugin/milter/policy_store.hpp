// SPDX-License-Identifier: Apache-2.0
// policy_store.hpp - the Policy currently in force, swapped atomically on reload.
//
// current() hands out a shared_ptr that the caller keeps for as long as it
// needs (a connection pins the Policy it started with); replace() installs a
// complete new Policy. A null Policy is never installed.
//
// Thread contract: current() and replace() are safe from any thread at once
// (libmilter worker threads read while the signal thread replaces).
#pragma once

#include <mutex>

#include "policy/policy.hpp"

namespace mv::milter {

class PolicyStore {
  public:
    explicit PolicyStore(policy::PolicyPtr initial);

    policy::PolicyPtr current() const;
    // Ignores a null pointer (returns false): a failed load never replaces a good one.
    bool replace(policy::PolicyPtr next);

  private:
    // A mutex rather than std::atomic<std::shared_ptr>: the critical section
    // is one pointer copy, and this is clearly correct on every libstdc++.
    mutable std::mutex mutex_;
    policy::PolicyPtr policy_;
};

}  // namespace mv::milter
