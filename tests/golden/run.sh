#!/bin/sh
# Golden-file tests: for every tests/golden/cases/NAME.cmd, run its command
# line (with $MV the milter-verdict binary) from tests/golden/, stdout and
# stderr merged, and compare with NAME.out and the exit status with
# NAME.status (0 when absent). MV_UPDATE_GOLDEN=1 rewrites the expected files.
set -u
here=$(cd "$(dirname "$0")" && pwd)
MV=${MV_BIN:?MV_BIN not set}
export MV
cd "$here" || exit 1
pass=0
fail=0
for cmd in cases/*.cmd; do
  [ -e "$cmd" ] || continue
  name=${cmd%.cmd}
  actual=$(mktemp)
  sh -c "$(cat "$cmd")" >"$actual" 2>&1
  status=$?
  want_status=0
  [ -f "$name.status" ] && want_status=$(cat "$name.status")
  if [ "${MV_UPDATE_GOLDEN:-}" = 1 ]; then
    cp "$actual" "$name.out"
    if [ "$status" -ne 0 ]; then echo "$status" >"$name.status"; else rm -f "$name.status"; fi
  fi
  if [ "$status" -eq "$want_status" ] && diff -u "$name.out" "$actual" >/dev/null 2>&1; then
    pass=$((pass + 1))
    echo "ok   $name"
  else
    fail=$((fail + 1))
    echo "FAIL $name (exit $status, expected $want_status)"
    diff -u "$name.out" "$actual" | head -n 40
  fi
  rm -f "$actual"
done
echo "golden: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
