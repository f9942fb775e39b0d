#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# run.sh - the Prometheus alert rules (packaging/prometheus/milter-verdict.rules.yml).
# Called by tests/run-all.sh alerts (env MV_BIN).
#
# 1. promtool check rules: the file is valid.
# 2. promtool test rules: each alert fires on the series that should raise it
#    and stays silent on a healthy daemon's (milter-verdict.rules.test.yml).
# 3. Every milter_verdict_* metric a rule reads is one the built daemon
#    exports: the daemon runs on loopback with its metrics endpoint, and each
#    name must have a "# TYPE" line in its /metrics (a renamed metric would
#    otherwise leave an alert that can never fire).
# The daemon is started and stopped by its pid; the run is bounded (30 s of
# waiting at most). Ends with "alerts: N passed, M failed".
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
rules=$top/packaging/prometheus/milter-verdict.rules.yml
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   alerts: $*"; }
not_ok() { fail=$((fail + 1)); echo "FAIL alerts: $*"; }
tmp=$(mktemp -d /tmp/mv-alerts.XXXXXX)
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

if ! command -v promtool >/dev/null; then
    not_ok "promtool present (scripts/install-deps.sh test installs prometheus)"
    echo "alerts: $pass passed, $fail failed"
    exit 1
fi
if promtool check rules "$rules" >"$tmp/check.out" 2>&1; then ok "promtool check rules accepts $(basename "$rules")"; else
    not_ok "promtool check rules accepts $(basename "$rules")"
    sed 's/^/       /' "$tmp/check.out"
fi
if (cd "$here" && promtool test rules milter-verdict.rules.test.yml) >"$tmp/test.out" 2>&1; then
    ok "promtool test rules: every alert fires on its series and not on healthy ones"
else
    not_ok "promtool test rules: every alert fires on its series and not on healthy ones"
    sed 's/^/       /' "$tmp/test.out" | head -n 40
fi

# 3. The names the rules read, against the built daemon's /metrics.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
mport=$(free_port)
hport=$(free_port)
cat >"$tmp/mv.conf" <<CONF
daemon = { socket = "inet:$mport@127.0.0.1"; metrics = "127.0.0.1:$hport"; log = "stderr"; };
rules = ( { name = "local"; when = { client_addr = ["127.0.0.0/8"]; }; action = "accept"; } );
CONF
if [ -z "${MV_BIN:-}" ] || [ ! -x "${MV_BIN:-}" ]; then
    not_ok "MV_BIN is the built daemon (MV_BIN=${MV_BIN:-})"
else
    "$MV_BIN" -f -c "$tmp/mv.conf" -P "$tmp/mv.pid" >"$tmp/daemon.log" 2>&1 &
    pid=$!
    python3 - "$hport" "$tmp/metrics.txt" <<'PY'
import sys, time, urllib.request
port, out = int(sys.argv[1]), sys.argv[2]
deadline = time.monotonic() + 30
while time.monotonic() < deadline:
    try:
        body = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5).read()
        open(out, "wb").write(body)
        break
    except OSError:
        time.sleep(0.2)
PY
    names=$(grep -oE 'milter_verdict_[a-z_]+' "$rules" | sort -u)
    missing=""
    for n in $names; do
        grep -q "^# TYPE $n " "$tmp/metrics.txt" 2>/dev/null || missing="$missing $n"
    done
    if [ -s "$tmp/metrics.txt" ] && [ -z "$missing" ]; then
        ok "every metric the rules read is exported by the daemon ($(echo "$names" | wc -l) names)"
    else
        not_ok "every metric the rules read is exported by the daemon (missing:${missing:- the scrape failed})"
        tail -n 5 "$tmp/daemon.log" | sed 's/^/       /'
    fi
fi
echo "alerts: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
