# SPDX-License-Identifier: Apache-2.0
# protocol.py - milter protocol abuse that Postfix does not produce, played
# with miltertest(8) Lua scripts from tests/e2e/miltertest/.
#
# For each script: it must complete (exit 0 within 60 s), the daemon must
# still be running, and it must answer the next connection with its policy
# (healthy.lua: a full transaction, blocked@ refused, ok@ accepted). The
# daemon listens on its own loopback port; Postfix is not involved. Huge
# values are sent raw by bounds.py (miltertest keeps them in 1 KiB buffers),
# and macro packets whose names and values do not pair up by odd_macros.py.
import os
import subprocess

from cases import bounds, odd_macros
from harness.context import MILTERTEST_DIR

GROUP = "protocol"
MILTERTEST = "/usr/bin/miltertest"
SCRIPTS = [
    ("abort_then_new_message", "abort mid-message, then a new message on the same connection"),
    ("close_without_connect", "close without connect (after negotiate, and abrupt)"),
    ("unknown_command", "unknown SMTP commands before and inside a transaction"),
    ("header_flood", "a flood of 5000 header fields"),
    ("nul_bytes", "NUL bytes in HELO, sender, header and body"),
    ("negotiate_arguments", "miltertest's mt.negotiate: two nils are refused by miltertest before "
     "anything is sent; four arguments (version, steps, actions) negotiate"),
]


def miltertest(daemon, script, timeout=60):
    path = os.path.join(MILTERTEST_DIR, script + ".lua")
    p = subprocess.run([MILTERTEST, "-D", "sock=" + daemon.socket_spec,
                        "-D", "dir=" + MILTERTEST_DIR, "-s", path],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def run(ctx, results):
    if not os.access(MILTERTEST, os.X_OK):
        results.fail("%s: miltertest available" % GROUP, "%s not installed (scripts/"
                     "install-deps.sh test)" % MILTERTEST)
        return
    daemon = ctx.start_daemon(ctx.config("replies.conf"))
    try:
        with results.case("%s: healthy transaction before any abuse" % GROUP) as r:
            status, out = miltertest(daemon, "healthy")
            r.expect_equal(status, 0, "miltertest healthy.lua exit status; output:\n" + out)
        for script, what in SCRIPTS:
            with results.case("%s: %s; the daemon stays up and answers the next connection"
                              % (GROUP, what)) as r:
                status, out = miltertest(daemon, script)
                r.expect_equal(status, 0, "miltertest %s.lua exit status; output:\n%s"
                               % (script, out))
                r.expect(daemon.running(), "daemon died; log tail:\n" +
                         "\n".join(daemon.log().splitlines()[-15:]))
                if daemon.running():
                    status, out = miltertest(daemon, "healthy")
                    r.expect_equal(status, 0, "next connection (healthy.lua) exit status; "
                                   "output:\n" + out)
        bounds.run_cases(ctx, results, daemon, lambda: miltertest(daemon, "healthy"))
        odd_macros.run_cases(ctx, results, daemon, lambda: miltertest(daemon, "healthy"))
    finally:
        ctx.stop_daemon(results, GROUP, daemon)
