#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# fuzz.sh BUILD SECONDS [TARGET...] - run libFuzzer targets; `make fuzz` calls it.
#
# Every target of tests/fuzz/targets.list (or the ones named) runs for its
# share of SECONDS (at least 10 s each), one after the other (the machine has
# two shared cores), as BUILD/fuzz/fuzz-NAME with its options from the list,
# -timeout=10 (an input that takes longer is a hang), -rss_limit_mb=2048 and
# ASan's leak check. The working corpus is BUILD/corpus/NAME: libFuzzer adds
# the inputs it finds there and starts from it, the seed corpus
# tests/fuzz/corpus/NAME and the regression inputs tests/fuzz/regressions/NAME
# (read, never written). A crash, leak, timeout or out-of-memory input is
# kept in BUILD/crashes/NAME/ (crash-*, leak-*, timeout-*, oom-*); turn it
# into a regression input by copying it to tests/fuzz/regressions/NAME/ with a
# name that says what it found, and fix the bug (README-fuzz.txt).
#
# Prints one line per target (runs, executions per second, coverage, corpus
# size, time, result) and "fuzz: N targets, M failed"; exits 1 when any failed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: fuzz.sh BUILD SECONDS [TARGET...]}
total=${2:?usage: fuzz.sh BUILD SECONDS [TARGET...]}
shift 2
list=$(sed -e 's/#.*//' "$here/targets.list" | awk 'NF')
[ $# -gt 0 ] && list=$(for t in "$@"; do echo "$list" | awk -v t="$t" '$1 == t'; done)
count=$(echo "$list" | awk 'NF' | wc -l)
[ "$count" -gt 0 ] || { echo "fuzz: no target"; exit 1; }
each=$((total / count))
[ "$each" -lt 10 ] && each=10

failed=0
echo "$list" | awk 'NF' >"$build/targets.run"
while read -r name opts; do
  bin="$build/fuzz/fuzz-$name"
  corpus="$build/corpus/$name"
  crashes="$build/crashes/$name"
  log="$build/logs/$name.log"
  mkdir -p "$corpus" "$crashes" "$build/logs" "$here/regressions/$name"
  if [ ! -x "$bin" ]; then
    echo "fuzz $name: $bin missing (make FUZZ=1 O=$build fuzz-bins)"
    failed=$((failed + 1))
    continue
  fi
  started=$(date +%s)
  # shellcheck disable=SC2086
  LSAN_OPTIONS=suppressions=$here/lsan.supp ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:symbolize=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$bin" $opts -max_total_time="$each" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$crashes/" \
      "$corpus" "$here/corpus/$name" "$here/regressions/$name" >"$log" 2>&1 </dev/null
  rc=$?
  took=$(( $(date +%s) - started ))
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -n 1 | sed 's/cov: //')
  files=$(ls "$corpus" | wc -l)
  found=$(ls "$crashes" | wc -l)
  if [ "$rc" -eq 0 ] && [ "$found" -eq 0 ]; then
    result="clean"
  else
    result="FAILED (exit $rc, $found inputs in $crashes; log $log)"
    failed=$((failed + 1))
    grep -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|property failed|SUMMARY' \
      "$log" | head -n 5 | sed 's/^/    /'
  fi
  line="fuzz $name: ${runs:-0} runs (${speed:-0}/s), cov ${cov:-0}, corpus $files, ${took} s: $result"
  echo "$line"
done <"$build/targets.run"
echo "fuzz: $count targets, $failed failed"
[ "$failed" -eq 0 ]
