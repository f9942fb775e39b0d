# SPDX-License-Identifier: Apache-2.0
# monitor.py - whole-daemon monitor mode: nothing refused, mail delivered and
# marked with the header saying what would have happened.
#
# configs/monitor.conf has `monitor = true` and the same refusing rules as
# replies.conf; its monitor header is the default X-Milter-Verdict.
from harness.scenario import Scenario, OK_RCPT

GROUP = "monitor"
HEADER = "X-Milter-Verdict"
# One header per rule that would have refused: "would <action> <reply> (rule <name>)".
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
            Scenario(source="127.0.0.2", sender="eom-reject@example.test",
                     rcpts=[("blocked@example.test", OK_RCPT), ("ok@example.test", OK_RCPT)],
                     subject="e2e monitor reject-at-eom").run(ctx, r)
        with results.case("%s: the message is delivered and carries %s: would reject ..."
                          % (GROUP, HEADER)) as r:
            ctx.postfix.wait_mailbox(
                lambda t: t.count("Subject: e2e monitor reject-at-eom") >= 2)
            msgs = ctx.delivered("e2e monitor reject-at-eom")
            # Two recipients, one mailbox file: one copy per recipient.
            r.expect_equal(len(msgs), 2, "delivered copies (blocked@ and ok@)")
            for m in msgs:
                # Header values unfolded: Postfix may fold long lines.
                values = [" ".join(v.split()) for v in (m.get_all(HEADER) or [])]
                for want in WOULD:
                    r.expect(want in values, "%s: %r missing; the message has %r"
                             % (m.get("Delivered-To"), want, values))
        with results.case("%s: the daemon logs what it would have done" % GROUP) as r:
            r.expect("would reject 550 5.7.1" in daemon.log(),
                     "no 'would reject 550 5.7.1' decision in the daemon log:\n%s"
                     % "\n".join(daemon.log().splitlines()[-10:]))
        with results.case("%s: each would-be decision has a decision line naming its rule "
                          "(grep rule=NAME finds it)" % GROUP) as r:
            lines = [l for l in daemon.log().splitlines() if " decision " in l]
            for rule, stage, would in (
                    ("client-refused", "connect", WOULD[0]),
                    ("recipient-refused", "rcpt", WOULD[1]),
                    ("content-refused", "end-of-data", WOULD[2])):
                want = (" stage=%s rule=%s action=continue reply=- monitor=yes would=\"%s\""
                        % (stage, rule, would[len("would "):would.rindex(" (rule ")]))
                r.expect(any(l.endswith(want) for l in lines),
                         "no line ending %r among:\n%s" % (want, "\n".join(lines[-8:])))
            r.expect(not any(" rule=- action=continue " in l for l in lines),
                     "a monitor decision still logged as rule=- action=continue")
    finally:
        ctx.stop_daemon(results, GROUP, daemon)
