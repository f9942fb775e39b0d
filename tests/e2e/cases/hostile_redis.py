# SPDX-License-Identifier: Apache-2.0
# hostile_redis.py - the daemon against a Redis that answers too slowly or too much (issue 29).
#
# Group "hostile-redis". The ASan daemon's state store points at a fake
# Redis (harness/hostile_redis.py) with timeout_ms = 500:
#   trickle  every reply one byte every 300 ms (a 206-byte PONG: 62 s);
#   huge     "$2147483648" (a 2 GB string), then 128 MB as fast as it is read.
# For each: start-up finishes (the daemon logs "listening on") within 5 s,
# its PING failure logged with the rule fallback; through Postfix, a RCPT
# for the rule with on_backend_error = "closed" gets exactly the outage
# reply 451 4.4.3 and one for the "open" rule 250, each within 2 s
# (timeout_ms, a whole call, plus slack for a loaded machine); the daemon's
# peak resident size (VmHWM) stays within 32 MB of its size after start-up,
# it is still running and exits 0 on SIGTERM.
# Before the fix a trickled reply held start-up and each RCPT for as long as
# the trickle lasted, and the 2 GB string was buffered as it came.
import os
import time

from harness.hostile_redis import HostileRedis
from harness.scenario import OK_MAIL, OK_RCPT
from cases.state import BACKEND_DOWN, write

TIMEOUT_MS = 500
START_BOUND = 5.0   # seconds from exec to "listening on"
RCPT_BOUND = 2.0    # seconds for one RCPT: one store call of TIMEOUT_MS and slack
GROWTH_BOUND_KIB = 32 * 1024

CONF = """
daemon = { log = "stderr"; };
state = { backend = "redis";
          redis = { host = "127.0.0.1"; port = %(port)d; prefix = "e2e:";
                    timeout_ms = %(timeout)d; }; };
rules = (
  { name = "closed-limit"; on_backend_error = "closed";
    when = { rcpt = "/^closed-/";
             rate_limit = { key = "sender"; count = "recipient"; limit = "100/1h"; }; };
    action = "tempfail"; },
  { name = "open-limit"; on_backend_error = "open";
    when = { rcpt = "/^open-/";
             rate_limit = { key = "sender"; count = "recipient"; limit = "100/1h"; }; };
    action = "tempfail"; }
);
"""

WHAT = {
    "trickle": ("a Redis trickling one byte every 300 ms", "timed out"),
    "huge": ("a Redis announcing a 2 GB reply", "2147483648 bytes announced"),
}


def status_kib(pid, key):
    """VmRSS (resident now) or VmHWM (the most it was ever resident) in KiB."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return -1


def timed_rcpts(ctx, sender, rcpts):
    """One SMTP session: the replies of MAIL and each RCPT, and each RCPT's seconds."""
    with ctx.session() as s:
        s.cmd("EHLO client.example.test")
        got = [s.cmd("MAIL FROM:<%s>" % sender)]
        took = []
        for rcpt in rcpts:
            t0 = time.monotonic()
            got.append(s.cmd("RCPT TO:<%s>" % rcpt))
            took.append(time.monotonic() - t0)
        s.cmd("QUIT")
        return got, took


def one_mode(ctx, results, mode):
    group = "hostile-redis"
    what, logged = WHAT[mode]
    fake = HostileRedis(mode)
    daemon = None
    try:
        conf = os.path.join(ctx.workdir, "hostile-redis-%s.conf" % mode)
        write(conf, CONF % {"port": fake.port, "timeout": TIMEOUT_MS})
        with results.case("%s: start-up against %s finishes within %.0f s, the PING failure "
                          "logged" % (group, what, START_BOUND)) as r:
            t0 = time.monotonic()
            daemon = ctx.start_daemon(conf)
            up = daemon.wait_log("listening on", timeout=30)
            took = time.monotonic() - t0
            r.expect(up and took < START_BOUND,
                     "listening after %.1f s (bound %.0f s)" % (took, START_BOUND))
            log = daemon.log()
            r.expect(logged in log and "rules follow on_backend_error" in log,
                     "the daemon logs %r and the fallback: %r" % (logged, log[-600:]))

        with results.case("%s: against %s a RCPT gets the rule's on_backend_error reply "
                          "(closed: 451 4.4.3, open: 250) within %.0f s, memory flat"
                          % (group, what, RCPT_BOUND)) as r:
            before = status_kib(daemon.proc.pid, "VmRSS")
            for i in range(2):
                got, took = timed_rcpts(ctx, "hostile-%s@example.test" % mode,
                                        ["closed-%d@example.test" % i, "open-%d@example.test" % i])
                r.expect_equal(got, [OK_MAIL, BACKEND_DOWN, OK_RCPT], "replies, session %d" % i)
                r.expect(all(t < RCPT_BOUND for t in took),
                         "RCPT times %s s (bound %.0f s)" % (["%.2f" % t for t in took],
                                                             RCPT_BOUND))
            # The peak since the daemon started (start-up's PING included)
            # against what it holds after start-up.
            grown = status_kib(daemon.proc.pid, "VmHWM") - before
            r.expect(grown < GROWTH_BOUND_KIB, "the daemon's peak is %d KiB above its size "
                     "after start-up (bound %d KiB)" % (grown, GROWTH_BOUND_KIB))
            r.expect(daemon.running(), "the daemon is still running")
            r.expect(fake.connections >= 1, "the daemon reached the fake Redis")
    finally:
        if daemon is not None:
            ctx.stop_daemon(results, "%s (%s)" % (group, mode), daemon)
        fake.stop()


def run(ctx, results):
    for mode in ("trickle", "huge"):
        one_mode(ctx, results, mode)
