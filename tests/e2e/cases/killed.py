# SPDX-License-Identifier: Apache-2.0
# killed.py - the daemon dies (SIGKILL) in the middle of transactions.
#
# Postfix must answer per milter_default_action = tempfail, with its own text
# "451 4.7.1 Service unavailable - try again later" (as Postfix 3.7.11 sends it),
# and no message may be accepted unfiltered: the mailbox and every queue are
# checked afterwards. A restarted daemon then answers normally.
import time

from harness.scenario import OK_MAIL, OK_RCPT, OK_DATA
from harness.smtp_client import message

GROUP = "killed"
POSTFIX_TEMPFAIL = ["451 4.7.1 Service unavailable - try again later"]
REJECT_RCPT = ["550 5.7.1 Recipient blocked@example.test refused by the e2e policy"]
SUBJECT_DATA = "e2e killed during data"
SUBJECT_RCPT = "e2e killed before rcpt"


def run(ctx, results):
    daemon = ctx.start_daemon(ctx.config("replies.conf"))
    try:
        with results.case("%s: SIGKILL during DATA: end of data answers %s"
                          % (GROUP, POSTFIX_TEMPFAIL[0])) as r:
            with ctx.session() as s:
                s.cmd("EHLO client.example.test")
                r.expect_equal(s.cmd("MAIL FROM:<sender@example.test>"), OK_MAIL, "MAIL")
                r.expect_equal(s.cmd("RCPT TO:<ok@example.test>"), OK_RCPT, "RCPT")
                r.expect_equal(s.cmd("DATA"), OK_DATA, "DATA")
                text = message("sender@example.test", "ok@example.test", SUBJECT_DATA)
                head, body = text.split("\n\n", 1)
                s.sock.sendall(head.replace("\n", "\r\n").encode() + b"\r\n\r\n")
                daemon.kill()
                s.sock.sendall(body.replace("\n", "\r\n").encode() + b".\r\n")
                r.expect_equal(s.read_reply(), POSTFIX_TEMPFAIL, "reply after end of data")
                s.cmd("QUIT")

        with results.case("%s: SIGKILL between MAIL and RCPT: RCPT answers %s"
                          % (GROUP, POSTFIX_TEMPFAIL[0])) as r:
            daemon = ctx.start_daemon(ctx.config("replies.conf"))
            with ctx.session() as s:
                s.cmd("EHLO client.example.test")
                r.expect_equal(s.cmd("MAIL FROM:<sender@example.test>"), OK_MAIL, "MAIL")
                daemon.kill()
                got = s.cmd("RCPT TO:<ok@example.test>")
                r.expect_equal(got, POSTFIX_TEMPFAIL, "RCPT after the kill")
                if got[0].startswith("250"):
                    s.data(message("sender@example.test", "ok@example.test", SUBJECT_RCPT))
                s.cmd("QUIT")

        with results.case("%s: with the daemon down, a new session is tempfailed at MAIL"
                          % GROUP) as r:
            with ctx.session() as s:
                s.cmd("EHLO client.example.test")
                r.expect_equal(s.cmd("MAIL FROM:<sender@example.test>"), POSTFIX_TEMPFAIL, "MAIL")
                s.cmd("QUIT")

        with results.case("%s: no message accepted unfiltered (mailbox, queues, Postfix log)"
                          % GROUP) as r:
            time.sleep(2.0)  # give qmgr a chance to deliver anything it wrongly accepted
            for subject in (SUBJECT_DATA, SUBJECT_RCPT):
                r.expect(not ctx.delivered(subject), "%r was delivered" % subject)
            r.expect_equal(ctx.postfix.queue_files(), [], "files left in the Postfix queues")
            log = ctx.postfix.log()
            r.expect("milter-reject: END-OF-MESSAGE" in log and
                     "451 4.7.1 Service unavailable - try again later" in log,
                     "Postfix log lacks the END-OF-MESSAGE milter-reject line")

        with results.case("%s: a restarted daemon answers again" % GROUP) as r:
            daemon = ctx.start_daemon(ctx.config("replies.conf"))
            with ctx.session() as s:
                s.cmd("EHLO client.example.test")
                s.cmd("MAIL FROM:<sender@example.test>")
                r.expect_equal(s.cmd("RCPT TO:<blocked@example.test>"), REJECT_RCPT, "RCPT")
                s.cmd("QUIT")
    finally:
        ctx.stop_daemon(results, GROUP, daemon)
