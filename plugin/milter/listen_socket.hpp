// listen_socket.hpp - adjustments to the socket libmilter opened.
//
// libmilter opens the listening socket (smfi_opensocket) and does not hand
// out its descriptor. set_nodelay_on_listener() finds it among the process's
// descriptors (a listening TCP socket bound to the configured port) and sets
// TCP_NODELAY on it; on Linux accepted sockets inherit it, which avoids the
// ~40 ms Nagle/delayed-ACK stall of DESIGN.md section 7 when DATA is
// negotiated away. set_unix_socket_access() applies Settings::socket_mode and
// socket_group to a unix socket.
//
// Errors: "" or a one-line message. A failure to set TCP_NODELAY is not
// fatal: the daemon then keeps the DATA stage (MilterOptions).
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
