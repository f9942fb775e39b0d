#!/bin/sh
# package-config.sh FILE - adapt the installed sample configuration to the
# packaged service (called by debian/rules and the RPM spec on the copy in
# the package, never on config/milter-verdict.conf).
#
# Under systemd the daemon starts as milter-verdict, without root and without
# CAP_CHOWN, so it cannot give its unix socket to group "postfix" (it is no
# member of it). The package instead puts the postfix user in the
# milter-verdict group: the socket keeps the daemon's group. Every other
# setting of the sample is fine for the service (user/group are who it
# already is, the pid file is under RuntimeDirectory=/run/milter-verdict).
# Fails if FILE is missing; does nothing when the sample already agrees.
set -eu
file=${1:?usage: package-config.sh FILE}
[ -f "$file" ]
sed -i \
    -e 's|^\([[:space:]]*\)socket_group = "postfix";|\1# Package: the daemon (not root under systemd) keeps its own group, and\n\1# the package made the postfix user a member of group milter-verdict.\n\1socket_group = "";|' \
    "$file"
