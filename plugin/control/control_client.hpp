// SPDX-License-Identifier: Apache-2.0
// control_client.hpp - one request to the daemon's control socket (control_server.hpp).
//
// control_request() connects to the unix socket at `path`, sends `request`
// and a LF, and reads the answer until the daemon closes: the record lines
// go to `records` (parsed), the final "ok N" gives `count`. Bounded: the
// whole exchange within `timeout_s`, an answer of at most 256 MiB.
//
// Errors: "" on success, else what failed ("cannot connect to PATH: No such
// file or directory (is the daemon running?)", the daemon's "error TEXT").
//
// Thread contract: reentrant.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "state/state_file.hpp"

namespace mv::control {

std::string control_request(const std::string& path, const std::string& request,
                            std::vector<state::Record>& records, std::size_t& count,
                            int timeout_s = 30);

}  // namespace mv::control
