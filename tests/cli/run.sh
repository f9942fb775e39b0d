#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The command line as one table (plugin/cli/options.cpp), checked from the
# outside ($MV_BIN):
#   * the SYNOPSIS of milter-verdict(8) says what the table says
#     (man_synopsis.py check: the page as mandoc renders it against the
#     synopsis lines of `milter-verdict --help`);
#   * mandoc -Tlint has nothing to say about man/*.5 man/*.8, and groff no
#     warning (a table wider than an 80-column terminal among them);
#   * every command's --help and `help COMMAND` print its usage and exit 0, an
#     unknown option prints "PROGRAM: unknown option '...'" and that same usage
#     to stderr and exits 64, a missing value exits 64 too;
#   * --version names each linked library, with the version the system's
#     package of it has (dpkg-query) where the library reports its own;
#   * -t and check-config end with the same summary line;
#   * the bash completion script (`milter-verdict completion bash`) sourced
#     in bash completes sub-commands, options, choices and files.
# Ends with "cli: N passed, M failed".
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
MV=${MV_BIN:?MV_BIN not set}
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; [ -n "${2:-}" ] && printf '%s\n' "$2" | head -n 20; }

# The man page's SYNOPSIS against the table.
if out=$(python3 "$here/man_synopsis.py" check "$MV" "$top/man/milter-verdict.8" 2>&1); then
  ok "man SYNOPSIS of milter-verdict(8) matches the command table"
else
  bad "man SYNOPSIS of milter-verdict(8) matches the command table (make man-synopsis)" "$out"
fi

