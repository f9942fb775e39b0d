# SPDX-License-Identifier: Apache-2.0
# killed.py - the daemon dies (SIGKILL) in the middle of transactions.
#
# With the packaged F=T Sendmail tempfails whatever the filter would have
# judged, with its own text "451 4.3.2 Please try again later", and accepts
# nothing unfiltered (mailbox and queue checked). Without an F= flag
# (group killed-unfiltered; Sendmail restarted on a .mc without F=T)
# Sendmail goes on as if there were no filter: the mail passes unchecked,
# which is why the packaged lines say F=T. A restarted daemon answers again.
import time

from harness.smtp_client import message
from sm_context import DATA_OK, SmScenario, mail_ok, milter_lines, rcpt_ok

GROUP = "killed"
TRY_LATER = ["451 4.3.2 Please try again later"]
REJECT_RCPT = ["550 5.7.1 <blocked@example.test>... Recipient blocked@example.test refused "
               "by the e2e policy"]
SUBJECT_DATA = "e2e killed during data"
SUBJECT_RCPT = "e2e killed before rcpt"
SUBJECT_OPEN_DATA = "e2e unfiltered during data"
SUBJECT_OPEN_DOWN = "e2e unfiltered while down"


def kill_during_data(ctx, r, daemon, subject, want_final):
    with ctx.session() as s:
        s.cmd("EHLO client.example.test")
        r.expect_equal(s.cmd("MAIL FROM:<sender@example.test>"), mail_ok("sender@example.test"),
                       "MAIL")
        r.expect_equal(s.cmd("RCPT TO:<ok@example.test>"), rcpt_ok("ok@example.test"), "RCPT")
        r.expect_equal(s.cmd("DATA"), DATA_OK, "DATA")
        head, body = message("sender@example.test", "ok@example.test", subject).split("\n\n", 1)
        s.sock.sendall(head.replace("\n", "\r\n").encode() + b"\r\n\r\n")
        daemon.kill()
        s.sock.sendall(body.replace("\n", "\r\n").encode() + b".\r\n")
        final = s.read_reply()
        if want_final == "accepted":
            r.expect(len(final) == 1 and final[0].endswith(" Message accepted for delivery"),
                     "reply after end of data: %r" % final)
        else:
            r.expect_equal(final, want_final, "reply after end of data")
        s.cmd("QUIT")


def run(ctx, results):
    daemon = ctx.start_daemon(ctx.config("replies.conf"))
    try:
        with results.case("%s: SIGKILL during DATA: end of data answers %s (F=T)"
                          % (GROUP, TRY_LATER[0])) as r:
            kill_during_data(ctx, r, daemon, SUBJECT_DATA, TRY_LATER)
        with results.case("%s: SIGKILL between MAIL and RCPT: RCPT answers %s"
                          % (GROUP, TRY_LATER[0])) as r:
            daemon = ctx.start_daemon(ctx.config("replies.conf"))
            with ctx.session() as s:
                s.cmd("EHLO client.example.test")
                r.expect_equal(s.cmd("MAIL FROM:<sender@example.test>"),
                               mail_ok("sender@example.test"), "MAIL")
                daemon.kill()
                got = s.cmd("RCPT TO:<ok@example.test>")
                r.expect_equal(got, TRY_LATER, "RCPT after the kill")
                if got[0].startswith("250"):
                    s.data(message("sender@example.test", "ok@example.test", SUBJECT_RCPT))
                s.cmd("QUIT")
        with results.case("%s: with the daemon down, a new session is tempfailed at MAIL"
                          % GROUP) as r:
            SmScenario(mail_reply=TRY_LATER).run(ctx, r)
        with results.case("%s: no message accepted unfiltered (mailbox, queue)" % GROUP) as r:
            time.sleep(2.0)  # a queue run (-q1s) would deliver anything wrongly accepted
            for subject in (SUBJECT_DATA, SUBJECT_RCPT):
                r.expect(not ctx.delivered(subject), "%r was delivered" % subject)
            r.expect_equal(ctx.sendmail.queue_files(), [], "files left in Sendmail's queue")
            r.expect("Milter (milter-verdict): to error state" in ctx.sendmail.log(),
                     "Sendmail did not log the filter's error state" + ctx.sendmail.log_tail(8))
        with results.case("%s: a restarted daemon answers again" % GROUP) as r:
            daemon = ctx.start_daemon(ctx.config("replies.conf"))
            SmScenario(rcpts=[("blocked@example.test", REJECT_RCPT)]).run(ctx, r)
    finally:
        ctx.stop_daemon(results, GROUP, daemon)

    group = "killed-unfiltered"
    daemon = None
    try:
        ctx.sendmail.reconfigure(milter_lines(ctx.milter_socket, failure_flag=False))
        daemon = ctx.start_daemon(ctx.config("replies.conf"))
        with results.case("%s: without F=T, SIGKILL during DATA: Sendmail accepts the message"
                          % group) as r:
            kill_during_data(ctx, r, daemon, SUBJECT_OPEN_DATA, "accepted")
        with results.case("%s: without F=T and the daemon down, a refused recipient passes"
                          % group) as r:
            SmScenario(rcpts=[("blocked@example.test", "ok")], subject=SUBJECT_OPEN_DOWN).run(
                ctx, r)
        with results.case("%s: both messages are delivered unfiltered" % group) as r:
            ctx.sendmail.wait_mailbox(lambda t: SUBJECT_OPEN_DOWN in t and SUBJECT_OPEN_DATA in t)
            for subject in (SUBJECT_OPEN_DATA, SUBJECT_OPEN_DOWN):
                r.expect_equal(len(ctx.delivered(subject)), 1, "copies of %r" % subject)
        with results.case("%s: a restarted daemon filters again" % group) as r:
            daemon = ctx.start_daemon(ctx.config("replies.conf"))
            SmScenario(rcpts=[("blocked@example.test", REJECT_RCPT)]).run(ctx, r)
    finally:
        if daemon is not None:
            ctx.stop_daemon(results, group, daemon)
        ctx.sendmail.reconfigure(milter_lines(ctx.milter_socket))
