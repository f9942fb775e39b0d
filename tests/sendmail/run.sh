#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# run.sh - end-to-end tests: milter-verdict ($MV_BIN) behind a private, real
# Sendmail on loopback. Called by tests/run-all.sh sendmail.
#
# Fetches Debian's sendmail-bin and sendmail-cf (scripts/fetch-sendmail.sh:
# apt-get download, dpkg-deb -x, never installed; cached under
# $MV_SENDMAIL_DIR, default build/sendmail), then runs the Python suite
# sendmail_e2e.py (standard library only, shares tests/e2e/harness) bounded
# by MV_SENDMAIL_TIMEOUT seconds (default 1200). Without the suite's own
# summary line it prints "sendmail: 0 passed, 1 failed".
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
: "${MV_BIN:?MV_BIN not set}"
python=/usr/bin/python3
[ -x "$python" ] || python=python3
smdir=${MV_SENDMAIL_DIR:-$top/build/sendmail}
if ! root=$(sh "$top/scripts/fetch-sendmail.sh" "$smdir"); then
  echo "FAIL setup: fetch and unpack Debian's sendmail-bin and sendmail-cf (see above)"
  echo "sendmail: 0 passed, 1 failed"
  exit 1
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
MV_SENDMAIL_ROOT=$root timeout -k 20 "${MV_SENDMAIL_TIMEOUT:-1200}" \
  "$python" -u "$here/sendmail_e2e.py" 2>&1 | tee "$out"
status=$(grep -E '^sendmail: [0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1)
if [ -z "$status" ]; then
  echo "sendmail: 0 passed, 1 failed"
  exit 1
fi
case "$status" in
  *", 0 failed") exit 0 ;;
  *) exit 1 ;;
esac
