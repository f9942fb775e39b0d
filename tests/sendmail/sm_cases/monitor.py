# SPDX-License-Identifier: Apache-2.0
# monitor.py - whole-daemon monitor mode through Sendmail (configs/monitor.conf):
# nothing refused, the message delivered with X-Milter-Verdict headers saying
# what would have happened. Both recipients are aliased to the one mbox
# file, and Sendmail delivers a message once per distinct final address:
# one copy (Postfix's virtual delivery writes one per recipient).
from sm_context import SmScenario

GROUP = "monitor"
HEADER = "X-Milter-Verdict"
WOULD = [
    "would reject 550 5.7.1 Client 127.0.0.2 refused by the e2e policy (rule client-refused)",
    "would reject 550 5.7.1 Recipient blocked@example.test refused by the e2e policy"
    " (rule recipient-refused)",
    "would reject 550 5.7.1 Content refused by the e2e policy (rule content-refused)",
]


def run(ctx, results):
    daemon = ctx.start_daemon(ctx.config("monitor.conf"))
    try:
        with results.case("%s: refused recipient, client and content all pass on the wire"
                          % GROUP) as r:
            SmScenario(source="127.0.0.2", sender="eom-reject@example.test",
                       rcpts=[("blocked@example.test", "ok"), ("ok@example.test", "ok")],
                       subject="e2e monitor reject-at-eom").run(ctx, r)
        with results.case("%s: the delivered message carries %s: would reject ..."
                          % (GROUP, HEADER)) as r:
            ctx.sendmail.wait_mailbox(lambda t: "Subject: e2e monitor reject-at-eom" in t)
            msgs = ctx.delivered("e2e monitor reject-at-eom")
            r.expect_equal(len(msgs), 1, "delivered copies (two recipients, one mbox file)")
            for m in msgs:
                values = [" ".join(v.split()) for v in (m.get_all(HEADER) or [])]
                for want in WOULD:
                    r.expect(want in values, "%r missing; the message has %r" % (want, values))
        with results.case("%s: the daemon logs what it would have done" % GROUP) as r:
            r.expect("would reject 550 5.7.1" in daemon.log(),
                     "no 'would reject 550 5.7.1' decision in the daemon log")
    finally:
        ctx.stop_daemon(results, GROUP, daemon)
