# SPDX-License-Identifier: Apache-2.0
# reload.py - SIGUSR1 under traffic through Sendmail, with the Postfix suite's
# policies and traffic generator (tests/e2e/cases/reload.py): a new policy
# answers new connections, a connection keeps the policy it started with, a
# broken file keeps the old policy and is logged file:line.
import os
import time

from cases.reload import Traffic, answer, install, wait_answer
from sm_context import mail_ok

GROUP = "reload"
ANSWER_A = ["550 5.7.1 <blocked@example.test>... Refused by policy A"]
ANSWER_B = ["550 5.7.1 <blocked@example.test>... Refused by policy B"]


def run(ctx, results):
    conf = os.path.join(ctx.workdir, "reload.conf")
    install(ctx, "reload-a.conf", conf)
    daemon = ctx.start_daemon(conf)
    pinned = None
    traffic = Traffic(ctx)
    try:
        with results.case("%s: policy A answers before any reload" % GROUP) as r:
            r.expect_equal(answer(ctx), ANSWER_A, "RCPT reply")
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
            r.expect_equal(pinned_mail, mail_ok("sender@example.test"),
                           "MAIL on the pinned session")
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
            seq = "".join("A" if x == ANSWER_A else "B" if x == ANSWER_B else "?"
                          for x in traffic.replies)
            r.expect("?" not in seq, "unexpected replies: %r"
                     % [x for x in traffic.replies if x not in (ANSWER_A, ANSWER_B)][:5])
            r.expect(seq.startswith("A") and "BA" not in seq and seq.endswith("B"),
                     "answers in order (A = old, B = new policy): %s" % seq)
        offset = len(daemon.log())
        install(ctx, "reload-broken.conf", conf)
        daemon.reload()
        with results.case("%s: SIGUSR1 with a broken file logs the error (file:line)" % GROUP) as r:
            r.expect(daemon.wait_log("reload.conf:15: error:", 10.0, offset),
                     "no 'reload.conf:15: error: ...' after the reload:\n%s"
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
