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
//   policy_max_recipients   recipients one message of an SMTP session keeps
//                           (default 1000, Postfix's smtpd_recipient_limit;
//                           1 to 10000, the engine's own bound); each further
//                           RCPT request is answered 452 4.5.3
//   policy_max_recipient_bytes  bytes of recipient addresses one message
//                           keeps (default 1048576; 4096 to 67108864); the
//                           recipient that would go over is answered the same
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
    std::size_t max_recipients = 1000;
    std::size_t max_recipient_bytes = 1024 * 1024;

    bool operator==(const ServiceSettings&) const = default;
};

}  // namespace mv::policy_service
