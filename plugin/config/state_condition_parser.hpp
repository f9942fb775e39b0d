// SPDX-License-Identifier: Apache-2.0
// state_condition_parser.hpp - `rate_limit`, `greylist` and `state` groups.
//
//   when = { rate_limit = { key = ["client_net", "sender"];   # or one string
//                           count = "recipient";   # connection | message | recipient
//                           limit = ["30/1m", "500/1d"];   # LIMIT/DURATION, one or more
//                           strict = false;        # true: refused attempts count
//                           bucket = "name"; };    # default: the rule name
//            greylist = { delay = "5m"; expiry = "4h"; auto_whitelist = "35d";
//                         client_whitelist_after = 5; refuse_at = "rcpt"; }; };
//   state = { backend = "memory"; file = "/var/lib/milter-verdict/state";
//             max_entries = 1000000; save_interval = "5m";
//             redis = { host; port; password; db; prefix; timeout_ms; pool_size; }; };
// Durations: an integer (seconds) or a string "90s", "5m", "4h", "35d", "2w".
//
// Errors: each problem is reported at its setting's line; the read_*
// functions then return nullopt (read_state_settings keeps the good keys).
//
// Thread contract: pure functions over caller-owned objects.
#pragma once

#include <libconfig.h++>

#include <optional>
#include <string>

#include "config/diagnostics.hpp"
#include "policy/state_conditions.hpp"
#include "state/state_settings.hpp"

namespace mv::config {

std::optional<policy::RateLimitSpec> read_rate_limit(const libconfig::Setting& s,
                                                     const std::string& rule_name,
                                                     Diagnostics& diag);
std::optional<policy::GreylistSpec> read_greylist(const libconfig::Setting& s,
                                                  const std::string& rule_name, Diagnostics& diag);
void read_state_settings(const libconfig::Setting& s, state::StateSettings& out, Diagnostics& diag);

// "5m" -> 300 s; nullopt (and a diagnostic) when malformed, zero or negative.
std::optional<state::Duration> read_duration(const libconfig::Setting& s, Diagnostics& diag);

}  // namespace mv::config