# Lint: mandoc's every level (style included), then groff's warnings at the
# width man(1) uses on an 80-column terminal.
if out=$(mandoc -Tlint "$top"/man/*.5 "$top"/man/*.8 2>&1) && [ -z "$out" ]; then
  ok "mandoc -Tlint man/*.5 man/*.8: nothing to report"
else
  bad "mandoc -Tlint man/*.5 man/*.8: nothing to report" "$out"
fi
for page in "$top"/man/*.5 "$top"/man/*.8; do
  out=$(groff -t -man -Tutf8 -ww -rLL=78n -z "$page" 2>&1)
  if [ -z "$out" ]; then ok "groff -ww: no warning for $(basename "$page")"
  else bad "groff -ww: no warning for $(basename "$page")" "$out"; fi
done

# Help and usage errors, for the daemon and every sub-command. The commands
# are the ones `milter-verdict help` lists (the table's).
cmds=$("$MV" --help | sed -n 's/^\(usage:\)\{0,1\} *milter-verdict \([a-z][a-z-]*\).*/\2/p' | sort -u)
[ -n "$cmds" ] && ok "help lists the sub-commands: $(echo $cmds)" || bad "help lists the sub-commands"
for c in "" $cmds; do
  name=${c:-daemon}
  "$MV" $c --help >"$tmp/help" 2>"$tmp/help.err"; s=$?
  if [ "$s" -eq 0 ] && [ ! -s "$tmp/help.err" ] && head -n 1 "$tmp/help" | grep -q "^usage: milter-verdict $c"; then
    ok "$name --help: its usage on stdout, exit 0"
  else
    bad "$name --help: its usage on stdout, exit 0 (exit $s)" "$(cat "$tmp/help" "$tmp/help.err")"
  fi
  "$MV" $c -h >"$tmp/h" 2>&1
  cmp -s "$tmp/h" "$tmp/help" && ok "$name -h = --help" || bad "$name -h = --help"
  if [ -n "$c" ]; then
    "$MV" help "$c" >"$tmp/h2" 2>&1; s=$?
    [ "$s" -eq 0 ] && cmp -s "$tmp/h2" "$tmp/help" && ok "help $c = $c --help" || bad "help $c = $c --help (exit $s)"
  fi
  "$MV" $c --no-such-option >"$tmp/out" 2>"$tmp/err"; s=$?
  { echo "milter-verdict${c:+ $c}: unknown option '--no-such-option'"; cat "$tmp/help"; } >"$tmp/want"
  if [ "$s" -eq 64 ] && [ ! -s "$tmp/out" ] && cmp -s "$tmp/err" "$tmp/want"; then
    ok "$name --no-such-option: the same usage on stderr, exit 64"
  else
    bad "$name --no-such-option: the same usage on stderr, exit 64 (exit $s)" "$(diff "$tmp/want" "$tmp/err")"
  fi
done
# A missing value, in each command that has a -c or --config.
for c in "" check-config simulate stats state test; do
  "$MV" $c -c >/dev/null 2>"$tmp/err"; s=$?
  if [ "$s" -eq 64 ] && head -n 1 "$tmp/err" | grep -q "option -c needs a value"; then
    ok "${c:-daemon} -c without a value: exit 64"
  else
    bad "${c:-daemon} -c without a value: exit 64 (exit $s)" "$(head -n 2 "$tmp/err")"
  fi
done
"$MV" no-such-command >/dev/null 2>"$tmp/err"; s=$?
[ "$s" -eq 64 ] && head -n 1 "$tmp/err" | grep -q "unknown command 'no-such-command'" &&
  ok "an unknown sub-command: exit 64" || bad "an unknown sub-command: exit 64 (exit $s)" "$(head -n 2 "$tmp/err")"

# --version: each library, and the installed package's version for those
# that report their own at run time (Debian's upstream version, without the
# epoch and the Debian revision).
"$MV" --version >"$tmp/version" 2>&1; s=$?
[ "$s" -eq 0 ] && head -n 1 "$tmp/version" | grep -q "^milter-verdict [0-9]" &&
  ok "--version: exit 0, the program's version first" || bad "--version: exit 0 (exit $s)" "$(cat "$tmp/version")"
"$MV" -V | cmp -s - "$tmp/version" && ok "-V = --version" || bad "-V = --version"
for lib in libmilter libconfig++ RE2 fmt hiredis libidn2 libunbound civetweb; do
  grep -q "^$lib [^ ]" "$tmp/version" && ok "--version names $lib" || bad "--version names $lib" "$(cat "$tmp/version")"
done
upstream() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null | sed -e 's/^[0-9]*://' -e 's/[-+~].*//'; }
for pair in libidn2:libidn2-0 libunbound:libunbound8 civetweb:libcivetweb1 libconfig++:libconfig++9v5 hiredis:libhiredis0.14 fmt:libfmt9; do
  lib=${pair%%:*}; pkg=${pair#*:}
  v=$(upstream "$pkg")
  if [ -z "$v" ]; then bad "--version $lib: package $pkg not installed"; continue; fi
  if grep -q "^$lib $v\b" "$tmp/version"; then ok "--version $lib $v (package $pkg)"
  else bad "--version $lib is $v (package $pkg)" "$(grep "^$lib " "$tmp/version")"; fi
done

# -t and check-config: the same report, and -t the sockets after it.
conf=$top/tests/golden/configs/daemon-minimal.conf
"$MV" check-config -c "$conf" >"$tmp/cc" 2>&1; s1=$?
"$MV" -t -c "$conf" >"$tmp/t" 2>&1; s2=$?
if [ "$s1" -eq 0 ] && [ "$s2" -eq 0 ] && head -n "$(wc -l <"$tmp/cc")" "$tmp/t" | cmp -s - "$tmp/cc" &&
   tail -n 1 "$tmp/t" | grep -q "^$conf: milter socket inet:8890@127.0.0.1, policy socket none$"; then
  ok "-t reports as check-config does, then the sockets"
else
  bad "-t reports as check-config does, then the sockets" "$(cat "$tmp/cc" "$tmp/t")"
fi
bad_conf=$top/tests/golden/configs/bad.conf
"$MV" check-config -c "$bad_conf" >"$tmp/cc" 2>&1; s1=$?
"$MV" -t -c "$bad_conf" >"$tmp/t" 2>&1; s2=$?
[ "$s1" -eq 78 ] && [ "$s2" -eq 78 ] && cmp -s "$tmp/cc" "$tmp/t" &&
  ok "-t and check-config: the same report of a broken file, exit 78" ||
  bad "-t and check-config: the same report of a broken file, exit 78 ($s1, $s2)" "$(diff "$tmp/cc" "$tmp/t")"

# Bash completion, generated from the table and sourced in a bash.
"$MV" completion bash >"$tmp/completion.bash"; s=$?
[ "$s" -eq 0 ] && bash -n "$tmp/completion.bash" && ok "completion bash: a script bash parses" ||
  bad "completion bash: a script bash parses (exit $s)"
touch "$tmp/policy-a.conf" "$tmp/policy-b.conf"
complete_words() {
  bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=(); _milter_verdict
           echo "${COMPREPLY[*]}"' sh "$tmp/completion.bash" "$@"
}
expect_completion() {
  want=$1; shift
  got=$(complete_words "$@")
  [ "$got" = "$want" ] && ok "completion of '$*': $want" || bad "completion of '$*': want '$want', got '$got'"
}
expect_completion "check-config" milter-verdict chec
expect_completion "simulate" milter-verdict sim
expect_completion "--mta" milter-verdict check-config --m
expect_completion "postfix sendmail" milter-verdict check-config --mta ""
expect_completion "text tsv man" milter-verdict explain --defaults --format ""
expect_completion "syslog stderr" milter-verdict -l s
expect_completion "--client --client-name --client-resolve" milter-verdict simulate --cl
expect_completion "-c --config -m --metrics --all -h --help" milter-verdict stats -
expect_completion "list" milter-verdict state -c "$tmp/policy-a.conf" li
expect_completion "--timeout --tls" milter-verdict test --t
expect_completion "$tmp/policy-a.conf $tmp/policy-b.conf" milter-verdict check-config -c "$tmp/policy-"
expect_completion "explain" milter-verdict help exp
expect_completion "root" milter-verdict -u roo
# The daemon's options are not a sub-command's: -t is the daemon's only.
expect_completion "" milter-verdict check-config -t

echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
