#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# run.sh - end-to-end tests: milter-verdict ($MV_BIN) behind a private Postfix
# on loopback, plus miltertest protocol scripts. Called by tests/run-all.sh e2e.
#
# The suite is Python 3 (standard library only): tests/e2e/e2e.py. This
# wrapper bounds the whole run in time (MV_E2E_TIMEOUT seconds, default 1500: the suite grew past 600 s on a loaded 2-core machine);
# e2e.py cleans up on the SIGTERM that timeout(1) sends, and a second KILL
# follows 20 s later. If the suite ends without its summary line (killed,
# crashed), this prints "e2e: 0 passed, 1 failed" so the run is never
# mistaken for a pass.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${MV_BIN:?MV_BIN not set}"
python=/usr/bin/python3
[ -x "$python" ] || python=python3
out=$(mktemp)
trap 'rm -f "$out"' EXIT
timeout -k 20 "${MV_E2E_TIMEOUT:-1500}" "$python" -u "$here/e2e.py" 2>&1 | tee "$out"
status=$(grep -E '^e2e: [0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1)
if [ -z "$status" ]; then
  echo "e2e: 0 passed, 1 failed"
  exit 1
fi
case "$status" in
  *", 0 failed") exit 0 ;;
  *) exit 1 ;;
esac
