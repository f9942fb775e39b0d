// SPDX-License-Identifier: Apache-2.0
// service_settings.hpp - the policy service's keys of the `daemon` group, as plain data.
//
// Read by the config loader (config/policy_service_parser.cpp) into
// policy::Settings::policy_service; the daemon reads them once at start
// (like the milter socket, they apply at restart, not at reload).
//
//   policy_socket           "" = no policy service; else inet:PORT@HOST,
//                           inet6:PORT@HOST or unix:/PATH (the milter
//                           socket's rules: never a bare inet:PORT)
//   policy_accept           "dunno" (default) or "ok": what an accept
//                           verdict answers (OK ends the restriction list
//                           it is in: only where nothing after it matters)
//   policy_timeout          seconds from a request's first byte to its
//                           empty line (default 10)
//   policy_idle_timeout     seconds a connection may wait between requests
//                           (default 3600; keep it above Postfix's
//                           smtpd_policy_service_max_idle, 300 s)
//   policy_max_connections  connections served at once (default 1000)
//   policy_workers          evaluation threads when the policy may block
//                           (a Redis store; default 4)
//
// Thread contract: value type.
#pragma once

#include <cstddef>
#include <string>

namespace mv::policy_service {

struct ServiceSettings {
    std::string socket;
    bool accept_ok = false;
    int request_timeout = 10;
    int idle_timeout = 3600;
    std::size_t max_connections = 1000;
    std::size_t workers = 4;

    bool operator==(const ServiceSettings&) const = default;
};

}  // namespace mv::policy_service
