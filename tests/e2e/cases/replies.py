# SPDX-License-Identifier: Apache-2.0
# replies.py - the exact reply lines Postfix sends for milter-verdict's verdicts.
#
# One daemon on configs/replies.conf (delay_reject = true, the default) and
# one on configs/immediate.conf (delay_reject = false). Each case is one SMTP
# session through the private Postfix; every reply line is compared whole:
# basic code, enhanced code, text and the '-'/' ' continuation marks.
import time

from harness.scenario import Scenario, OK_MAIL, OK_RCPT, OK_DATA
from harness.smtp_client import message

GROUP = "replies"

REJECT_RCPT = ["550 5.7.1 Recipient blocked@example.test refused by the e2e policy"]
TEMPFAIL_RCPT = ["450 4.7.1 Recipient deferred by the e2e policy"]
CLIENT_REJECT = ["550 5.7.1 Client 127.0.0.2 refused by the e2e policy"]
HELO_REJECT = ["550 5.7.1 HELO name refused by the e2e policy"]
HELO_TEMPLATE = ["550 5.7.1 HELO name evil%s%n%%.example.test refused by the e2e policy"]
MULTI = ["550-5.7.1 Recipient refused by the e2e policy.",
         "550-5.7.1 This is the second line of the reply (100% sure),",
         "550 5.7.1 and this is the last one."]
DISCONNECT = ["421 4.7.0 Closing the session, e2e policy"]
EOM_REJECT = ["550 5.7.1 Content refused by the e2e policy"]
EOM_TEMPFAIL = ["451 4.7.1 Content deferred by the e2e policy"]
MAIL_TEMPFAIL = ["451 4.7.1 Sender deferred by the e2e policy"]


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.2)
    return predicate()


def pipelined(ctx, r):
    """PIPELINING: one write, then every reply in order, a refusal in the middle."""
    with ctx.session() as s:
        s.cmd("EHLO client.example.test")
        s.sock.sendall(b"MAIL FROM:<sender@example.test>\r\n"
                       b"RCPT TO:<blocked@example.test>\r\n"
                       b"RCPT TO:<ok@example.test>\r\n"
                       b"DATA\r\n")
        got = [s.read_reply() for _ in range(4)]
        r.expect_equal(got, [OK_MAIL, REJECT_RCPT, OK_RCPT, OK_DATA], "pipelined replies")
        if got[3] == OK_DATA:
            body = message("sender@example.test", "ok@example.test", "e2e pipelined")
            s.sock.sendall(body.replace("\n", "\r\n").encode() + b".\r\n")
            final = s.read_reply()
            r.expect(final[0].startswith("250 2.0.0 Ok: queued as "), "end of data: %r" % final)
        s.cmd("QUIT")
    ctx.postfix.wait_mailbox(lambda t: "e2e pipelined" in t)
    copies = ctx.delivered("e2e pipelined")
    r.expect_equal([m.get("Delivered-To") for m in copies], ["ok@example.test"],
                   "Delivered-To of the pipelined message's copies")


