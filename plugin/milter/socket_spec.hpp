// SPDX-License-Identifier: Apache-2.0
// socket_spec.hpp - the daemon's listening socket, parsed and checked.
//
// Accepted forms (libmilter's, minus the risky one):
//   unix:/path, local:/path, /path   a unix socket (absolute path)
//   inet:PORT@HOST                   IPv4, HOST an address or a name
//   inet6:PORT@HOST                  IPv6
// A bare "inet:PORT" or "inet6:PORT" (libmilter: every interface) is refused:
// a policy daemon must not be reachable from the network by accident. Every
// interface can still be asked for explicitly with inet:PORT@0.0.0.0 or
// inet6:PORT@:: (listens_everywhere() is then true and the daemon logs a
// warning).
//
// Errors: parse_socket() returns a one-line message instead of a spec.
//
// Thread contract: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mv::milter {

struct SocketSpec {
    enum class Kind { Unix, Inet, Inet6 };
    Kind kind = Kind::Unix;
    std::string path;  // Unix
    int port = 0;      // Inet, Inet6
    std::string host;  // Inet, Inet6
    // The string for smfi_setconn ("unix:/path", "inet:8890@127.0.0.1").
    std::string connection() const;
    bool listens_everywhere() const;
};

struct SocketParse {
    std::optional<SocketSpec> spec;
    std::string error;  // set when !spec
};

SocketParse parse_socket(std::string_view text);

}  // namespace mv::milter
