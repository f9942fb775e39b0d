# SPDX-License-Identifier: Apache-2.0
# e2e.py - end-to-end suite: milter-verdict behind a private Postfix, and
# milter protocol abuse through miltertest. Run by run.sh (env MV_BIN).
#
# Order: preflight (binary, Postfix, miltertest) -> one private Postfix
# instance -> each case group in GROUPS, each with its own daemon(s) ->
# teardown in `finally` (also on SIGTERM/SIGINT/SIGHUP: they raise
# SystemExit so the same cleanup runs) -> exactly one summary line
# "e2e: N passed, M failed"; exit 1 on any failure.
#
# MV_E2E_GROUPS=replies,reload runs only the named groups; MV_E2E_KEEP=1 keeps
# the temp dir (Postfix log, daemon logs) for a post-mortem.
import os
import re
import signal
import sys
import tempfile
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness.context import Context  # noqa: E402
from harness.postfix_instance import postfix_available, remove_tree  # noqa: E402
from harness.results import Results  # noqa: E402
from cases import (configs, replies, monitor, reload, killed, unix_socket,  # noqa: E402
                   non_smtp, protocol, state, content, no_stall, defaults)
from cases import dns  # noqa: E402
from cases import metrics  # noqa: E402
from cases import idn  # noqa: E402
from cases import policy_service  # noqa: E402
from cases import hostile_policy  # noqa: E402
from cases import security  # noqa: E402
from cases import hostile_reload  # noqa: E402
from cases import hostile_redis  # noqa: E402
from cases import stop  # noqa: E402
from cases import order  # noqa: E402
from cases import day2  # noqa: E402

GROUPS = [
    ("configs", configs),
    ("replies", replies),
    ("monitor", monitor),
    ("reload", reload),
    ("hostile-reload", hostile_reload),
    ("killed", killed),
    ("unix-socket", unix_socket),
    ("non-smtp", non_smtp),
    ("protocol", protocol),
    ("state", state),
    ("state-redis", state.RedisGroup),
    ("content", content),
    ("no-stall", no_stall),
    ("defaults", defaults),
    ("dns", dns),
    ("metrics", metrics),
    ("idn", idn),
    ("policy-service", policy_service),
    ("hostile-policy", hostile_policy),
    ("security", security),
    ("hostile-redis", hostile_redis),
    ("stop", stop),
    ("order", order),
    ("state-tool", day2),
    ("state-tool-redis", day2.RedisGroup),
    ("test-tool", day2.TestGroup),
]

# What the killed group provokes on purpose (milter gone mid-session).
EXPECTED_POSTFIX_WARNINGS = ["connect to Milter service", "can't read SMFIC_"]


def _raise_exit(signum, _frame):
    raise SystemExit(128 + signum)


def main():
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, _raise_exit)
    results = Results()
    mv = os.environ.get("MV_BIN", "")
    wanted = [g for g in os.environ.get("MV_E2E_GROUPS", "").split(",") if g]
    groups = [(n, m) for n, m in GROUPS if not wanted or n in wanted]

    if not (mv and os.access(mv, os.X_OK)):
        results.fail("preflight: MV_BIN is an executable", "MV_BIN=%r" % mv)
        return results.summary()
    if os.geteuid() != 0:
        results.fail("preflight: running as root", "a private Postfix instance needs root")
        return results.summary()
    if not postfix_available():
        results.fail("preflight: Postfix installed", "install it: scripts/install-deps.sh test")
        return results.summary()

    workdir = tempfile.mkdtemp(prefix="mv-e2e-")
    # Postfix daemons (user postfix) reach their queue and the daemon's unix
    # socket through this directory.
    os.chmod(workdir, 0o755)
    ctx = Context(mv, workdir)
    try:
        failed_before = results.failed
        with results.case("setup: private Postfix instance passes `postfix check` and listens "
                          "on loopback"):
            ctx.start_postfix()
        if results.failed != failed_before:
            return results.summary()
        for name, module in groups:
            try:
                module.run(ctx, results)
            except Exception as e:  # a group that cannot start (daemon, config) fails once
                results.fail("%s: group set-up" % name, "".join(
                    traceback.format_exception_only(type(e), e)).strip())
        with results.case("teardown: no unexpected warning, fatal or panic in Postfix's log") as r:
            odd = [line for line in ctx.postfix.log().splitlines()
                   if re.search(r"\b(warning|fatal|panic):", line)
                   and not any(ok in line for ok in EXPECTED_POSTFIX_WARNINGS)]
            r.expect(not odd, "\n".join(odd[:10]))
    except SystemExit as e:  # from _raise_exit: clean up, count it, still summarise
        results.fail("suite interrupted", "signal %d; the remaining groups did not run"
                     % (e.code - 128 if isinstance(e.code, int) else 0))
    finally:
        ctx.close()
        if os.environ.get("MV_E2E_KEEP") == "1":
            print("e2e: kept %s" % workdir)
        else:
            remove_tree(workdir)
    return results.summary()


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
