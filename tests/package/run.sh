#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# run.sh - install test of the Debian package (`make package-test`).
#
# Builds the .deb (packaging/build-deb.sh; MV_DEB=FILE uses a built one),
# installs it on this machine with dpkg -i, checks what it installed (files,
# conffile, user, group, permissions, unit and its exposure, the sysusers.d
# and tmpfiles.d files applied by debhelper's snippets), makes every
# start-up failure an admin can cause and checks that its exit status is in
# the unit's RestartPreventExitStatus= (final, not a restart every 2 s),
# starts the daemon as the unit would (user milter-verdict, no capabilities, the
# installed configuration, systemd's notify socket emulated; its system calls
# checked against the unit's SystemCallFilter=) on a unix socket
# in /var/spool/postfix/milter-verdict, attaches a private Postfix to it with
# the documented lines and checks that the installed configuration changes
# no delivery (mail the demo policy refuses is delivered, no header added);
# then installs the demo policy from the examples as an admin would, reloads,
# and checks a configured rejection and an acceptance on the wire, reloads
# and stops it, restarts it as `systemctl restart` does while clients send
# mail without a break and prints the tempfail window (restart_window.py),
# checks that the documented main.cf lines alone give the daemon the macros
# it asks for, reinstalls it over itself (an edited conffile must survive;
# a broken one keeps the daemon from being restarted, with the reason), then
# removes and purges the package and checks what is left.
#
# Needs root (dpkg, Postfix's master). Loopback and private directories only;
# the whole run is bounded (MV_PKG_TIMEOUT seconds, default 1500, most of it
# for building) and a trap stops every process it started and purges the
# package, even on failure. Ends with "package: N passed, M failed". The logs
# of the last run (daemon, Postfix, SMTP dialogues) stay in OUT/last-run/.
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

# Bound the whole run: re-run under timeout(1); its SIGTERM reaches the trap.
if [ -z "${MV_PKG_TIMED:-}" ]; then
    MV_PKG_TIMED=1 exec timeout -k 20 "${MV_PKG_TIMEOUT:-1500}" sh "$0" "$@"
fi

. "$here/postfix.sh"

pkg="milter-verdict"
svc_user="milter-verdict"
unit=/lib/systemd/system/milter-verdict.service
conf=/etc/milter-verdict/milter-verdict.conf
sockdir=/var/spool/postfix/milter-verdict
sock=$sockdir/milter-verdict.sock
out=${MV_PKG_OUT:-$top/build/packages/deb}

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   - $*"; }
not_ok() { fail=$((fail + 1)); echo "FAIL - $*"; }
# check DESCRIPTION COMMAND...: one case, passed when COMMAND succeeds.
check() {
    desc=$1
    shift
    if "$@" >"$tmp/check.out" 2>&1; then ok "$desc"; else
        not_ok "$desc"
        sed 's/^/       /' "$tmp/check.out" | head -n 20
    fi
}
finish() {
    echo "package: $pass passed, $fail failed"
    [ "$fail" -eq 0 ]
    exit $?
}

