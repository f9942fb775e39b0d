# SPDX-License-Identifier: Apache-2.0
# scenario.py - one SMTP transaction through Postfix, asserted line by line.
#
# A Scenario lists the commands of one session and the exact reply lines
# expected for each (None = not checked, e.g. EHLO's capability list). run()
# plays it through a Context's Postfix, records every mismatch in the current
# Results case, and checks afterwards, when asked, that the server closed
# the connection (421) and whether the message was delivered (mbox).
#
# Errors: a connection closed or a reply missing where one was expected is a
# mismatch of the case, not a crash of the suite.
from harness.smtp_client import SmtpClosed, message

OK_GREETING = ["220 mx.example.test ESMTP"]
OK_MAIL = ["250 2.1.0 Ok"]
OK_RCPT = ["250 2.1.5 Ok"]
OK_DATA = ["354 End data with <CR><LF>.<CR><LF>"]


class Scenario:
    def __init__(self, source="127.0.0.1", helo="client.example.test", sender="sender@example.test",
                 helo_reply=None, mail_reply=OK_MAIL, rcpts=(), subject=None,
                 data_reply=OK_DATA, final_reply="queued", closed_after=None,
                 extra_headers=(), body="hello\n"):
        self.source = source
        self.helo = helo
        self.helo_reply = helo_reply
        self.sender = sender
        self.mail_reply = mail_reply
        self.rcpts = list(rcpts)          # (address, expected lines)
        self.subject = subject            # None = no DATA
        self.data_reply = data_reply
        self.final_reply = final_reply    # lines, or "queued" for 250 2.0.0 Ok: queued as ID
        self.closed_after = closed_after  # "RCPT <addr>" etc.: server must close after it
        self.extra_headers = extra_headers
        self.body = body

    def run(self, ctx, r):
        s = ctx.session(self.source)
        try:
            r.expect_equal(s.greeting, OK_GREETING, "greeting")
            self._step(r, s, "EHLO " + self.helo, self.helo_reply, "EHLO")
            if not self._step(r, s, "MAIL FROM:<%s>" % self.sender, self.mail_reply, "MAIL"):
                return
            for addr, want in self.rcpts:
                if not self._step(r, s, "RCPT TO:<%s>" % addr, want, "RCPT " + addr):
                    return
            if self.subject is None:
                s.quit()
                return
            rcpt = self.rcpts[-1][0] if self.rcpts else "ok@example.test"
            msg = message(self.sender, rcpt, self.subject, self.body, self.extra_headers)
            first, final = s.data(msg)
            r.expect_equal(first, self.data_reply, "reply to DATA")
            if final is None:
                return
            if self.final_reply == "queued":
                r.expect(len(final) == 1 and final[0].startswith("250 2.0.0 Ok: queued as "),
                         "end of data: expected 250 2.0.0 Ok: queued as ..., got %r" % final)
            else:
                r.expect_equal(final, self.final_reply, "reply after end of data")
            if self.closed_after == "DATA":
                r.expect(s.is_closed(), "connection still open after %r" % final)
            else:
                s.quit()
        except SmtpClosed as e:
            r.expect(False, "server closed the session early: %s" % e)
        finally:
            s.close()

    def _step(self, r, s, line, want, what):
        """Send one command; False when the session ends here (as expected)."""
        got = s.cmd(line)
        if want is not None:
            r.expect_equal(got, want, "reply to " + what)
        if self.closed_after == what:
            r.expect(s.is_closed(), "connection still open after %r" % got)
            return False
        return True
