// SPDX-License-Identifier: Apache-2.0
// policy_service_parser.hpp - the policy_* keys of the `daemon` group.
//
// parse_daemon_settings() hands every key starting with "policy_" here (and
// lists them in its check_keys call); each
// is checked where it is read (policy_service/service_settings.hpp lists
// them with their defaults and bounds). policy_socket follows the milter
// socket's rules through the caller's `check_socket`.
//
// Errors: reported to the Diagnostics at the key's line; the key keeps its
// default.
//
// Thread contract: pure functions over caller-owned objects.
#pragma once

#include <libconfig.h++>

#include <functional>
#include <string>

#include "config/diagnostics.hpp"
#include "policy_service/service_settings.hpp"

namespace mv::config {

// Reads one policy_* key; false when `s` is none of them.
bool parse_policy_service_key(const libconfig::Setting& s, policy_service::ServiceSettings& out,
                              Diagnostics& diag,
                              const std::function<std::string(const std::string&)>& check_socket);

}  // namespace mv::config