tmp=$(mktemp -d /tmp/mv-package-test.XXXXXX)
daemon_pid=""
strace_pid=""
notify_pid=""
holder_pid=""
installed_by_us=0
made_rundir=0
cleanup() {
    trap - EXIT INT TERM
    [ -n "$daemon_pid" ] && kill -9 "$daemon_pid" 2>/dev/null
    [ -n "$strace_pid" ] && kill -9 "$strace_pid" 2>/dev/null
    [ -n "$notify_pid" ] && kill "$notify_pid" 2>/dev/null
    [ -n "$holder_pid" ] && kill "$holder_pid" 2>/dev/null
    pf_stop "$tmp/postfix"
    pf_stop "$tmp/postfix2"
    if [ "$installed_by_us" = 1 ] && dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null |
        grep -qv '^not-installed$'; then
        timeout 120 dpkg --purge "$pkg" >/dev/null 2>&1 || true
    fi
    [ "$made_rundir" = 1 ] && rm -rf /run/milter-verdict
    # Keep the logs of the last run for a post-mortem.
    mkdir -p "$out/last-run"
    for f in daemon.log notify.log restart.txt restart-daemon.log macros.txt simulate.txt reject.txt accept.txt install.log reinstall.log remove.log \
        purge.log postfix/maillog postfix/start.log; do
        [ -f "$tmp/$f" ] && cp "$tmp/$f" "$out/last-run/$(echo "$f" | tr / -)"
    done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'echo "package: interrupted"; cleanup; exit 1' INT TERM

if [ "$(id -u)" -ne 0 ]; then
    not_ok "run as root (dpkg -i and Postfix need it)"
    finish
fi
for tool in dpkg-buildpackage lintian postfix python3 setpriv strace systemd-analyze; do
    command -v "$tool" >/dev/null || { not_ok "tool $tool present (make deps: install-deps.sh package test)"; finish; }
done
if dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null | grep -qv '^not-installed$'; then
    echo "note: $pkg is installed already (an earlier run?): purging it first"
    timeout 120 dpkg --purge "$pkg" >/dev/null 2>&1 || true
fi

# --- build ------------------------------------------------------------------
if [ -n "${MV_DEB:-}" ]; then
    deb=$MV_DEB
else
    echo "== building the package (log: $out/build.log)"
    mkdir -p "$out"
    # The unit tests run in `make check`; the package build skips them here.
    if DEB_BUILD_OPTIONS=nocheck sh "$top/packaging/build-deb.sh" "$out" >"$out/build.log" 2>&1; then
        ok "make deb: the package builds and lintian reports no error or warning"
    else
        not_ok "make deb: the package builds and lintian reports no error or warning"
        grep -E '^[EW]: ' "$out/build.log" | sed 's/^/       /'
        tail -n 5 "$out/build.log" | sed 's/^/       /'
        # Only lintian objected: the package is there, test it all the same.
        grep -q 'lintian found errors or warnings' "$out/build.log" || finish
    fi
    deb=$(ls "$out"/milter-verdict_*_*.deb | head -n 1)
fi

# --- install ----------------------------------------------------------------
echo "== installing $deb"
installed_by_us=1
if timeout 300 dpkg -i "$deb" >"$tmp/install.log" 2>&1 ||
    DEBIAN_FRONTEND=noninteractive timeout 300 apt-get -f install -y -qq >>"$tmp/install.log" 2>&1; then
    ok "dpkg -i installs the package"
else
    not_ok "dpkg -i installs the package"
    sed 's/^/       /' "$tmp/install.log" | tail -n 20
    finish
fi
check "package state is 'installed'" sh -c "dpkg-query -W -f='\${db:Status-Status}' $pkg | grep -qx installed"
# A machine running systemd would have started the service: stop it so that
# the test runs its own copy.
if [ -d /run/systemd/system ]; then systemctl stop milter-verdict.service 2>/dev/null || true; fi

# --- files ------------------------------------------------------------------
check "daemon /usr/sbin/milter-verdict is installed and runs" /usr/sbin/milter-verdict --version
check "man page milter-verdict(8)" test -f /usr/share/man/man8/milter-verdict.8.gz
check "man page milter-verdict.conf(5)" test -f /usr/share/man/man5/milter-verdict.conf.5.gz
check "bash completion /usr/share/bash-completion/completions/milter-verdict, the program's own" \
    sh -c "/usr/sbin/milter-verdict completion bash | cmp -s - /usr/share/bash-completion/completions/milter-verdict"
check "configuration $conf is a conffile" \
    sh -c "dpkg-query -W -f='\${Conffiles}\n' $pkg | grep -q '^ $conf '"
check "configuration is root-owned and not writable by others" \
    sh -c "[ \"\$(stat -c %U:%a $conf)\" = root:644 ]"
check "systemd unit installed" test -f "$unit"
check "unit: Type=notify, unprivileged User/Group, ExecReload sends SIGUSR1" sh -c "
    grep -qx 'Type=notify' $unit && grep -qx 'User=milter-verdict' $unit &&
    grep -qx 'Group=milter-verdict' $unit && grep -q '^ExecReload=.*kill -USR1 \\\$MAINPID' $unit"
check "systemd-analyze verify accepts the installed unit" systemd-analyze verify "$unit"
exposure=$(systemd-analyze security --offline=yes "$unit" 2>/dev/null |
    sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
echo "       systemd-analyze security --offline=yes: exposure ${exposure:-unknown}"
check "unit exposure (systemd-analyze security) is 2.0 or lower" \
    awk -v e="${exposure:-99}" 'BEGIN { exit !(e + 0 <= 2.0) }'
check "tmpfiles.d rule for the socket directory" \
    grep -q "^d $sockdir 0750 milter-verdict milter-verdict" /usr/lib/tmpfiles.d/milter-verdict.conf
# One source of truth for the account and the directories: the sysusers.d
# and tmpfiles.d files, applied by debhelper's own snippets
# (dh_installsysusers, dh_installtmpfiles); no hand-made adduser/addgroup or
# install -d in the maintainer scripts; the unit's StateDirectory= has the
# tmpfiles.d mode.
check "sysusers.d file declares the user, debhelper's snippets apply it and the tmpfiles.d file" sh -c "
    grep -q '^u milter-verdict - .* /var/lib/milter-verdict /usr/sbin/nologin\$' /usr/lib/sysusers.d/milter-verdict.conf &&
    grep -q '^d /var/lib/milter-verdict 0750 milter-verdict milter-verdict' /usr/lib/tmpfiles.d/milter-verdict.conf &&
    grep -q 'systemd-sysusers .*milter-verdict.conf' /var/lib/dpkg/info/$pkg.postinst &&
    grep -q 'systemd-tmpfiles .*--create milter-verdict.conf' /var/lib/dpkg/info/$pkg.postinst"
check "maintainer scripts create no user, group or directory by hand" sh -c "
    ! grep -Eq 'adduser --system|addgroup|useradd|groupadd|install -d' /var/lib/dpkg/info/$pkg.postinst"
check "unit StateDirectory=/RuntimeDirectory= modes equal the tmpfiles.d modes (0750)" sh -c "
    grep -qx 'StateDirectoryMode=0750' $unit && grep -qx 'RuntimeDirectoryMode=0750' $unit &&
    grep -q '^d /run/milter-verdict 0750 ' /usr/lib/tmpfiles.d/milter-verdict.conf"
check "copyright file is DEP-5 and says Apache-2.0 for every file" sh -c "
    f=/usr/share/doc/milter-verdict/copyright
    grep -qx 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/' \$f &&
    awk '/^Files: \\*\$/ { files = 1; next } files && /^License:/ { print; exit }' \$f |
        grep -qx 'License: Apache-2.0' &&
    grep -q '/usr/share/common-licenses/Apache-2.0' \$f"
check "Postfix and Sendmail examples installed" sh -c "
    cd /usr/share/doc/milter-verdict/examples && test -f main.cf.inet && test -f main.cf.unix &&
    test -f milter-verdict.mc"
demo=/usr/share/doc/milter-verdict/examples/milter-verdict.conf
check "the demo policy and the examples are documentation, uncompressed" sh -c "
    test -f $demo && test -f /usr/share/doc/milter-verdict/examples/mx-greylisting-redis.conf"
check "the installed configuration is the starter, not the demo (config/starter.conf)" \
    sh -c "! cmp -s $conf $demo && grep -q 'changes no delivery' $conf"
check "README.Debian gives the three steps" sh -c "
    zcat -f /usr/share/doc/milter-verdict/README.Debian* | grep -q 'Attach Postfix'"
check "Grafana dashboard and Prometheus alert rules under /usr/share/milter-verdict" sh -c "
    test -f /usr/share/milter-verdict/grafana/milter-verdict.json &&
    test -f /usr/share/milter-verdict/prometheus/milter-verdict.rules.yml"
check "the unit checks the configuration before every start and reload" sh -c "
    grep -q '^ExecStartPre=-/usr/sbin/milter-verdict check-config ' $unit &&
    grep -q '^ExecReload=/usr/sbin/milter-verdict check-config ' $unit"

# --- user, group, directories -----------------------------------------------
check "system user milter-verdict (uid < 1000, nologin, home the state dir)" sh -c "
    getent passwd $svc_user | awk -F: '{ exit !(\$3 < 1000 && \$6 == \"/var/lib/milter-verdict\" &&
        \$7 ~ /nologin\$/) }'"
