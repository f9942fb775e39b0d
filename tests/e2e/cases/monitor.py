# monitor.py - whole-daemon monitor mode: nothing refused, mail delivered and
# marked with the header saying what would have happened.
#
# configs/monitor.conf has `monitor = true` and the same refusing rules as
# replies.conf; its monitor header is the default X-Milter-Verdict.
from harness.scenario import Scenario, OK_RCPT

GROUP = "monitor"
HEADER = "X-Milter-Verdict"


def run(ctx, results):
    daemon = ctx.start_daemon(ctx.config("monitor.conf"))
    try:
        with results.case("%s: refused recipient, client and content all pass on the wire"
                          % GROUP) as r:
            Scenario(source="127.0.0.2", sender="eom-reject@example.test",
                     rcpts=[("blocked@example.test", OK_RCPT), ("ok@example.test", OK_RCPT)],
                     subject="e2e monitor reject-at-eom").run(ctx, r)
        with results.case("%s: the message is delivered and carries %s: would reject 550 5.7.1"
                          % (GROUP, HEADER)) as r:
            ctx.postfix.wait_mailbox(lambda t: "e2e monitor reject-at-eom" in t)
            msgs = ctx.delivered("e2e monitor reject-at-eom")
            # Two recipients, one mailbox file: one copy per recipient.
            r.expect(len(msgs) >= 1, "message not delivered in monitor mode")
            for m in msgs:
                values = m.get_all(HEADER) or []
                r.expect(values, "no %s header in the delivered message:\n%s"
                         % (HEADER, m.as_string()[:1500]))
                joined = " | ".join(" ".join(v.split()) for v in values)
                r.expect("would reject" in joined and "550 5.7.1" in joined,
                         "%s does not say 'would reject ... 550 5.7.1': %r" % (HEADER, joined))
        with results.case("%s: the daemon logs what it would have done" % GROUP) as r:
            r.expect("would" in daemon.log(), "no 'would ...' decision in the daemon log:\n%s"
                     % "\n".join(daemon.log().splitlines()[-10:]))
    finally:
        ctx.stop_daemon(results, GROUP, daemon)
