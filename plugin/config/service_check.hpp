// SPDX-License-Identifier: Apache-2.0
// service_check.hpp - what the packaged systemd unit cannot do with the
// daemon's socket settings (check-config only).
//
// The packaged unit (packaging/systemd/milter-verdict.service) starts the
// daemon as User=milter-verdict Group=milter-verdict with PrivateUsers=yes,
// ProtectSystem=strict and PrivateTmp=yes. check_service_access() warns about
// socket settings that then make the start fail (the daemon exits 71):
//
// * socket_group names a group that does not exist on this host;
// * socket_group is not the group the daemon runs as, and the service user is
//   not root: chown(2) lets an unprivileged process give a file only to a
//   group it is in, and PrivateUsers=yes maps no supplementary group into the
//   unit, so only the daemon's own group works (the package puts the postfix
//   user into that group). The service user is the configured `user` (without
//   one the daemon stays whoever starts it: nothing is compared); the daemon's
//   group is `group`, or the user's primary group (milter-verdict for the
//   unit's user when it does not exist on this host);
// * a unix socket (socket, policy_socket) outside the directories the unit
//   lets it write: /run/milter-verdict, /var/lib/milter-verdict,
//   /var/spool/postfix/milter-verdict (under PrivateTmp=yes a socket in /tmp
//   is invisible to Postfix).
//
// It reads the host's user and group databases (getpwnam, getgrnam), so it
// runs for check-config only, never at daemon start or reload.
//
// Thread contract: called from check-config's thread (getpwnam/getgrnam).
#pragma once

#include <libconfig.h++>

#include "config/diagnostics.hpp"
#include "policy/policy.hpp"

namespace mv::config {

void check_service_access(const libconfig::Setting& daemon, const policy::Settings& settings,
                          Diagnostics& diag);

}  // namespace mv::config