def run(ctx, results):
    daemon = ctx.start_daemon(ctx.config("replies.conf"))
    try:
        cases = {
            "recipient rejected 550 5.7.1 with custom text; the next recipient is accepted":
                Scenario(rcpts=[("blocked@example.test", REJECT_RCPT),
                                ("ok@example.test", OK_RCPT)]),
            "tempfail without a code defaults to 450 4.7.1 at RCPT":
                Scenario(rcpts=[("later@example.test", TEMPFAIL_RCPT)]),
            "client-address rule (127.0.0.2) delivered at RCPT, MAIL accepted first":
                Scenario(source="127.0.0.2", rcpts=[("ok@example.test", CLIENT_REJECT)]),
            "HELO rule delivered at RCPT (delay_reject), EHLO and MAIL accepted first":
                Scenario(helo="bad-helo.example.test", rcpts=[("ok@example.test", HELO_REJECT)]),
            "client text in a reply variable: '%' sequences from HELO reach the wire unchanged":
                Scenario(helo="evil%s%n%%.example.test",
                         rcpts=[("ok@example.test", HELO_TEMPLATE)]),
            "multi-line reply: every line with code, enhanced code and mark":
                Scenario(rcpts=[("multi@example.test", MULTI)]),
            "421 4.7.0 disconnect at RCPT closes the connection":
                Scenario(rcpts=[("bye@example.test", DISCONNECT)],
                         closed_after="RCPT bye@example.test"),
            "end-of-message reject 550 5.7.1 after DATA, nothing delivered":
                Scenario(sender="eom-reject@example.test", rcpts=[("ok@example.test", OK_RCPT)],
                         subject="e2e reject-at-eom",
                         final_reply=EOM_REJECT),
            "tempfail at end of message defaults to 451 4.7.1":
                Scenario(sender="eom-tempfail@example.test", rcpts=[("ok@example.test", OK_RCPT)],
                         subject="e2e tempfail-at-eom",
                         final_reply=EOM_TEMPFAIL),
            "clean message is accepted and delivered":
                Scenario(rcpts=[("ok@example.test", OK_RCPT)], subject="e2e clean"),
            "discard: the client sees 250 at every step":
                Scenario(sender="discard-me@example.test", rcpts=[("ok@example.test", OK_RCPT)],
                         subject="e2e discarded"),
            "quarantine: the client sees 250 at every step":
                Scenario(sender="quarantine-me@example.test",
                         rcpts=[("ok@example.test", OK_RCPT)], subject="e2e quarantined"),
        }
        for name, sc in cases.items():
            with results.case("%s: %s" % (GROUP, name)) as r:
                sc.run(ctx, r)
        with results.case("%s: delivery matches the verdicts (clean delivered, refused not)"
                          % GROUP) as r:
            ctx.postfix.wait_mailbox(lambda t: "e2e clean" in t)
            r.expect(len(ctx.delivered("e2e clean")) == 1, "clean message not delivered once")
            for subject in ("e2e reject-at-eom", "e2e tempfail-at-eom", "e2e discarded",
                            "e2e quarantined"):
                r.expect(not ctx.delivered(subject), "message %r delivered" % subject)
        with results.case("%s: discard is logged by Postfix as milter-discard" % GROUP) as r:
            r.expect(wait_for(lambda: "milter-discard: END-OF-MESSAGE" in ctx.postfix.log()),
                     "no milter-discard line in the Postfix log:" + ctx.postfix.log_tail(8))
        with results.case("%s: quarantine puts the message on hold, reason logged"
                          % GROUP) as r:
            r.expect(wait_for(lambda: "milter-hold: END-OF-MESSAGE" in ctx.postfix.log()),
                     "no milter-hold line in the Postfix log:" + ctx.postfix.log_tail(8))
            # Postfix logs only "milter triggers HOLD action"; the reason is in ours.
            r.expect("quarantine (held by the e2e policy)" in daemon.log(),
                     "quarantine reason not in the daemon's decision log")
            r.expect_equal(len(ctx.postfix.queue_files_in("hold")), 1, "messages in the hold queue")
            ctx.postfix.delete_queue("hold")  # later groups expect empty queues
        with results.case("%s: pipelined MAIL, RCPT, RCPT, DATA get their replies in order"
                          % GROUP) as r:
            pipelined(ctx, r)
    finally:
        ctx.stop_daemon(results, GROUP, daemon)

    group = "replies-immediate"
    daemon = ctx.start_daemon(ctx.config("immediate.conf"))
    try:
        with results.case("%s: delay_reject = false: MAIL-stage tempfail is 451 4.7.1 at MAIL"
                          % group) as r:
            Scenario(sender="defer@example.test", mail_reply=MAIL_TEMPFAIL).run(ctx, r)
        with results.case("%s: delay_reject = false: other senders pass MAIL and RCPT"
                          % group) as r:
            Scenario(rcpts=[("ok@example.test", OK_RCPT)]).run(ctx, r)
    finally:
        ctx.stop_daemon(results, group, daemon)
