# SPDX-License-Identifier: Apache-2.0
# non_smtp.py - mail submitted with the private instance's sendmail(1), which
# Postfix hands to non_smtpd_milters in a simulated SMTP session.
#
# A milter must not refuse at RCPT there; DESIGN.md says such verdicts move to
# end of message. The refused message must not be delivered, Postfix must
# log the milter-reject with the rule's reply, and clean mail must arrive.
import time

from harness.smtp_client import message

GROUP = "non-smtp"
SUBJECT_REFUSED = "e2e sendmail refused"
SUBJECT_CLEAN = "e2e sendmail clean"
REFUSAL = "5.7.1 Recipient blocked@example.test refused by the e2e policy"


def run(ctx, results):
    daemon = ctx.start_daemon(ctx.config("replies.conf"))
    pf = ctx.postfix
    try:
        pf.reconfigure(non_smtpd_milters=ctx.milter_inet)
        with results.case("%s: clean mail through sendmail -C is delivered" % GROUP) as r:
            status, out = pf.sendmail("sender@example.test", ["ok@example.test"],
                                      message("sender@example.test", "ok@example.test",
                                              SUBJECT_CLEAN))
            r.expect_equal(status, 0, "sendmail exit status (output %r)" % out)
            pf.wait_mailbox(lambda t: SUBJECT_CLEAN in t)
            r.expect(len(ctx.delivered(SUBJECT_CLEAN)) == 1, "clean message not delivered")
        with results.case("%s: a recipient rule refuses at end of message, nothing delivered"
                          % GROUP) as r:
            offset = len(pf.log())
            status, out = pf.sendmail("sender@example.test", ["blocked@example.test"],
                                      message("sender@example.test", "blocked@example.test",
                                              SUBJECT_REFUSED))
            r.expect_equal(status, 0, "sendmail exit status (output %r)" % out)
            deadline = time.monotonic() + 15
            want = "milter-reject: END-OF-MESSAGE"
            while time.monotonic() < deadline and REFUSAL not in pf.log()[offset:]:
                time.sleep(0.2)
            lines = [l for l in pf.log()[offset:].splitlines() if want in l and REFUSAL in l]
            r.expect(lines, "no '%s ... %s' in the Postfix log:%s"
                     % (want, REFUSAL, pf.log_tail(10)))
            time.sleep(1.0)
            refused = [m for m in ctx.delivered(SUBJECT_REFUSED)
                       if "blocked@example.test" in (m.get("Delivered-To") or "")]
            r.expect(not refused, "refused message delivered to blocked@example.test")
    finally:
        pf.reconfigure(non_smtpd_milters="")
        ctx.stop_daemon(results, GROUP, daemon)
