# SPDX-License-Identifier: Apache-2.0
# sm_context.py - what the Sendmail case groups share: the e2e harness's
# Context (binary, temp dir, daemons on one loopback milter port) with a
# private Sendmail instead of Postfix, the milter lines of
# packaging/sendmail/milter-verdict.mc, and a scenario runner that compares
# every reply line whole.
#
# Call order: SmContext(mv_bin, workdir, sendmail_root) -> start_sendmail()
# -> per group: start_daemon(config) ... stop_daemon(results, group) ->
# close(). close() stops every daemon and Sendmail, whatever happened
# before; sendmail_e2e.py runs it from a `finally`.
#
# The milter lines are the packaging file's, as shipped: only the socket is
# replaced (S=inet:8890@127.0.0.1 -> this run's port, or the file's unix
# form uncommented with this run's path), and, for the group that tests it,
# F=T is dropped. A change to the file that these substitutions no longer
# match is a harness error, so the tests cannot drift from what is shipped.
import os
import re

from harness.context import Context
from harness.net import HarnessError
from harness.sendmail_instance import SendmailInstance, HOSTNAME
from harness.smtp_client import SmtpClosed, SmtpSession, message

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MILTER_MC = os.path.join(TOP, "packaging", "sendmail", "milter-verdict.mc")
SM_CONFIGS = os.path.join(TOP, "tests", "sendmail", "configs")

GREETING = ["220 %s ESMTP" % HOSTNAME]
DATA_OK = ["354 End data with <CR><LF>.<CR><LF>"]
ACCEPTED = re.compile(r"^250 2\.0\.0 (\w+) Message accepted for delivery$")


def mail_ok(addr):
    return ["250 2.1.0 <%s>... Sender ok" % addr]


def rcpt_ok(addr):
    return ["250 2.1.5 <%s>... Recipient ok" % addr]


def milter_lines(socket_spec, failure_flag=True, path=MILTER_MC):
    """The active lines of milter-verdict.mc for `socket_spec` ("inet:PORT@HOST" or
    "unix:PATH"); failure_flag=False drops F=T (mail then passes when the filter fails)."""
    with open(path) as f:
        lines = f.read().splitlines()
    out = []
    filters = 0
    for line in lines:
        unix_form = line.startswith("dnl INPUT_MAIL_FILTER(") and "S=unix:" in line
        if unix_form and socket_spec.startswith("unix:"):
            line = line[len("dnl "):]
        elif line.startswith("dnl") or not line.strip():
            continue
        if line.startswith("INPUT_MAIL_FILTER("):
            if socket_spec.startswith("unix:") != ("S=unix:" in line):
                continue
            new, n = re.subn(r"S=(inet|unix):[^,']+", "S=" + socket_spec, line)
            if n != 1:
                raise HarnessError("%s: no S= socket in %r" % (path, line))
            if not failure_flag:
                new, n = re.subn(r"F=T, ", "", new)
                if n != 1:
                    raise HarnessError("%s: no 'F=T, ' in %r" % (path, line))
            line = new
            filters += 1
        out.append(line)
    if filters != 1:
        raise HarnessError("%s: expected one INPUT_MAIL_FILTER line for %s, found %d"
                           % (path, socket_spec, filters))
    return "\n".join(out) + "\n"


class SmContext(Context):
    def __init__(self, mv_bin, workdir, sendmail_root):
        super().__init__(mv_bin, workdir)
        self.sendmail_root = sendmail_root
        self.sendmail = None

    def config(self, name):
        """The suite's own configs/NAME, else the Postfix suite's (the shared cases)."""
        own = os.path.join(SM_CONFIGS, name)
        return own if os.path.exists(own) else super().config(name)

    @property
    def milter_socket(self):
        """The daemons' socket as Sendmail's S= writes it (libmilter's form too)."""
        return "inet:%d@127.0.0.1" % self.milter_port

    def start_sendmail(self):
        self.sendmail = SendmailInstance(os.path.join(self.workdir, "sendmail"),
                                         self.sendmail_root, milter_lines(self.milter_socket))
        self.sendmail.start()

    def session(self, source="127.0.0.1"):
        return SmtpSession(self.sendmail.smtp_port, source=source)

    def messages(self):
        return self.sendmail.messages()

    def delivered(self, subject):
        return self.sendmail.delivered(subject)

    def close(self):
        for d in self.daemons:
            try:
                d.stop(timeout=5)
            except Exception:
                pass
        if self.sendmail:
            self.sendmail.close()


class SmScenario:
    """One SMTP session through Sendmail. Replies: a list of lines, None (not
    checked) or "ok" (Sendmail's own 250 for MAIL/RCPT). final_reply "accepted"
    expects 250 2.0.0 <queue id> Message accepted for delivery; run() returns
    that queue id (None otherwise)."""

    def __init__(self, source="127.0.0.1", helo="client.example.test",
                 sender="sender@example.test", helo_reply=None, mail_reply="ok", rcpts=(),
                 subject=None, data_reply=DATA_OK, final_reply="accepted", closed_after=None,
                 body="hello\n", greeting=GREETING):
        self.source = source
        self.helo = helo
        self.sender = sender
        self.helo_reply = helo_reply
        self.mail_reply = mail_ok(sender) if mail_reply == "ok" else mail_reply
        self.rcpts = [(a, rcpt_ok(a) if w == "ok" else w) for a, w in rcpts]
        self.subject = subject
        self.data_reply = data_reply
        self.final_reply = final_reply
        self.closed_after = closed_after
        self.body = body
        self.greeting = greeting

    def run(self, ctx, r):
        queue_id = None
        s = ctx.session(self.source)
        try:
            r.expect_equal(s.greeting, self.greeting, "greeting")
            if not self._step(r, s, "EHLO " + self.helo, self.helo_reply, "EHLO"):
                return None
            if not self._step(r, s, "MAIL FROM:<%s>" % self.sender, self.mail_reply, "MAIL"):
                return None
            for addr, want in self.rcpts:
                if not self._step(r, s, "RCPT TO:<%s>" % addr, want, "RCPT " + addr):
                    return None
            if self.subject is not None:
                rcpt = self.rcpts[-1][0] if self.rcpts else "ok@example.test"
                first, final = s.data(message(self.sender, rcpt, self.subject, self.body))
                r.expect_equal(first, self.data_reply, "reply to DATA")
                if final is not None:
                    if self.final_reply == "accepted":
                        m = ACCEPTED.match(final[0]) if len(final) == 1 else None
                        r.expect(m, "end of data: expected 250 2.0.0 <id> Message accepted "
                                 "for delivery, got %r" % final)
                        queue_id = m.group(1) if m else None
                    else:
                        r.expect_equal(final, self.final_reply, "reply after end of data")
            s.quit()
        except SmtpClosed as e:
            r.expect(False, "server closed the session early: %s" % e)
        finally:
            s.close()
        return queue_id

    def _step(self, r, s, line, want, what):
        got = s.cmd(line)
        if want is not None:
            r.expect_equal(got, want, "reply to " + what)
        if self.closed_after == what:
            r.expect(s.is_closed(), "connection still open after %r" % got)
            return False
        return True
