# SPDX-License-Identifier: Apache-2.0
# postfix.sh - a private Postfix instance for the package test (sourced by run.sh).
#
# pf_start DIR PORT MILTER writes DIR/conf/{main.cf,master.cf} for an instance
# that listens on 127.0.0.1:PORT only, keeps its queue and log under DIR,
# delivers nothing (every accepted message is discarded), uses MILTER as its
# smtpd_milters (milter_default_action: Postfix's default, tempfail), logs every header a
# milter adds ("milter added a header", milter_header_checks), and starts it; pf_stop
# DIR stops it (and kills its master if a clean stop fails). Needs root (as
# Postfix's master does) and the postfix user and postdrop group of the
# Debian package. Nothing is shared with a system Postfix: own
# config_directory, queue_directory, data_directory, syslog_name, log file.

pf_start() {
    pf_dir=$1 pf_port=$2 pf_milter=$3
    mkdir -p "$pf_dir/conf" "$pf_dir/queue" "$pf_dir/data"
    # Postfix's processes (user postfix) must reach the queue below DIR.
    chmod 0755 "$pf_dir"
    chown postfix "$pf_dir/data"
    cat >"$pf_dir/conf/main.cf" <<EOF
compatibility_level = 3.6
config_directory = $pf_dir/conf
queue_directory = $pf_dir/queue
data_directory = $pf_dir/data
meta_directory = /etc/postfix
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
syslog_name = mv-package-test
maillog_file = $pf_dir/maillog
maillog_file_prefixes = $pf_dir
import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C
myhostname = package-test.localdomain
mydomain = localdomain
myorigin = \$myhostname
mydestination =
relayhost =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8, 203.0.113.0/24
smtpd_recipient_restrictions = permit_mynetworks, reject
# The test poses as a remote client (XCLIENT ADDR=...) so that the milter
# applies its rules for strangers, not its trusted-networks rule.
smtpd_authorized_xclient_hosts = 127.0.0.0/8
default_transport = discard:package test
local_transport = discard:package test
relay_transport = discard:package test
biff = no
# The documented line (main.cf.unix) and nothing else of the milter's:
# milter_protocol, milter_default_action (tempfail) and the macros are
# Postfix's defaults and what the daemon asks for itself.
smtpd_milters = $pf_milter
milter_header_checks = regexp:$pf_dir/conf/milter_header_checks
EOF
    printf '/^/ WARN milter added a header\n' >"$pf_dir/conf/milter_header_checks"
    cat >"$pf_dir/conf/master.cf" <<EOF
127.0.0.1:$pf_port inet n - n - 4 smtpd
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
    # Postfix reports fatal errors on a terminal or to syslog only: script(1)
    # gives it a terminal so that they land in start.log.
    timeout 60 script -qec "postfix -c $pf_dir/conf start" /dev/null >"$pf_dir/start.log" 2>&1
}

pf_stop() {
    pf_dir=$1
    [ -f "$pf_dir/conf/main.cf" ] || return 0
    timeout 30 postfix -c "$pf_dir/conf" stop >/dev/null 2>&1 || true
    pf_pid=$(head -n 1 "$pf_dir/queue/pid/master.pid" 2>/dev/null | tr -d ' ')
    if [ -n "$pf_pid" ] && kill -0 "$pf_pid" 2>/dev/null; then
        kill -9 "$pf_pid" 2>/dev/null || true
    fi
}
