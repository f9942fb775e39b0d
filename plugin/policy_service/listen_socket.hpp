// SPDX-License-Identifier: Apache-2.0
// listen_socket.hpp - the policy service's listening socket.
//
// open_listen_socket() binds and listens on a socket_spec (the milter
// socket's forms and rules, milter/socket_spec.hpp): a unix socket (a stale
// socket file at the path is removed first, anything else there is an
// error) or a TCP socket on the named host (SO_REUSEADDR, TCP_NODELAY so that
// accepted sockets inherit it: every answer is one small write). The socket
// is non-blocking and close-on-exec. The caller applies socket_mode and
// socket_group to a unix socket (milter/listen_socket.hpp).
//
// Errors: an empty UniqueFd and a one-line message.
//
// Thread contract: call from the main thread before the service starts.
#pragma once

#include <string>

#include "milter/socket_spec.hpp"
#include "policy_service/unique_fd.hpp"

namespace mv::policy_service {

UniqueFd open_listen_socket(const milter::SocketSpec& spec, std::string& error);

}  // namespace mv::policy_service
