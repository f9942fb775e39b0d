#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# install-deps.sh GROUP... - install the Debian packages a group needs, when missing.
#   build   compiler and libraries to build milter-verdict
#   test    what `make check` runs: CppUnit, Postfix, miltertest, Python, Redis and redis-sentinel, nsd,
#           m4 (the Sendmail suite builds sendmail.cf; Sendmail itself is fetched
#           by scripts/fetch-sendmail.sh and never installed: it conflicts with postfix),
#           Prometheus (promtool), libsasl2-modules (the Sendmail AUTH case),
#           mandoc and groff-base (the cli suite lints the man pages)
#   fuzz    what `make fuzz` adds: clang 14 with libFuzzer and its sanitizer runtimes
#   package what `make deb`, `make rpm` and `make package-test` (the package
#           suite of `make check`) use: build-essential (dpkg-checkbuilddeps
#           requires it of every build), Debian and RPM build tools, lintian,
#           systemd-analyze (package systemd), strace, setpriv and runuser
#           (util-linux), adduser (the .deb depends on it; the suite installs
#           it with dpkg -i), CppUnit (a Build-Depends of the .deb)
# Non-interactive; runs `apt-get update` once, only when something is missing.
# Needs root to install; without root it lists what is missing and fails.
set -eu

build_pkgs="g++ make pkg-config libmilter-dev libconfig++-dev libre2-dev libfmt-dev libhiredis-dev libunbound-dev libidn2-dev"
# The metrics endpoint's HTTP server (plugin/observability/metrics_server.cpp).
build_pkgs="$build_pkgs libcivetweb-dev"
test_pkgs="libcppunit-dev python3 postfix miltertest procps redis-server redis-sentinel m4 nsd"
# The Sendmail suite's AUTH case: Cyrus SASL's PLAIN mechanism lives in
# libsasl2-modules, a Recommends that --no-install-recommends leaves out (a
# fresh root then answers "503 5.3.3 AUTH not available").
test_pkgs="$test_pkgs libsasl2-modules"
# promtool and a Prometheus server scrape the daemon in the e2e metrics group
# (the tests run private instances; Debian's package also enables its own
# service on :9090, which they do not use).
test_pkgs="$test_pkgs prometheus"
# The cli suite: mandoc -Tlint and groff on the man pages.
test_pkgs="$test_pkgs mandoc groff-base"
fuzz_pkgs="clang-14 libfuzzer-14-dev libclang-rt-14-dev"
package_pkgs="build-essential dpkg-dev debhelper fakeroot lintian rpm systemd util-linux libcppunit-dev strace adduser"

want=""
for group in "$@"; do
  case "$group" in
    build) want="$want $build_pkgs" ;;
    test)  want="$want $test_pkgs" ;;
    fuzz)  want="$want $fuzz_pkgs" ;;
    package) want="$want $package_pkgs" ;;
    *) echo "install-deps.sh: unknown group '$group'" >&2; exit 64 ;;
  esac
done

missing=""
for p in $want; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  case "$status" in
    *"install ok installed"*) ;;
    *) missing="$missing $p" ;;
  esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps.sh: missing packages:$missing (run as root, or apt-get install them)" >&2
  exit 1
fi

echo "install-deps.sh: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# Postfix: install without a configuration and without starting the system
# instance; the tests run private instances of their own.
case "$missing" in
  *postfix*)
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    echo "postfix postfix/mailname string localhost" | debconf-set-selections ;;
esac
# Wait for dpkg's lock (an unattended upgrade, another install) instead of
# failing at once: up to 10 minutes, then apt-get says who holds it.
lock="-o DPkg::Lock::Timeout=600"
# shellcheck disable=SC2086
apt-get $lock update -qq
# shellcheck disable=SC2086
apt-get $lock install -y -qq --no-install-recommends $missing
