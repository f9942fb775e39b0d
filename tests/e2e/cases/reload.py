# SPDX-License-Identifier: Apache-2.0
# reload.py - SIGUSR1 under traffic: a good new policy changes the answer for
# new connections, a connection keeps the policy it started with, a broken
# file keeps the old policy and the daemon logs the error.
#
# The daemon runs on a copy (workdir/reload.conf) that the case replaces
# atomically (write + rename) before each SIGUSR1. Background traffic is a
# thread of sessions paced at 50 ms, stopped by an event (at most 60 s).
import os
import shutil
import threading
import time

from harness.scenario import OK_MAIL

GROUP = "reload"
ANSWER_A = ["550 5.7.1 Refused by policy A"]
ANSWER_B = ["550 5.7.1 Refused by policy B"]


def install(ctx, name, target):
    tmp = target + ".new"
    shutil.copyfile(ctx.config(name), tmp)
    os.replace(tmp, target)


def answer(ctx):
    """The RCPT reply for blocked@ on a new connection."""
    with ctx.session() as s:
        s.cmd("EHLO client.example.test")
        s.cmd("MAIL FROM:<sender@example.test>")
        got = s.cmd("RCPT TO:<blocked@example.test>")
        s.cmd("QUIT")
        return got


def wait_answer(ctx, want, timeout=10.0):
    deadline = time.monotonic() + timeout
    got = answer(ctx)
    while got != want and time.monotonic() < deadline:
        time.sleep(0.2)
        got = answer(ctx)
    return got


class Traffic(threading.Thread):
    """Back-to-back sessions, paced at 50 ms, until stopped or `limit` seconds."""

    def __init__(self, ctx, limit=60.0):
        super().__init__(daemon=True)
        self.ctx = ctx
        self.limit = limit
        self.stop_event = threading.Event()
        self.replies = []
        self.errors = []

    def run(self):
        deadline = time.monotonic() + self.limit
        while not self.stop_event.is_set() and time.monotonic() < deadline:
            try:
                self.replies.append(answer(self.ctx))
            except Exception as e:  # recorded, asserted by the case
                self.errors.append(repr(e))
            self.stop_event.wait(0.05)


def run(ctx, results):
    conf = os.path.join(ctx.workdir, "reload.conf")
    install(ctx, "reload-a.conf", conf)
    daemon = ctx.start_daemon(conf)
    pinned = None
    traffic = Traffic(ctx)
    try:
        with results.case("%s: policy A answers before any reload" % GROUP) as r:
            r.expect_equal(answer(ctx), ANSWER_A, "RCPT reply")

        # A session opened before the reload: its milter connection exists already.
        pinned = ctx.session()
        pinned.cmd("EHLO client.example.test")
        pinned_mail = pinned.cmd("MAIL FROM:<sender@example.test>")

        traffic.start()
        time.sleep(0.5)
        install(ctx, "reload-b.conf", conf)
        daemon.reload()
        with results.case("%s: SIGUSR1 with policy B changes the answer for new connections"
                          % GROUP) as r:
            r.expect_equal(wait_answer(ctx, ANSWER_B), ANSWER_B, "RCPT reply after reload")
        with results.case("%s: a connection opened before the reload keeps policy A" % GROUP) as r:
            r.expect_equal(pinned_mail, OK_MAIL, "MAIL reply on the pinned session")
            r.expect_equal(pinned.cmd("RCPT TO:<blocked@example.test>"), ANSWER_A,
                           "RCPT reply on the pinned session")
        time.sleep(0.5)
        traffic.stop_event.set()
        traffic.join(30)
        with results.case("%s: traffic during the reload saw only policy A or B answers"
                          % GROUP) as r:
            r.expect(not traffic.is_alive(), "traffic thread did not stop")
            r.expect(len(traffic.replies) >= 3, "too little traffic: %d sessions"
                     % len(traffic.replies))
            r.expect(not traffic.errors, "session errors: %s" % traffic.errors[:5])
            odd = [x for x in traffic.replies if x not in (ANSWER_A, ANSWER_B)]
            r.expect(not odd, "unexpected replies during reload: %r" % odd[:5])
            seq = "".join("A" if x == ANSWER_A else "B" if x == ANSWER_B else "?"
                          for x in traffic.replies)
            # Once B answered a new session, no later session may see A again.
            r.expect(seq.startswith("A") and "BA" not in seq and seq.endswith("B"),
                     "answers in order (A = old, B = new policy): %s" % seq)

        offset = len(daemon.log())
        install(ctx, "reload-broken.conf", conf)
        daemon.reload()
        with results.case("%s: SIGUSR1 with a broken file logs the error (file:line)" % GROUP) as r:
            # reload-broken.conf's bad reply is on line 15.
            r.expect(daemon.wait_log("reload.conf:15: error:", 10.0, offset),
                     "no 'reload.conf:15: error: ...' in the daemon log after the reload:\n%s"
                     % daemon.log()[offset:][-1500:])
        with results.case("%s: after the broken reload the daemon still answers with policy B"
                          % GROUP) as r:
            r.expect(daemon.running(), "daemon exited after the broken reload")
            for _ in range(3):
                r.expect_equal(answer(ctx), ANSWER_B, "RCPT reply after the broken reload")
                time.sleep(0.3)
    finally:
        traffic.stop_event.set()
        if traffic.is_alive():
            traffic.join(30)
        if pinned is not None:
            pinned.close()
        ctx.stop_daemon(results, GROUP, daemon)
