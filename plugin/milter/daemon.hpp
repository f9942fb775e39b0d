// SPDX-License-Identifier: Apache-2.0
// daemon.hpp - the milter daemon: socket, privileges, signals, libmilter main loop.
//
// daemon_main() parses the daemon's options (-c FILE, -f, -p SOCKET, ...),
// loads the policy (refusing to start on an error, exit 78), opens the socket,
// drops privileges, and runs smfi_main() until SIGTERM. SIGUSR1 reloads.
//
// Thread contract: called once from main().
#pragma once

#include <string>
#include <vector>

namespace mv::milter {

int daemon_main(const std::vector<std::string>& args);

}  // namespace mv::milter
