# SPDX-License-Identifier: Apache-2.0
# monitor.py - whole-daemon monitor mode through Sendmail (configs/monitor.conf):
# nothing refused, the message delivered with X-Milter-Verdict headers saying
# what would have happened. Both recipients are aliased to the one mbox
# file, and Sendmail delivers a message once per distinct final address:
# one copy (Postfix's virtual delivery writes one per recipient).
from sm_context import SmScenario

GROUP = "monitor"
HEADER = "X-Milter-Verdict"
CLIENT = "would reject 550 5.7.1 Client 127.0.0.2 refused by the e2e policy (rule client-refused)"
RCPT = ("would reject 550 5.7.1 Recipient blocked@example.test refused by the e2e policy"
        " (rule recipient-refused)")
CONTENT = "would reject 550 5.7.1 Content refused by the e2e policy (rule content-refused)"
# What enforcement would do (DESIGN.md section 3, as the Postfix suite's
# monitor group): from 127.0.0.2 client-refused decides at connect, so
# nothing after it is reported; from 127.0.0.1 blocked@ is refused at RCPT
# and the message (ok@ left) at end of data.
CASES = [
    ("127.0.0.2", "e2e monitor reject-at-eom", [CLIENT]),
    ("127.0.0.1", "e2e monitor rcpt-and-eom", [RCPT, CONTENT]),
]


def run(ctx, results):
    daemon = ctx.start_daemon(ctx.config("monitor.conf"))
    try:
        with results.case("%s: refused recipient, client and content all pass on the wire"
                          % GROUP) as r:
            for source, subject, _ in CASES:
                SmScenario(source=source, sender="eom-reject@example.test",
                           rcpts=[("blocked@example.test", "ok"), ("ok@example.test", "ok")],
                           subject=subject).run(ctx, r)
        with results.case("%s: the delivered message carries %s: only what enforcement "
                          "would do" % (GROUP, HEADER)) as r:
            for _, subject, want in CASES:
                ctx.sendmail.wait_mailbox(lambda t, subject=subject: "Subject: " + subject in t)
                msgs = ctx.delivered(subject)
                r.expect_equal(len(msgs), 1, "delivered copies of %r (two recipients, one "
                               "mbox file)" % subject)
                for m in msgs:
                    values = [" ".join(v.split()) for v in (m.get_all(HEADER) or [])]
                    r.expect(sorted(values) == sorted(want), "%s: %r, expected exactly %r"
                             % (subject, values, want))
        with results.case("%s: the daemon logs what it would have done" % GROUP) as r:
            r.expect("would reject 550 5.7.1" in daemon.log(),
                     "no 'would reject 550 5.7.1' decision in the daemon log")
    finally:
        ctx.stop_daemon(results, GROUP, daemon)
