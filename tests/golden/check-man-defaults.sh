#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# check-man-defaults.sh MAN_PAGE - the table of default replies in the man page
# (between the BEGIN DEFAULTS and END DEFAULTS comment lines) is exactly what
# `milter-verdict explain --defaults --format man` prints ($MV). With
# --write, rewrite the man page's block instead (make man-defaults).
set -u
man=${1:?man page}
want=$(mktemp)
have=$(mktemp)
trap 'rm -f "$want" "$have"' EXIT
"${MV:?MV not set}" explain --defaults --format man >"$want" || exit 1
if ! grep -q '^\.\\" BEGIN DEFAULTS' "$man" || ! grep -q '^\.\\" END DEFAULTS' "$man"; then
  echo "$man: no BEGIN DEFAULTS / END DEFAULTS block"
  exit 1
fi
if [ "${2:-}" = --write ]; then
  awk -v table="$want" '
    /^\.\\" END DEFAULTS/ { while ((getline line < table) > 0) print line; skip = 0 }
    !skip { print }
    /^\.\\" BEGIN DEFAULTS/ { skip = 1 }' "$man" >"$have" && cat "$have" >"$man"
  exit $?
fi
sed -n '/^\.\\" BEGIN DEFAULTS/,/^\.\\" END DEFAULTS/p' "$man" | sed '1d;$d' >"$have"
if diff -u "$have" "$want"; then
  echo "man page defaults table: $(grep -c '^T}' "$want") rows, same as explain --defaults"
else
  echo "man page defaults table differs from explain --defaults (make man-defaults rewrites it)"
  exit 1
fi
