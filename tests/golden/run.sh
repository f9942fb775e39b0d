#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Golden-file tests: for every tests/golden/cases/NAME.cmd, run its command
# line (with $MV the milter-verdict binary) from tests/golden/, stdout and
# stderr merged, and compare with NAME.out and the exit status with
# NAME.status (0 when absent). MV_UPDATE_GOLDEN=1 rewrites the expected files.
# Durations ("read in 0.0 s", "loaded in 0.0 s") are compared as "in N.N s":
# a loaded machine (or the sanitizer build) takes 0.1 s where an idle one
# takes 0.0, and the time is not what a case asserts.
set -u
here=$(cd "$(dirname "$0")" && pwd)
MV=${MV_BIN:?MV_BIN not set}
export MV
cd "$here" || exit 1
norm() { sed -E 's/ in [0-9]+\.[0-9]+ s\b/ in N.N s/g' "$1"; }
pass=0
fail=0
for cmd in cases/*.cmd; do
  [ -e "$cmd" ] || continue
  name=${cmd%.cmd}
  actual=$(mktemp)
  sh -c "$(cat "$cmd")" >"$actual" 2>&1
  status=$?
  norm "$actual" >"$actual.n"
  want_status=0
  [ -f "$name.status" ] && want_status=$(cat "$name.status")
  if [ "${MV_UPDATE_GOLDEN:-}" = 1 ]; then
    cp "$actual" "$name.out"
    if [ "$status" -ne 0 ]; then echo "$status" >"$name.status"; else rm -f "$name.status"; fi
  fi
  if [ "$status" -eq "$want_status" ] && norm "$name.out" | diff -u - "$actual.n" >/dev/null 2>&1; then
    pass=$((pass + 1))
    echo "ok   $name"
  else
    fail=$((fail + 1))
    echo "FAIL $name (exit $status, expected $want_status)"
    norm "$name.out" | diff -u - "$actual.n" | head -n 40
  fi
  rm -f "$actual" "$actual.n"
done
echo "golden: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
