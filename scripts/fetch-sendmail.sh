#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# fetch-sendmail.sh DIR - a private, never-installed Sendmail for the tests.
#
# Debian's sendmail-bin and sendmail-cf conflict with postfix (both provide
# mail-transport-agent), so the Sendmail suite never installs them: this
# script fetches the .debs, and sasl2-bin for saslpasswd2 (the suite's SMTP
# AUTH user), with `apt-get download` (cached in DIR/debs, from
# /var/cache/apt/archives when they are there) and unpacks them with
# `dpkg-deb -x` into DIR/root. Libraries that sendmail-bin depends on and that
# are not installed on this machine (libwrap0 on a plain Debian 12) are
# fetched and unpacked the same way; the suite runs the binary with
# LD_LIBRARY_PATH=DIR/root/usr/lib/x86_64-linux-gnu, and this script checks
# with ldd that nothing is missing. The binary's setgid bit is cleared in the
# private copy (a setgid program ignores LD_LIBRARY_PATH; the tests run it as
# root anyway).
#
# apt runs under `flock /tmp/apt.lock` (other engineers use apt on this
# machine). Prints DIR/root on success (also when everything was already
# there: nothing is fetched twice); exits 1 with the reason otherwise.
set -eu

dir=${1:?usage: fetch-sendmail.sh DIR}
mkdir -p "$dir/debs"
dir=$(cd "$dir" && pwd)
debs=$dir/debs
root=$dir/root
stamp=$root/.unpacked
sm=$root/usr/libexec/sendmail/sendmail

if [ -f "$stamp" ] && [ -x "$sm" ] && [ -x "$root/usr/sbin/saslpasswd2" ]; then
  echo "$root"
  exit 0
fi

lock() { flock /tmp/apt.lock "$@"; }

# One package into $debs: the apt cache first (the candidate version, so that
# sendmail-bin and sendmail-cf match), then apt-get download (after an
# `apt-get update` when the package lists do not know it yet).
fetch() {
  pkg=$1
  ls "$debs/${pkg}"_*.deb >/dev/null 2>&1 && return 0
  ver=$(apt-cache policy "$pkg" 2>/dev/null | sed -n 's/^ *Candidate: //p' | sed 's/:/%3a/')
  case "$ver" in "" | "(none)") ver=none ;; esac
  for f in /var/cache/apt/archives/"${pkg}_${ver}"_*.deb; do
    [ -f "$f" ] || continue
    cp "$f" "$debs/"
    return 0
  done
  if ! (cd "$debs" && lock apt-get download -q "$pkg") >"$dir/apt.log" 2>&1; then
    lock apt-get update -qq >>"$dir/apt.log" 2>&1 || true
    if ! (cd "$debs" && lock apt-get download -q "$pkg") >>"$dir/apt.log" 2>&1; then
      echo "fetch-sendmail.sh: apt-get download $pkg failed:" >&2
      cat "$dir/apt.log" >&2
      exit 1
    fi
  fi
}

installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

# The lib* packages of a .deb's Depends (alternatives: the first), without versions.
lib_depends() {
  dpkg-deb -f "$1" Depends | tr ',' '\n' | sed -e 's/|.*//' -e 's/(.*)//' -e 's/[[:space:]]//g' \
    -e 's/:any$//' | grep '^lib' || true
}

# sasl2-bin: saslpasswd2, for the SMTP AUTH user of the tests' sasldb.
fetch sendmail-bin
fetch sendmail-cf
fetch sasl2-bin
rm -rf "$root"
mkdir -p "$root"
for pkg in sendmail-bin sendmail-cf sasl2-bin; do
  dpkg-deb -x "$debs/${pkg}"_*.deb "$root"
done

# Runtime libraries not on this machine, and theirs, two levels deep.
todo="$(lib_depends "$debs"/sendmail-bin_*.deb) $(lib_depends "$debs"/sasl2-bin_*.deb)"
done_list=""
for _level in 1 2; do
  next=""
  for pkg in $todo; do
    case " $done_list " in *" $pkg "*) continue ;; esac
    done_list="$done_list $pkg"
    installed "$pkg" && continue
    fetch "$pkg"
    dpkg-deb -x "$debs/${pkg}"_*.deb "$root"
    next="$next $(lib_depends "$debs/${pkg}"_*.deb)"
  done
  todo=$next
done

chmod g-s "$sm"
libs=$root/usr/lib/x86_64-linux-gnu:$root/lib/x86_64-linux-gnu
for bin in "$sm" "$root/usr/sbin/saslpasswd2"; do
  missing=$(LD_LIBRARY_PATH=$libs ldd "$bin" | grep "not found" || true)
  if [ -n "$missing" ]; then
    echo "fetch-sendmail.sh: $bin still lacks libraries:" >&2
    echo "$missing" >&2
    exit 1
  fi
done
[ -f "$root/usr/share/sendmail/cf/m4/cf.m4" ] || {
  echo "fetch-sendmail.sh: sendmail-cf unpacked without cf/m4/cf.m4" >&2
  exit 1
}
touch "$stamp"
echo "$root"
