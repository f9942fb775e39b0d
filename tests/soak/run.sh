#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# run.sh - the soak and fault runs (tests/soak/soak.py) for `make soak` and
# `make soak-faults`: milter-verdict ($MV_BIN) behind a private Postfix on
# loopback under SOAK_SESSIONS concurrent SMTP sessions. Never part of
# `make check` (ten minutes and more, and the whole machine).
#
# The run is bounded in time: SOAK_SECONDS (soak) and SOAK_FAULT_SECONDS for
# each phase named (plus one) plus 15 minutes for start, drain and checks; soak.py cleans up on
# the SIGTERM that timeout(1) sends, a KILL follows 30 s later. Without its
# summary line (killed, crashed) the run prints "soak: 0 passed, 1 failed".
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${MV_BIN:?MV_BIN not set}"
phases=${SOAK_PHASES:-soak}
n_phases=$(echo "$phases" | tr ',' '\n' | grep -c .)
budget=$(( ${SOAK_SECONDS:-600} + (n_phases + 1) * ${SOAK_FAULT_SECONDS:-120} + 900 ))
out=$(mktemp)
trap 'rm -f "$out"' EXIT
SOAK_PHASES=$phases timeout -k 30 "$budget" python3 -u "$here/soak.py" 2>&1 | tee "$out"
status=$(grep -E '^soak: [0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1)
if [ -z "$status" ]; then
  echo "soak: 0 passed, 1 failed"
  exit 1
fi
case "$status" in
  *", 0 failed") exit 0 ;;
  *) exit 1 ;;
esac
