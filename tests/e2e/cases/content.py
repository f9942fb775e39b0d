# SPDX-License-Identifier: Apache-2.0
# content.py - content rules through Postfix: a header rule matching an RFC 2047
# encoded Subject, a body rule, the real size at end of data, and SIZE= at
# MAIL refused at RCPT (delay_reject). Each refusal is one exact reply line and
# the refused messages are never delivered; a clean message is.
from harness.scenario import Scenario, OK_MAIL, OK_RCPT

GROUP = "content"

HEADER_REJECT = ["550 5.7.1 Subject refused by the e2e content policy"]
BODY_REJECT = ["550 5.7.1 Body refused by the e2e content policy"]
SIZE_REJECT = ["552 5.3.4 Message too big for the e2e content policy"]
DECLARED_REJECT = ["552 5.3.4 Announced size too big for the e2e content policy"]

LINE = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor\n"


def declared_size(ctx, r):
    """MAIL FROM with SIZE=600000: accepted at MAIL, refused at RCPT."""
    with ctx.session() as s:
        s.cmd("EHLO client.example.test")
        r.expect_equal(s.cmd("MAIL FROM:<sender@example.test> SIZE=600000"), OK_MAIL,
                       "MAIL with SIZE=600000")
        r.expect_equal(s.cmd("RCPT TO:<ok@example.test>"), DECLARED_REJECT, "RCPT")
        s.cmd("QUIT")
    with ctx.session() as s:
        s.cmd("EHLO client.example.test")
        r.expect_equal(s.cmd("MAIL FROM:<sender@example.test> SIZE=4000"), OK_MAIL,
                       "MAIL with SIZE=4000")
        r.expect_equal(s.cmd("RCPT TO:<ok@example.test>"), OK_RCPT, "RCPT after a small SIZE=")
        s.cmd("QUIT")


def run(ctx, results):
    daemon = ctx.start_daemon(ctx.config("content.conf"))
    try:
        cases = {
            "header rule: RFC 2047 encoded Subject refused at end of data":
                Scenario(rcpts=[("ok@example.test", OK_RCPT)],
                         subject="=?UTF-8?B?Q2FzaW5vIG5pZ2h0IHRvbmlnaHQ=?=",
                         final_reply=HEADER_REJECT),
            "body rule: phrase in the body refused at end of data":
                Scenario(rcpts=[("ok@example.test", OK_RCPT)], subject="e2e content phish",
                         body="Dear user,\nplease verify your account within 24 hours.\n",
                         final_reply=BODY_REJECT),
            "size rule: 40 KB message refused at end of data":
                Scenario(rcpts=[("ok@example.test", OK_RCPT)], subject="e2e content big",
                         body=LINE * 500, final_reply=SIZE_REJECT),
            "clean message with headers and a 10 KB body is delivered":
                Scenario(rcpts=[("ok@example.test", OK_RCPT)], subject="e2e content clean",
                         body=LINE * 125),
        }
        for name, sc in cases.items():
            with results.case("%s: %s" % (GROUP, name)) as r:
                sc.run(ctx, r)
        with results.case("%s: SIZE= at MAIL over the bound refused at RCPT, a small one passes"
                          % GROUP) as r:
            declared_size(ctx, r)
        with results.case("%s: only the clean message is delivered" % GROUP) as r:
            ctx.postfix.wait_mailbox(lambda t: "e2e content clean" in t)
            r.expect(len(ctx.delivered("e2e content clean")) == 1, "clean message not delivered")
            for subject in ("e2e content phish", "e2e content big"):
                r.expect(not ctx.delivered(subject), "message %r delivered" % subject)
    finally:
        ctx.stop_daemon(results, GROUP, daemon)