check "group milter-verdict is the user's primary group" \
    sh -c "[ \"\$(id -gn $svc_user)\" = milter-verdict ]"
check "postfix is a member of group milter-verdict" \
    sh -c "id -nG postfix | tr ' ' '\n' | grep -qx milter-verdict"
check "state dir /var/lib/milter-verdict: milter-verdict:milter-verdict 0750" \
    sh -c "[ \"\$(stat -c %U:%G:%a /var/lib/milter-verdict)\" = milter-verdict:milter-verdict:750 ]"
check "socket dir $sockdir: milter-verdict:milter-verdict 0750" \
    sh -c "[ \"\$(stat -c %U:%G:%a $sockdir)\" = milter-verdict:milter-verdict:750 ]"
check "the installed configuration passes check-config (as the service user)" \
    runuser -u "$svc_user" -- /usr/sbin/milter-verdict check-config -c "$conf"
# Every shipped configuration (the sample and each example) passes
# check-config --strict as the service user on this host, with its user and
# groups: check-config warns about a socket_group the unit's unprivileged user
# cannot chown the socket to (PrivateUsers=yes maps no other group) and about
# a unix socket outside the directories the unit lets it write. A static
# check: starting each file under the unit's sandbox would need systemd here.
mkdir -p "$tmp/shipped"
cp -r /usr/share/doc/milter-verdict/examples/. "$tmp/shipped/"
find "$tmp/shipped" -name '*.gz' -exec gunzip -f {} +
cp "$conf" "$tmp/shipped/installed-milter-verdict.conf"
chmod -R a+rX "$tmp"
for f in "$tmp"/shipped/*.conf; do
    check "shipped $(basename "$f") passes check-config --strict as the service user" \
        runuser -u "$svc_user" -- /usr/sbin/milter-verdict check-config --strict -c "$f"
done

# --- start-up failures are final ------------------------------------------------
# Restart=on-failure with RestartSec=2s would start a daemon that cannot
# start every 2 s. Each start-up failure an admin can cause (a configuration
# that does not load, the small-office socket_group the unit's user cannot
# chown to, another user, a socket directory it cannot write, an address in
# use, a pid file it cannot write) is made here by starting the unit's
# ExecStart as the service user with such a file: its exit status must be in
# the installed unit's RestartPreventExitStatus= (systemd applies that to the
# main process only: ExecStartPre= must not be able to fail the start). A
# daemon that starts after all is stopped by timeout(1): exit 124, not listed.
if [ ! -d /run/milter-verdict ]; then
    install -d -o "$svc_user" -g "$svc_user" -m 0750 /run/milter-verdict
    made_rundir=1
fi
prevent=" $(sed -n 's/^RestartPreventExitStatus=//p' "$unit" | tr '\n' ' ') "
echo "       installed unit: RestartPreventExitStatus=$(echo $prevent)"
check "unit: Restart=on-failure, and the check before start cannot fail it (ExecStartPre=-)" sh -c "
    grep -qx 'Restart=on-failure' $unit && grep -q '^ExecStartPre=-/usr/sbin/milter-verdict check-config ' $unit &&
    ! grep -q '^ExecStartPre=[^-]' $unit"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
busy_port=$(free_port)
# A listener holding busy_port for the cases below (bounded, stopped by pid).
python3 -c "import socket, time; s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $busy_port)); s.listen(); time.sleep(60)" &
holder_pid=$!
mkdir -p "$tmp/exit"
exit_n=0
exit_case() { # NAME PATTERN DAEMON-SETTINGS [RULES]: expect a listed status and PATTERN on stderr
    name=$1 pattern=$2 settings=$3
    rules=${4:-'{ name = "all"; action = "accept"; }'}
    exit_n=$((exit_n + 1))
    f="$tmp/exit/case$exit_n.conf"
    printf 'daemon = { log = "syslog"; %s };\nrules = ( %s );\n' "$settings" "$rules" >"$f"
    chmod 0644 "$f"
    cmd=$(sed -n 's/^ExecStart=//p' "$unit" | sed "s|$conf|$f|")
    # shellcheck disable=SC2086
    timeout 10 setpriv --reuid="$svc_user" --regid="$svc_user" --init-groups --no-new-privs \
        --inh-caps=-all --bounding-set=-all -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
        sh -c 'umask 0007; exec "$@"' sh $cmd -l stderr >"$tmp/exit/case$exit_n.log" 2>&1
    st=$?
    case "$prevent" in
    *" $st "*) listed=yes ;;
    *) listed=no ;;
    esac
    if [ "$listed" = yes ] && grep -q "$pattern" "$tmp/exit/case$exit_n.log"; then
        ok "start-up failure is final: $name (exit $st, in RestartPreventExitStatus)"
    else
        not_ok "start-up failure is final: $name (exit $st; listed: $listed; message '$pattern')"
        sed 's/^/       /' "$tmp/exit/case$exit_n.log" | tail -n 5
    fi
}
port1=$(free_port)
exit_case "configuration does not load" 'configuration not loaded' \
    "socket = \"inet:$port1@127.0.0.1\";" '{ name = "broken"; action = "nonsense"; }'
exit_case "socket_group the service user is not in (small-office.conf with socket_group = postfix)" \
    'chown .*Operation not permitted' \
    "socket = \"unix:$sockdir/exit-test.sock\"; socket_mode = \"0660\"; socket_group = \"postfix\";"
exit_case "user other than the service user" 'refusing to run' \
    "socket = \"inet:$port1@127.0.0.1\"; user = \"postfix\";"
exit_case "unix socket in a directory the service user cannot write" 'cannot open socket' \
    "socket = \"unix:/var/spool/postfix/exit-test.sock\";"
exit_case "milter address in use" 'cannot open socket' "socket = \"inet:$busy_port@127.0.0.1\";"
exit_case "metrics address in use" 'metrics: cannot listen' \
    "socket = \"inet:$port1@127.0.0.1\"; metrics = \"127.0.0.1:$busy_port\";"
exit_case "pid file where the service user cannot write" 'pid file .*Permission denied' \
    "socket = \"inet:$port1@127.0.0.1\"; pid_file = \"/var/spool/postfix/exit-test.pid\";"
kill "$holder_pid" 2>/dev/null
wait "$holder_pid" 2>/dev/null
holder_pid=""
rm -f "$sockdir/exit-test.sock"
# The one failure a restart can cure (libmilter's listener failing once
# running, exit 75, milter-verdict(8) EXIT STATUS) must stay restartable.
check "a failure once running (exit 75) is not in RestartPreventExitStatus" \
    sh -c "case '$prevent' in *' 75 '*) exit 1 ;; esac"

# --- run as the service would -------------------------------------------------
# ExecStart of the installed unit, the socket moved to the Postfix chroot
# (-p, as main.cf.unix describes), the log on stderr (-l: there is no syslog
# daemon to read here), run by the service user with no
# capabilities, no new privileges and UMask=0007, with the RuntimeDirectory,
# the notify socket and a watchdog (2 s here) that systemd would provide.
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
if [ ! -d /run/milter-verdict ]; then
    install -d -o "$svc_user" -g "$svc_user" -m 0750 /run/milter-verdict
    made_rundir=1
fi
notify="$tmp/notify/notify.sock"
mkdir -p "$tmp/notify"
chmod 0755 "$tmp" "$tmp/notify"
python3 "$here/notify_listen.py" "$notify" >"$tmp/notify.log" 2>&1 &
notify_pid=$!
i=0
while [ ! -S "$notify" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
: >"$tmp/daemon.log"
chmod 0666 "$tmp/daemon.log"
# strace records every system call (all threads) for the filter audit below;
# it runs the daemon as its child and exits with the daemon's status.
# shellcheck disable=SC2086
strace -f -qq -o "$tmp/strace.log" \
    setpriv --reuid="$svc_user" --regid="$svc_user" --init-groups --no-new-privs \
    --inh-caps=-all --bounding-set=-all -- \
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin NOTIFY_SOCKET="$notify" WATCHDOG_USEC=2000000 \
    sh -c 'umask 0007; exec "$@"' sh $exec_start -p "unix:$sock" -l stderr >>"$tmp/daemon.log" 2>&1 &
strace_pid=$!
i=0
daemon_pid=""
while [ -z "$daemon_pid" ] && [ $i -lt 50 ]; do
    sleep 0.1
    daemon_pid=$(ps -o pid= --ppid "$strace_pid" | tr -d ' ' | head -n 1)
    i=$((i + 1))
done
i=0
while [ ! -S "$sock" ] && kill -0 "$daemon_pid" 2>/dev/null && [ $i -lt 100 ]; do
    sleep 0.1
    i=$((i + 1))
done
check "daemon started from the unit's ExecStart as milter-verdict opens $sock" test -S "$sock"
check "daemon runs as user milter-verdict" \
    sh -c "[ \"\$(ps -o user= -p $daemon_pid)\" = milter-verdict ]"
i=0
while ! grep -q 'READY=1' "$tmp/notify.log" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
check "daemon tells systemd READY=1 (Type=notify)" grep -q 'READY=1' "$tmp/notify.log"
check "socket is group milter-verdict, not reachable by others" \
    sh -c "stat -c %G:%A $sock | grep -Eq '^milter-verdict:srw.rw.---'"
# The unit grants no capability (CapabilityBoundingSet= empty); the running
# process must hold none, effective, permitted, inheritable or ambient.
check "daemon runs with no capabilities (CapEff, CapPrm, CapInh, CapAmb all 0)" \
    sh -c "for c in CapEff CapPrm CapInh CapAmb; do grep -qx \"\$c:[[:space:]]*0000000000000000\" /proc/$daemon_pid/status || exit 1; done"

# --- Postfix on the wire --------------------------------------------------------
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# main.cf.unix names the socket relative to Postfix's queue directory (its
# working directory, chrooted or not); the private queue gets the same entry.
mkdir -p "$tmp/postfix/queue"
ln -s "$sockdir" "$tmp/postfix/queue/milter-verdict"
milter=$(sed -n 's/^smtpd_milters = //p' /usr/share/doc/milter-verdict/examples/main.cf.unix)
if pf_start "$tmp/postfix" "$port" "$milter"; then ok "private Postfix starts (127.0.0.1:$port, smtpd_milters = $milter of main.cf.unix)"; else
    not_ok "private Postfix starts"
    sed 's/^/       /' "$tmp/postfix/start.log"
    finish
fi
i=0
while ! python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null &&
    [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done

client=${MV_PKG_CLIENT:-203.0.113.5}
rej_from=${MV_PKG_REJECT_FROM:-spammer@spam.example}
rcpt=${MV_PKG_RCPT:-user@example.org}
ok_from=${MV_PKG_ACCEPT_FROM:-alice@example.net}

# The installed configuration changes no delivery: mail that the demo policy
# refuses (a blocked sender domain, from a client outside every trusted
# network) is delivered, and the milter adds no header (Postfix's
# milter_header_checks would log "milter added a header").
python3 "$here/smtp_probe.py" "$port" client.example "$rej_from" "$rcpt" --xclient "$client" --data \
    >"$tmp/starter.txt" 2>&1
sed 's/^/       wire: /' "$tmp/starter.txt"
check "installed configuration: mail the demo refuses is accepted (250 after DATA)" \
    grep -q '^DATA 250 ' "$tmp/starter.txt"
i=0
while ! grep -q 'status=sent\|discard' "$tmp/postfix/maillog" && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
check "installed configuration: no header added, no milter refusal in Postfix's log" sh -c "
    ! grep -q 'milter added a header' $tmp/postfix/maillog && ! grep -q 'milter-reject' $tmp/postfix/maillog"

# The admin enables the demo policy from the examples and reloads.
cp "$demo" "$conf"
kill -USR1 "$daemon_pid" 2>/dev/null
i=0
while [ "$(grep -c 'RELOADING=1' "$tmp/notify.log")" -lt 1 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
sleep 1

# A rejection the demo configuration makes, for a client outside its
# trusted networks (Postfix's XCLIENT poses as one), and the reply lines
# `simulate` predicts for it: the wire must show exactly those lines.
/usr/sbin/milter-verdict simulate -c "$conf" --client "$client" --helo client.example \
    --from "$rej_from" --rcpt "$rcpt" >"$tmp/simulate.txt" 2>&1
# "  reply   550-5.7.1 text" -> "550 5.7.1 text", as the probe prints wire lines.
sed -n 's/^ *reply *\([245][0-9][0-9]\)[- ]/\1 /p' "$tmp/simulate.txt" >"$tmp/expect.txt"
sed 's/^/       simulate: /' "$tmp/expect.txt"
# Postfix logs a multi-line reply on one line; its last line appears as is.
expect=$(tail -n 1 "$tmp/expect.txt")
wire_refusal() { grep -E '^(MAIL|RCPT) [45]' "$1" | cut -d' ' -f2-; }
python3 "$here/smtp_probe.py" "$port" client.example "$rej_from" "$rcpt" --xclient "$client" \
    >"$tmp/reject.txt" 2>&1
sed 's/^/       wire: /' "$tmp/reject.txt"
wire_refusal "$tmp/reject.txt" >"$tmp/reject.lines"
check "configured rejection on the wire: a 5xx refusal, every line as simulate predicts" sh -c "
    grep -q '^5' $tmp/expect.txt && cmp $tmp/expect.txt $tmp/reject.lines"
python3 "$here/smtp_probe.py" "$port" client.example "$ok_from" "$rcpt" --xclient "$client" --data \
    >"$tmp/accept.txt" 2>&1
sed 's/^/       wire: /' "$tmp/accept.txt"
check "other mail is accepted through the milter (250 after DATA)" grep -q '^DATA 250 ' "$tmp/accept.txt"
i=0
while ! grep -q 'milter added a header' "$tmp/postfix/maillog" && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
check "the demo's header is added to accepted external mail (the no-header check can fail)" \
    grep -q 'header X-Milter-Verdict-Client: .*milter added a header' "$tmp/postfix/maillog"
check "Postfix logged the milter's reject with that reply" \
    sh -c "[ -n \"\$1\" ] && grep 'milter-reject: ' $tmp/postfix/maillog | grep -qF \"\$1\"" sh "$expect"

# --- reload and stop --------------------------------------------------------------
kill -USR1 "$daemon_pid" 2>/dev/null
sleep 1
check "SIGUSR1 (ExecReload) reloads: the daemon stays up" kill -0 "$daemon_pid"
check "reload is announced to systemd: RELOADING=1 then READY=1" \
    awk '/RELOADING=1/ { r = 1 } r && /READY=1/ { f = 1 } END { exit !f }' "$tmp/notify.log"
check "watchdog pings (WATCHDOG=1) while WATCHDOG_USEC is set" grep -q 'WATCHDOG=1' "$tmp/notify.log"
python3 "$here/smtp_probe.py" "$port" client.example "$rej_from" "$rcpt" --xclient "$client" \
    >"$tmp/reject2.txt" 2>&1
wire_refusal "$tmp/reject2.txt" >"$tmp/reject2.lines"
check "after the reload the same rejection is on the wire" cmp "$tmp/expect.txt" "$tmp/reject2.lines"
kill -TERM "$daemon_pid" 2>/dev/null
i=0
while kill -0 "$daemon_pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
if kill -0 "$daemon_pid" 2>/dev/null; then
    not_ok "SIGTERM stops the daemon within 10 s"
else
    wait "$strace_pid"
    check "SIGTERM stops the daemon within 10 s, exit status 0" test "$?" -eq 0
fi
daemon_pid=""
strace_pid=""
check "every system call the daemon made is allowed by the unit's SystemCallFilter" \
    python3 "$here/syscall_audit.py" "$unit" "$tmp/strace.log" "${exec_start%% *}"
sed -n 's/^calls made: /       system calls made: /p' "$tmp/check.out"
check "daemon said STOPPING=1 to systemd" grep -q 'STOPPING=1' "$tmp/notify.log"

# --- restart under traffic ----------------------------------------------------------
# `systemctl restart` as systemd does it (SIGTERM and wait, ExecStartPre,
# ExecStart, READY=1; three times, restart_window.py plays systemd, with the installed
# unit's command lines run as the service user) while 4 clients send mail
# through Postfix without a break: how many transactions Postfix answers 4xx
# (milter_default_action = tempfail while the daemon is away) and for how
# long. Printed; the only assertions are generous sanity bounds: the restart
# takes under 10 s, mail is accepted again after it, nothing is refused 5xx.
pre_cmd=$(sed -n 's/^ExecStartPre=-\{0,1\}//p' "$unit")
as_unit="setpriv --reuid=$svc_user --regid=$svc_user --init-groups --no-new-privs --inh-caps=-all --bounding-set=-all -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin"
mkdir -p "$tmp/notify2"
chmod 0755 "$tmp/notify2"
restart_pidfile="$tmp/restart.pid"
python3 "$here/restart_window.py" --port "$port" --client "$client" --from "$ok_from" --rcpt "$rcpt" \
    --notify "$tmp/notify2/notify.sock" --log "$tmp/restart-daemon.log" --pidfile "$restart_pidfile" \
    --pre "$as_unit $pre_cmd" \
    --start "exec $as_unit NOTIFY_SOCKET=$tmp/notify2/notify.sock sh -c 'umask 0007; exec \"\$@\"' sh $exec_start -p unix:$sock -l stderr" \
    >"$tmp/restart.txt" 2>&1
restart_rc=$?
# A restart_window.py killed half-way leaves its daemon: stop it by pid.
if [ -f "$restart_pidfile" ]; then
    rpid=$(cat "$restart_pidfile")
    kill -0 "$rpid" 2>/dev/null && kill -9 "$rpid" 2>/dev/null
fi
sed 's/^/       /' "$tmp/restart.txt"
result=$(sed -n 's/^result //p' "$tmp/restart.txt")
rv() { echo "$result" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
check "restart under traffic: the daemon is ready again within 10 s (sanity bound)" \
    sh -c "[ $restart_rc -eq 0 ] && [ '$(rv restart_ms)' -ge 0 ] && [ '$(rv restart_ms)' -lt 10000 ]"
check "restart under traffic: mail is accepted after the restart, none refused 5xx, window under 15 s" \
    sh -c "[ '$(rv ok_after_ready)' -gt 0 ] && [ '$(rv rejected)' -eq 0 ] && [ '$(rv window_ms)' -lt 15000 ]"
pf_stop "$tmp/postfix"

# --- the documented lines suffice: the daemon asks for its macros -------------------
# main.cf.{inet,unix} set no milter_*_macros: the daemon asks Postfix for
# what its rules use (smfi_setsymlist). A rule on {client_ptr}, which is in
# none of Postfix's default macro lists, must see it: the installed daemon
# (as the service user) behind a second private Postfix with only the
# documented smtpd_milters line refuses the transaction with its own text.
mport=$(free_port)
cat >"$tmp/macros.conf" <<EOF
daemon = { socket = "inet:$mport@127.0.0.1"; };
rules = ( { name = "ptr-seen"; when = { macro = { name = "{client_ptr}"; present = true; }; };
            action = "reject"; reply = { code = 550; enhanced = "5.7.1"; text = "client_ptr macro seen"; }; } );
EOF
chmod 0644 "$tmp/macros.conf"
# shellcheck disable=SC2086
$as_unit /usr/sbin/milter-verdict -f -l stderr -c "$tmp/macros.conf" >"$tmp/macros-daemon.log" 2>&1 &
daemon_pid=$!
i=0
while ! python3 -c "import socket; socket.create_connection(('127.0.0.1', $mport), 1)" 2>/dev/null &&
    kill -0 "$daemon_pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
port2=$(free_port)
mkdir -p "$tmp/postfix2"
if pf_start "$tmp/postfix2" "$port2" "inet:127.0.0.1:$mport"; then
    i=0
    while ! python3 -c "import socket; socket.create_connection(('127.0.0.1', $port2), 1)" 2>/dev/null &&
        [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
    python3 "$here/smtp_probe.py" "$port2" client.example "$ok_from" "$rcpt" --xclient "$client" \
        >"$tmp/macros.txt" 2>&1
    sed 's/^/       wire: /' "$tmp/macros.txt"
fi
check "documented lines only: the daemon gets a macro outside Postfix's default lists ({client_ptr})" \
    grep -q '^RCPT 550 5.7.1 client_ptr macro seen' "$tmp/macros.txt"
pf_stop "$tmp/postfix2"
kill -TERM "$daemon_pid" 2>/dev/null
wait "$daemon_pid" 2>/dev/null
daemon_pid=""
echo "       daemon log (last lines):"
tail -n 8 "$tmp/daemon.log" | sed 's/^/       | /'

# --- reinstall over itself (the upgrade path) -----------------------------------
# An administrator's edit of the conffile survives, the user keeps its uid,
# the maintainer scripts run again without error.
uid_before=$(id -u "$svc_user")
printf '# local edit by the package test\n' >>"$conf"
if timeout 300 dpkg -i "$deb" >"$tmp/reinstall.log" 2>&1; then ok "dpkg -i over the installed package (upgrade path) succeeds"; else
    not_ok "dpkg -i over the installed package (upgrade path) succeeds"
    sed 's/^/       /' "$tmp/reinstall.log" | tail -n 20
fi
check "after reinstall: the edited configuration is kept" grep -q '^# local edit by the package test' "$conf"
check "after reinstall: same user id, postfix still in the group" sh -c "
    [ \"\$(id -u $svc_user)\" = $uid_before ] && id -nG postfix | tr ' ' '\n' | grep -qx milter-verdict"

# An upgrade with a configuration that does not load: dpkg succeeds, the
# daemon is not restarted (a running one keeps its policy) and the postinst
# says why, with check-config's file:line message.
cp "$conf" "$tmp/conf.good"
printf 'rules = ( { name = "broken"; action = "nonsense"; } );\n' >>"$conf"
if timeout 300 dpkg -i "$deb" >"$tmp/upgrade-broken.log" 2>&1; then
    ok "upgrade with a broken configuration: dpkg -i succeeds"
else
    not_ok "upgrade with a broken configuration: dpkg -i succeeds"
fi
sed 's/^/       /' "$tmp/upgrade-broken.log" | grep -i 'milter-verdict:' | head -n 8
check "upgrade with a broken configuration: not restarted, and the reason is printed (file:line)" sh -c "
    grep -q 'does not load, so the daemon was not restarted' $tmp/upgrade-broken.log &&
    grep -q '$conf:[0-9]*: ' $tmp/upgrade-broken.log"
cp "$tmp/conf.good" "$conf"

# --- Postfix installed after the package ------------------------------------------
# The file trigger on /usr/sbin/postfix re-runs the postfix set-up: take
# postfix out of the group, fire the trigger as installing Postfix would.
gpasswd -d postfix milter-verdict >/dev/null 2>&1
if ! id -nG postfix | tr ' ' '\n' | grep -qx milter-verdict && dpkg-trigger --no-await /usr/sbin/postfix && timeout 120 dpkg --triggers-only "$pkg" >"$tmp/trigger.log" 2>&1 &&
    id -nG postfix | tr ' ' '\n' | grep -qx milter-verdict; then
    ok "installing Postfix later (trigger on /usr/sbin/postfix) puts postfix in the group"
else
    not_ok "installing Postfix later (trigger on /usr/sbin/postfix) puts postfix in the group"
    sed 's/^/       /' "$tmp/trigger.log" 2>/dev/null | tail -n 10
fi

# --- remove and purge -----------------------------------------------------------
if timeout 120 dpkg -r "$pkg" >"$tmp/remove.log" 2>&1; then ok "dpkg -r removes the package"; else
    not_ok "dpkg -r removes the package"
    sed 's/^/       /' "$tmp/remove.log" | tail -n 20
fi
check "after remove: daemon and unit gone" sh -c "! test -e /usr/sbin/milter-verdict && ! test -e $unit"
check "after remove: configuration kept" test -f "$conf"
check "after remove: user and group kept" sh -c "getent passwd $svc_user && getent group milter-verdict"
check "after remove: state directory kept" test -d /var/lib/milter-verdict
if timeout 120 dpkg -P "$pkg" >"$tmp/purge.log" 2>&1; then ok "dpkg -P purges the package"; else
    not_ok "dpkg -P purges the package"
    sed 's/^/       /' "$tmp/purge.log" | tail -n 20
fi
installed_by_us=0
check "after purge: dpkg knows nothing of the package" \
    sh -c "! dpkg-query -W -f='\${db:Status-Status}' $pkg 2>/dev/null | grep -qv '^not-installed\$'"
# Debian keeps system users on purge (files elsewhere may still carry the id).
check "after purge: system user and group kept, purge printed no userdel/crontab noise" sh -c "
    getent passwd $svc_user && getent group milter-verdict &&
    ! grep -qi 'userdel\|crontab' $tmp/purge.log"
check "after purge: state directory gone" test ! -e /var/lib/milter-verdict
check "after purge: socket directory gone" test ! -e "$sockdir"
check "after purge: /etc/milter-verdict gone" test ! -e /etc/milter-verdict

finish
