#!/bin/sh
# tests/state/run.sh - the state store's Redis tests against a real redis-server.
#
# Runs the CppUnit fixtures registered in the "state" suite ($MV_UNIT --suite
# state); each test starts a private redis-server on a free 127.0.0.1 port
# (--save '', no persistence) and stops it. Without redis-server the suite
# FAILS: `make check` installs it (scripts/install-deps.sh test).
# Ends with "state: N passed, M failed".
set -u
if ! command -v redis-server >/dev/null 2>&1; then
  echo "state: redis-server not found (apt-get install redis-server, or make deps-test)"
  echo "state: 0 passed, 1 failed"
  exit 1
fi
exec "${MV_UNIT:?MV_UNIT not set}" --suite state
