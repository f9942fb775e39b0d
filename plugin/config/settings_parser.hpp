// SPDX-License-Identifier: Apache-2.0
// settings_parser.hpp - the `daemon` and `policy` groups -> policy::Settings.
//
// One table per group names each key, its type and its check; a key absent
// from the file keeps the default of policy::Settings. Errors (unknown key,
// wrong type, bad value) are reported to the Diagnostics; the other keys are
// still read so that one run shows every problem.
//
// Thread contract: pure functions over caller-owned objects.
#pragma once

#include <libconfig.h++>

#include "config/diagnostics.hpp"
#include "policy/policy.hpp"

namespace mv::config {

void parse_daemon_settings(const libconfig::Setting& daemon, policy::Settings& out,
                           Diagnostics& diag);
void parse_policy_settings(const libconfig::Setting& policy, policy::Settings& out,
                           Diagnostics& diag);

// Header field name check shared with add_header: RFC 5322 2.2 ftext
// (printable ASCII except ':'), at most 64 characters here.
bool valid_header_name(const std::string& name);

}  // namespace mv::config
