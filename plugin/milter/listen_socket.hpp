// SPDX-License-Identifier: Apache-2.0
// listen_socket.hpp - adjustments to the socket libmilter opened.
//
// libmilter opens the listening socket (smfi_opensocket) and does not hand
// out its descriptor. set_nodelay_on_listener() finds it among the process's
// descriptors (a listening TCP socket bound to the configured port) and sets
// TCP_NODELAY on it; on Linux accepted sockets inherit it, so that a header
// edit and the end-of-message reply that follows it are never held by our
// own Nagle (DESIGN.md section 7, pattern b). set_unix_socket_access()
// applies Settings::socket_mode and socket_group to a unix socket.
//
// Errors: "" or a one-line message. A failure to set TCP_NODELAY is not
// fatal (logged).
//
// Thread contract: main thread, after smfi_opensocket, before smfi_main.
#pragma once

#include <string>

#include "milter/socket_spec.hpp"

namespace mv::milter {

std::string set_nodelay_on_listener(const SocketSpec& spec);
std::string set_unix_socket_access(const SocketSpec& spec, const std::string& mode,
                                   const std::string& group);

}  // namespace mv::milter
