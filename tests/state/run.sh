#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# tests/state/run.sh - the state store's Redis tests against a real redis-server.
#
# 1. The CppUnit fixtures registered in the "state" suite ($MV_UNIT --suite
#    state); each test starts a private redis-server on a free 127.0.0.1 port
#    (--save '', no persistence) and stops it.
# 2. When $MV_BIN is set: `simulate --state redis` against a private
#    redis-server counts in the live database (a limit of 1 refuses the
#    second run, and the key is there with its TTL), and `--state memory`
#    does not touch it.
# Without redis-server the suite FAILS: `make check` installs it
# (scripts/install-deps.sh test). Ends with "state: N passed, M failed".
set -u
if ! command -v redis-server >/dev/null 2>&1; then
  echo "state: redis-server not found (apt-get install redis-server, or make deps-test)"
  echo "state: 0 passed, 1 failed"
  exit 1
fi
log=$(mktemp)
tmp=$(mktemp -d)
redis_pid=""
cleanup() {
  [ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null && wait "$redis_pid" 2>/dev/null
  rm -rf "$tmp" "$log"
}
trap cleanup EXIT INT TERM

"${MV_UNIT:?MV_UNIT not set}" --suite state 2>&1 | tee "$log"
line=$(grep -E '^state: [0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
pass=$(echo "$line" | sed -E 's/^state: ([0-9]+) passed.*/\1/')
fail=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
[ -z "$line" ] && { pass=0; fail=1; echo "state: the CppUnit suite did not finish"; }

check() {  # check NAME CONDITION-STATUS
  if [ "$2" -eq 0 ]; then pass=$((pass + 1)); echo "ok   $1"; else fail=$((fail + 1)); echo "FAIL $1"; fi
}

if [ -n "${MV_BIN:-}" ]; then
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --logfile /dev/null &
  redis_pid=$!
  i=0
  until redis-cli -p "$port" ping >/dev/null 2>&1 || [ $i -ge 50 ]; do sleep 0.1; i=$((i + 1)); done
  cat >"$tmp/sim.conf" <<CONF
state = { backend = "redis"; redis = { port = $port; prefix = "sim:"; }; };
rules = ( { name = "one-per-hour";
            when = { rate_limit = { key = "sender"; count = "message"; limit = "1/1h"; }; };
            action = "tempfail"; } );
CONF
  sim() {
    "$MV_BIN" simulate -c "$tmp/sim.conf" --state "$1" --client 192.0.2.1 --helo h.example \
      --from a@example.org --rcpt b@example.net 2>&1
  }
  first=$(sim redis)
  second=$(sim redis)
  memory=$(sim memory)
  echo "$first" | grep -q "^  reply   " ; check "state: simulate --state redis: first run has no refusal" $((1 - $?))
  echo "$second" | grep -q "^  reply   450 4.7.1 Rate limit exceeded" ; check "state: simulate --state redis: second run is refused (450 4.7.1), counted in Redis" $?
  ttl=$(redis-cli -p "$port" pttl 'sim:r:one-per-hour|a@example.org')
  [ "$ttl" -gt 3500000 ] 2>/dev/null && [ "$ttl" -le 3600000 ]; check "state: simulate --state redis: key sim:r:one-per-hour|a@example.org has a TTL of 1 h ($ttl ms)" $?
  echo "$memory" | grep -q "^  reply   " ; check "state: simulate --state memory: a fresh store, not Redis" $((1 - $?))
  echo "$first" | grep -q "^state   redis 127.0.0.1:$port" ; check "state: simulate names the store it runs against" $?
fi
echo "state: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
