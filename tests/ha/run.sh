#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# run.sh - the Redis Sentinel failover suite (tests/ha/ha.py) with $MV_BIN.
# Called by tests/run-all.sh ha (make check, make check-ha). Bounded in time
# (MV_HA_TIMEOUT seconds, default 300); if the suite ends without its summary
# line this prints "ha: 0 passed, 1 failed".
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${MV_BIN:?MV_BIN not set}"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
timeout -k 20 "${MV_HA_TIMEOUT:-300}" python3 -u "$here/ha.py" 2>&1 | tee "$out"
status=$(grep -E '^ha: [0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1)
if [ -z "$status" ]; then
  echo "ha: 0 passed, 1 failed"
  exit 1
fi
case "$status" in
  *", 0 failed") exit 0 ;;
  *) exit 1 ;;
esac
