#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# run-all.sh SUITE... - run test suites and print one summary line.
#
# Each suite is tests/<suite>/run.sh (unit: the CppUnit runner in $MV_UNIT).
# A suite prints its own lines and ends with "<suite>: N passed, M failed".
# A suite that ends without that line (a crash, a missing tool) counts as one
# failure. Prints "N passed, M failed" over every suite last; exits 1 on any
# failure.
set -u
here=$(cd "$(dirname "$0")" && pwd)
total_pass=0
total_fail=0
for suite in "$@"; do
  log=$(mktemp)
  echo "== $suite"
  if [ "$suite" = unit ]; then
    "${MV_UNIT:?MV_UNIT not set}" 2>&1 | tee "$log"
  else
    sh "$here/$suite/run.sh" 2>&1 | tee "$log"
  fi
  line=$(grep -E "^$suite: [0-9]+ passed, [0-9]+ failed" "$log" | tail -n 1)
  rm -f "$log"
  if [ -z "$line" ]; then
    echo "$suite: suite did not finish (no summary line): counted as 1 failure"
    total_fail=$((total_fail + 1))
    continue
  fi
  p=$(echo "$line" | sed -E 's/^[a-z0-9_-]+: ([0-9]+) passed, ([0-9]+) failed.*/\1/')
  f=$(echo "$line" | sed -E 's/^[a-z0-9_-]+: ([0-9]+) passed, ([0-9]+) failed.*/\2/')
  total_pass=$((total_pass + p))
  total_fail=$((total_fail + f))
done
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
