// SPDX-License-Identifier: Apache-2.0
// store_factory.hpp - build the configured store (memory or Redis).
//
// open_store() creates the backend named by the settings. The embedded store
// reads its file back (a corrupt file is moved aside: the message says so)
// and starts its maintenance thread (sweep and save every save_interval;
// failures go to `log`). Redis connects lazily, so an unreachable Redis is
// not an error here: the first operations fail and the rules' on_backend_error
// decide until it answers; `message` then notes a failed PING.
//
// Call order: after the daemon has dropped privileges and forked (the file is
// the daemon user's; threads do not survive fork()).
//
// Thread contract: call from one thread; the store is thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "state/clock.hpp"
#include "state/state_settings.hpp"
#include "state/store.hpp"

namespace mv::state {

// `message` gets one line worth logging ("" when there is nothing to say).
std::shared_ptr<Store> open_store(const StateSettings& settings, std::shared_ptr<const Clock> clock,
                                  std::string& message, std::function<void(const std::string&)> log,
                                  bool maintenance = true);

}  // namespace mv::state
