#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# tests/fuzz/run.sh - the fuzz suite of `make check`: replay every seed and regression input.
#
# For each target of tests/fuzz/targets.list, $MV_FUZZ_BIN/replay-NAME (the
# target built with g++ and ASan+UBSan around replay_main.cpp, `make
# fuzz-replay`) runs the seed corpus tests/fuzz/corpus/NAME as one case and
# each input of tests/fuzz/regressions/NAME (an input that once crashed the
# target) as a case of its own, each bounded by 120 s. A missing binary, a
# crash, a sanitizer report, a failed property or a timeout fails the case
# and shows the tail of its output. Ends with "fuzz: N passed, M failed".
set -u
here=$(cd "$(dirname "$0")" && pwd)
bin=${MV_FUZZ_BIN:?MV_FUZZ_BIN not set (the directory of the replay-NAME binaries)}
pass=0
fail=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

replay() {  # replay CASE-NAME BINARY INPUT...
  what=$1
  shift
  if timeout -k 5 120 env LSAN_OPTIONS=suppressions=$here/lsan.supp ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      "$@" >"$log" 2>&1; then
    pass=$((pass + 1))
    echo "ok   $what"
  else
    fail=$((fail + 1))
    echo "FAIL $what"
    grep -E 'replay: |ERROR|runtime error|property failed|SUMMARY' "$log" | tail -n 8 | sed 's/^/    /'
  fi
}

for name in $(sed -e 's/#.*//' "$here/targets.list" | awk 'NF {print $1}'); do
  exe="$bin/replay-$name"
  if [ ! -x "$exe" ]; then
    fail=$((fail + 1))
    echo "FAIL fuzz: $name: $exe missing (make O=build/asan SANITIZE=1 fuzz-replay)"
    continue
  fi
  seeds=$(ls "$here/corpus/$name" 2>/dev/null | wc -l)
  if [ "$seeds" -eq 0 ]; then
    fail=$((fail + 1))
    echo "FAIL fuzz: $name: no seed corpus in tests/fuzz/corpus/$name"
  else
    replay "fuzz: $name: $seeds seed inputs replay cleanly" "$exe" "$here/corpus/$name"
  fi
  for input in "$here/regressions/$name"/*; do
    [ -f "$input" ] || continue
    replay "fuzz: $name: regression $(basename "$input")" "$exe" "$input"
  done
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
