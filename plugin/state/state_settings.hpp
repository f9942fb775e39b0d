// SPDX-License-Identifier: Apache-2.0
// state_settings.hpp - the `state` group of the configuration, as plain data.
//
// Read by the config loader (config/state_settings_parser.cpp) into
// policy::Settings::state; the daemon compares the settings of a reloaded
// policy with those of the store it runs, and keeps the store when they are
// equal (counters and greylist passes survive a reload).
//
// Thread contract: value type.
#pragma once

#include <cstddef>
#include <string>

#include "state/redis_connection.hpp"

namespace mv::state {

struct StateSettings {
    std::string backend = "memory";  // "memory" or "redis"
    // Embedded store: its file ("" = not persisted), size bound, save period.
    std::string file = "/var/lib/milter-verdict/state";
    std::size_t max_entries = 1'000'000;
    Duration save_interval{300'000};
    // The running daemon's control socket (control/control_server.hpp);
    // "" = `control` beside `file`.
    std::string control_socket;
    RedisOptions redis;

    bool operator==(const StateSettings&) const = default;
};

}  // namespace mv::state
