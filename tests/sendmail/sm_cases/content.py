# SPDX-License-Identifier: Apache-2.0
# content.py - content rules through Sendmail (configs/content.conf, the
# Postfix suite's): headers and body reach the daemon (negotiated without
# replies, SMFIP_NR_HDR/NR_BODY, which Sendmail honours), a header rule on an
# RFC 2047 Subject, a body rule and the real size refuse at end of data as
# written, SIZE= at MAIL over the bound is refused at RCPT (552: Sendmail
# names no address), a clean message is delivered.
from sm_context import SmScenario

GROUP = "content"

HEADER_REJECT = ["550 5.7.1 Subject refused by the e2e content policy"]
BODY_REJECT = ["550 5.7.1 Body refused by the e2e content policy"]
SIZE_REJECT = ["552 5.3.4 Message too big for the e2e content policy"]
DECLARED_REJECT = ["552 5.3.4 Announced size too big for the e2e content policy"]
LINE = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor\n"


def run(ctx, results):
    daemon = ctx.start_daemon(ctx.config("content.conf"))
    try:
        cases = {
            "header rule: RFC 2047 encoded Subject refused at end of data":
                SmScenario(rcpts=[("ok@example.test", "ok")],
                           subject="=?UTF-8?B?Q2FzaW5vIG5pZ2h0IHRvbmlnaHQ=?=",
                           final_reply=HEADER_REJECT),
            "body rule: phrase in the body refused at end of data":
                SmScenario(rcpts=[("ok@example.test", "ok")], subject="e2e content phish",
                           body="Dear user,\nplease verify your account within 24 hours.\n",
                           final_reply=BODY_REJECT),
            "size rule: 40 KB message refused at end of data":
                SmScenario(rcpts=[("ok@example.test", "ok")], subject="e2e content big",
                           body=LINE * 500, final_reply=SIZE_REJECT),
            "clean message with a 10 KB body is accepted":
                SmScenario(rcpts=[("ok@example.test", "ok")], subject="e2e content clean",
                           body=LINE * 125),
        }
        for name, sc in cases.items():
            with results.case("%s: %s" % (GROUP, name)) as r:
                sc.run(ctx, r)
        with results.case("%s: SIZE= at MAIL over the bound refused at RCPT, a small one passes"
                          % GROUP) as r:
            with ctx.session() as s:
                s.cmd("EHLO client.example.test")
                r.expect_equal(s.cmd("MAIL FROM:<sender@example.test> SIZE=600000"),
                               ["250 2.1.0 <sender@example.test>... Sender ok"], "MAIL SIZE=600000")
                r.expect_equal(s.cmd("RCPT TO:<ok@example.test>"), DECLARED_REJECT, "RCPT")
                s.cmd("RSET")
                s.cmd("MAIL FROM:<sender@example.test> SIZE=4000")
                r.expect_equal(s.cmd("RCPT TO:<ok@example.test>"),
                               ["250 2.1.5 <ok@example.test>... Recipient ok"], "RCPT, SIZE=4000")
                s.quit()
        with results.case("%s: only the clean message is delivered" % GROUP) as r:
            ctx.sendmail.wait_mailbox(lambda t: "e2e content clean" in t)
            r.expect_equal(len(ctx.delivered("e2e content clean")), 1, "clean copies")
            for subject in ("e2e content phish", "e2e content big"):
                r.expect(not ctx.delivered(subject), "message %r delivered" % subject)
    finally:
        ctx.stop_daemon(results, GROUP, daemon)
