# SPDX-License-Identifier: Apache-2.0
# defaults.py - the table of default replies, on the wire, row by row.
#
# Every reply below comes from a rule that names an action but no code (or
# from the daemon itself), driven through the private Postfix by the raw SMTP
# client; each case asserts the exact reply line at the exact command. The
# expected codes are typed here from the contract, not taken from the
# program: DESIGN.md section 2 ("policy reject 550 5.7.1; policy tempfail 450
# 4.7.1 at RCPT and 451 4.7.1 elsewhere; greylisting 451 4.7.1; rate limit 450
# 4.7.1; too many recipients 452 4.5.3; message too big 552 5.3.4; reject at
# the DATA command 554 5.7.1; a state backend or DNS failure 451 4.4.3;
# disconnect 421 4.7.0"), RFC 5321 4.3.2 (which replies each command may
# get), 4.5.3.1.10 (452 for too many recipients), RFC 1870 6 (552 for a size
# over the limit, 452 for one that cannot be taken now) and RFC 3463 / the
# IANA registry (X.3.4 is permanent only, X.3.1 transient; X.5.3). The texts
# are the documented default texts (milter-verdict.conf(5), explain
# --defaults), a decision recorded once.
#
# Coverage: the last case reads `milter-verdict explain --defaults --format
# tsv` and fails when a row of the table has no wire case here (or is not
# listed in UNREACHABLE with the reason it cannot be provoked through an MTA
# and the unit test that covers it instead, or in ELSEWHERE by the group that
# has its case: the DNS reasons are asserted in cases/dns.py, against nsd).
import os
import re
import subprocess

from harness.net import free_port
from harness.smtp_client import SmtpClosed

GROUP = "defaults"

# Rows -> the cases below that cover them, as "reason action stages".
COVERED = {}
# Rows that no MTA can provoke: the daemon's own failure at the greeting and
# HELO is an exception inside a handler (tests/unit/test_milter_callbacks.cpp
# testExceptionAtConnectAnswers421 covers it).
UNREACHABLE = {"internal-error tempfail connect,helo":
               "an exception inside the connect or HELO handler; unit test "
               "testExceptionAtConnectAnswers421"}
# Rows whose wire cases live in another group, which fills this at import:
# row -> "group: case" (cases/dns.py for the DNS reasons).
ELSEWHERE = {}

DELAYED = """
daemon = { log = "stderr"; };
state = { backend = "memory"; file = "%(state)s"; save_interval = "1h"; };
rules = (
  { name = "helo-reject"; when = { helo = "reject.helo.example"; }; action = "reject"; },
  { name = "rcpt-reject"; when = { rcpt = "reject@example.test"; }; action = "reject"; },
  { name = "rcpt-tempfail"; when = { rcpt = "tempfail@example.test"; }; action = "tempfail"; },
  { name = "data-reject"; when = { sender = "reject-data@example.test"; }; stage = "data";
    action = "reject"; },
  { name = "data-tempfail"; when = { sender = "tempfail-data@example.test"; }; stage = "data";
    action = "tempfail"; },
  # DATA-stage rules before the end-of-data ones: a DATA refusal waits for
  # an earlier end-of-data rule that can still match (file order).
  { name = "data-too-big"; when = { sender = "big-data@example.test";
                                    declared_size = { over = 20000; }; };
    stage = "data"; action = "reject"; },
  { name = "many-data"; when = { sender = "many-data@example.test"; rcpt_count = { over = 3; }; };
    stage = "data"; action = "tempfail"; },
  { name = "grey-data"; when = { sender = "grey-data@example.test";
                                 greylist = { delay = "1h"; expiry = "4h"; refuse_at = "data"; }; };
    action = "tempfail"; },
  { name = "eod-reject"; when = { header = { name = "Subject"; value = "/^reject-eod$/"; }; };
    action = "reject"; },
  { name = "eod-tempfail"; when = { header = { name = "Subject"; value = "/^tempfail-eod$/"; }; };
    action = "tempfail"; },
  { name = "too-big"; when = { sender = "big@example.test"; size = { over = 20000; }; };
    action = "reject"; },
  { name = "too-big-now"; when = { sender = "big-later@example.test"; size = { over = 20000; }; };
    action = "tempfail"; },
  { name = "announced-too-big"; when = { sender = "declared@example.test";
                                         declared_size = { over = 20000; }; };
    action = "reject"; },
  { name = "announced-too-big-now"; when = { sender = "declared-later@example.test";
                                             declared_size = { over = 20000; }; };
    action = "tempfail"; },
  { name = "many"; when = { sender = "many@example.test"; rcpt_count = { over = 3; }; };
    action = "tempfail"; },
  { name = "many-reject"; when = { sender = "many-reject@example.test"; rcpt_count = { over = 3; }; };
    action = "reject"; },
  { name = "many-eod"; when = { sender = "many-eod@example.test"; rcpt_count = { over = 3; }; };
    stage = "end-of-data"; action = "tempfail"; },
  { name = "many-eod-reject"; when = { sender = "many-eod-reject@example.test";
                                       rcpt_count = { over = 3; }; };
    stage = "end-of-data"; action = "reject"; },
  { name = "grey"; when = { sender = "grey@example.test";
                            greylist = { delay = "1h"; expiry = "4h"; }; }; action = "tempfail"; },
  { name = "rate"; when = { sender = "rate@example.test";
                            rate_limit = { key = "sender"; count = "recipient"; limit = "1/1h"; }; };
    action = "tempfail"; },
  { name = "rate-eod"; when = { sender = "rate-eod@example.test";
                                rate_limit = { key = "sender"; count = "message"; limit = "1/1h"; }; };
    stage = "end-of-data"; action = "tempfail"; },
  { name = "bye"; when = { rcpt = "bye@example.test"; }; action = "tempfail";
    reply = { disconnect = true; }; }
);
"""

IMMEDIATE = """
daemon = { log = "stderr"; };
policy = { delay_reject = false; };
state = { backend = "memory"; file = "%(state)s"; save_interval = "1h"; };
rules = (
  { name = "client-reject"; when = { client_addr = "127.0.0.3"; }; action = "reject"; },
  { name = "client-bye"; when = { client_addr = "127.0.0.4"; }; action = "reject";
    reply = { disconnect = true; }; },
  { name = "helo-reject"; when = { helo = "reject.helo.example"; }; action = "reject"; },
  { name = "mail-tempfail"; when = { sender = "tempfail@example.test"; }; action = "tempfail"; },
  { name = "announced-too-big"; when = { sender = "declared@example.test";
                                         declared_size = { over = 20000; }; };
    action = "reject"; },
  { name = "announced-too-big-now"; when = { sender = "declared-later@example.test";
                                             declared_size = { over = 20000; }; };
    action = "tempfail"; },
  { name = "rate-mail"; when = { sender = "rate@example.test";
                                 rate_limit = { key = "sender"; count = "message"; limit = "1/1h"; }; };
    action = "tempfail"; }
);
"""

# A Redis on a port nobody listens on: every stateful rule fails; closed.
BACKEND_DOWN = """
daemon = { log = "stderr"; };
policy = { delay_reject = %(delay)s; };
state = { backend = "redis"; redis = { host = "127.0.0.1"; port = %(port)d; timeout_ms = 200; }; };
rules = (
  { name = "conn-limit"; on_backend_error = "closed"; when = { client_addr = "127.0.0.5";
      rate_limit = { key = "client"; count = "connection"; limit = "100/1h"; }; };
    action = "tempfail"; },
  { name = "rcpt-limit"; on_backend_error = "closed"; when = { sender = "limited@example.test";
      rate_limit = { key = "sender"; count = "recipient"; limit = "100/1h"; }; };
    action = "tempfail"; }
);
"""

OK_DATA = ["354 End data with <CR><LF>.<CR><LF>"]
RETRY = re.compile(r"(.* please try again in )(\d+)( seconds)$")


def retry_free(lines):
    """'... try again in 3600 seconds' -> '... try again in N seconds' (N checked > 0)."""
    out = []
    for line in lines or []:
        m = RETRY.fullmatch(line)
        out.append(m.group(1) + "N" + m.group(3) if m and int(m.group(2)) > 0 else line)
    return out


def big_body(size):
    line = "x" * 70 + "\n"
    return line * (size // len(line) + 1)


class Session:
    """One SMTP session; every reply kept, None after the server closed."""

    def __init__(self, ctx, source="127.0.0.1"):
        self.s = ctx.session(source)
        self.greeting = self.s.greeting
        self.closed = False

    def cmd(self, line):
        if self.closed:
            return None
        try:
            return self.s.cmd(line)
        except SmtpClosed:
            self.closed = True
            return None

    def data(self, sender, rcpt, subject="defaults", body="hello\n"):
        first = self.cmd("DATA")
        if not first or not first[0].startswith("354"):
            return first, None
        text = ("From: <%s>\r\nTo: <%s>\r\nSubject: %s\r\nMessage-ID: <%s.%s>\r\n\r\n"
                % (sender, rcpt, subject, subject, sender)) + body.replace("\n", "\r\n")
        self.s.sock.sendall(text.encode() + b".\r\n")
        try:
            return first, self.s.read_reply()
        except SmtpClosed:
            self.closed = True
            return first, None

    def close(self):
        if not self.closed:
            try:
                self.s.cmd("QUIT")
            except SmtpClosed:
                pass
        self.s.close()


def case(results, row, name):
    COVERED.setdefault(row, []).append(name)
    return results.case("%s: %s [%s]" % (GROUP, name, row))


def envelope(ctx, sender, rcpts, helo="client.example.test", mail_args="", source="127.0.0.1"):
    """EHLO, MAIL, RCPTs: the replies of MAIL and of each RCPT."""
    s = Session(ctx, source)
    s.cmd("EHLO " + helo)
    got = [s.cmd("MAIL FROM:<%s>%s" % (sender, mail_args))]
    for rcpt in rcpts:
        got.append(s.cmd("RCPT TO:<%s>" % rcpt))
    return s, got


def run_delayed(ctx, results, state):
    conf = os.path.join(ctx.workdir, "defaults-delayed.conf")
    with open(conf, "w") as f:
        f.write(DELAYED % {"state": state})
    daemon = ctx.start_daemon(conf)
    try:
        with case(results, "policy reject helo,mail,rcpt,end-of-data",
                  "reject at HELO (delay_reject) is 550 5.7.1 at RCPT") as r:
            s, got = envelope(ctx, "a@example.test", ["ok@example.test"], helo="reject.helo.example")
            r.expect_equal(got[1], ["550 5.7.1 Message refused by policy"], "RCPT")
            s.close()
        with case(results, "policy reject helo,mail,rcpt,end-of-data",
                  "reject at RCPT is 550 5.7.1") as r:
            s, got = envelope(ctx, "a@example.test", ["reject@example.test", "ok@example.test"])
            r.expect_equal(got[1], ["550 5.7.1 Message refused by policy"], "RCPT")
            r.expect_equal(got[2], ["250 2.1.5 Ok"], "next RCPT")
            s.close()
        with case(results, "policy reject helo,mail,rcpt,end-of-data",
                  "reject at end of data is 550 5.7.1 at '.'") as r:
            s, got = envelope(ctx, "a@example.test", ["ok@example.test"])
            first, final = s.data("a@example.test", "ok@example.test", subject="reject-eod")
            r.expect_equal(first, OK_DATA, "DATA")
            r.expect_equal(final, ["550 5.7.1 Message refused by policy"], "end of data")
            s.close()
        with case(results, "policy reject data",
                  "reject at the DATA command is 554 5.7.1 (RFC 5321 3.3)") as r:
            s, got = envelope(ctx, "reject-data@example.test", ["ok@example.test"])
            r.expect_equal(s.cmd("DATA"), ["554 5.7.1 Message refused by policy"], "DATA")
            s.close()
        with case(results, "policy tempfail rcpt", "tempfail at RCPT is 450 4.7.1") as r:
            s, got = envelope(ctx, "a@example.test", ["tempfail@example.test"])
            r.expect_equal(got[1], ["450 4.7.1 Temporarily refused by policy, please try again "
                                    "later"], "RCPT")
            s.close()
        with case(results, "policy tempfail connect,helo,mail,data,end-of-data",
                  "tempfail at the DATA command is 451 4.7.1") as r:
            s, got = envelope(ctx, "tempfail-data@example.test", ["ok@example.test"])
            r.expect_equal(s.cmd("DATA"), ["451 4.7.1 Temporarily refused by policy, please try "
                                           "again later"], "DATA")
            s.close()
        with case(results, "policy tempfail connect,helo,mail,data,end-of-data",
                  "tempfail at end of data is 451 4.7.1 at '.'") as r:
            s, got = envelope(ctx, "a@example.test", ["ok@example.test"])
            first, final = s.data("a@example.test", "ok@example.test", subject="tempfail-eod")
            r.expect_equal(final, ["451 4.7.1 Temporarily refused by policy, please try again "
                                   "later"], "end of data")
            s.close()
        with case(results, "message-too-big reject mail,rcpt,end-of-data",
                  "size over the limit is 552 5.3.4 at '.' (RFC 1870 6.1)") as r:
            s, got = envelope(ctx, "big@example.test", ["ok@example.test"])
            first, final = s.data("big@example.test", "ok@example.test", body=big_body(25000))
            r.expect_equal(final, ["552 5.3.4 Message too big"], "end of data")
            s.close()
        with case(results, "message-too-big tempfail mail,rcpt,end-of-data",
                  "size tempfail is 452 4.3.1 at '.' (RFC 1870 6.2; X.3.4 is permanent only)") as r:
            s, got = envelope(ctx, "big-later@example.test", ["ok@example.test"])
            first, final = s.data("big-later@example.test", "ok@example.test",
                                  body=big_body(25000))
            r.expect_equal(final, ["452 4.3.1 Insufficient system storage for this message, "
                                   "please try again later"], "end of data")
            s.close()
        with case(results, "message-too-big reject mail,rcpt,end-of-data",
                  "declared SIZE= over the limit is 552 5.3.4 at RCPT (delay_reject)") as r:
            s, got = envelope(ctx, "declared@example.test", ["ok@example.test"],
                              mail_args=" SIZE=30000")
            r.expect_equal(got[0], ["250 2.1.0 Ok"], "MAIL")
            r.expect_equal(got[1], ["552 5.3.4 Message too big"], "RCPT")
            s.close()
        with case(results, "message-too-big tempfail mail,rcpt,end-of-data",
                  "declared SIZE= tempfail is 452 4.3.1 at RCPT") as r:
            s, got = envelope(ctx, "declared-later@example.test", ["ok@example.test"],
                              mail_args=" SIZE=30000")
            r.expect_equal(got[1], ["452 4.3.1 Insufficient system storage for this message, "
                                    "please try again later"], "RCPT")
            s.close()
        with case(results, "message-too-big reject data",
                  "declared SIZE= refused at the DATA command is 554 5.3.4") as r:
            s, got = envelope(ctx, "big-data@example.test", ["ok@example.test"],
                              mail_args=" SIZE=30000")
            r.expect_equal(s.cmd("DATA"), ["554 5.3.4 Message too big"], "DATA")
            s.close()
        rcpts = ["r%d@example.test" % i for i in range(1, 5)]
        with case(results, "too-many-recipients tempfail rcpt,end-of-data",
                  "rcpt_count tempfail is 452 4.5.3 at the 4th RCPT (RFC 5321 4.5.3.1.10)") as r:
            s, got = envelope(ctx, "many@example.test", rcpts)
            r.expect_equal(got[1:4], [["250 2.1.5 Ok"]] * 3, "RCPT 1-3")
            r.expect_equal(got[4], ["452 4.5.3 Too many recipients"], "RCPT 4")
            s.close()
        with case(results, "too-many-recipients reject rcpt,end-of-data",
                  "rcpt_count reject is 550 5.5.3 at the 4th RCPT") as r:
            s, got = envelope(ctx, "many-reject@example.test", rcpts)
            r.expect_equal(got[4], ["550 5.5.3 Too many recipients"], "RCPT 4")
            s.close()
        with case(results, "too-many-recipients tempfail data",
                  "rcpt_count tempfail at the DATA command is 451 4.5.3") as r:
            s, got = envelope(ctx, "many-data@example.test", rcpts)
            r.expect_equal(s.cmd("DATA"), ["451 4.5.3 Too many recipients, please try again "
                                           "later"], "DATA")
            s.close()
        with case(results, "too-many-recipients tempfail rcpt,end-of-data",
                  "rcpt_count tempfail at end of data is 452 4.5.3 at '.'") as r:
            s, got = envelope(ctx, "many-eod@example.test", rcpts)
            first, final = s.data("many-eod@example.test", rcpts[0])
            r.expect_equal(final, ["452 4.5.3 Too many recipients"], "end of data")
            s.close()
        with case(results, "too-many-recipients reject rcpt,end-of-data",
                  "rcpt_count reject at end of data is 550 5.5.3 at '.'") as r:
            s, got = envelope(ctx, "many-eod-reject@example.test", rcpts)
            first, final = s.data("many-eod-reject@example.test", rcpts[0])
            r.expect_equal(final, ["550 5.5.3 Too many recipients"], "end of data")
            s.close()
        with case(results, "greylist tempfail rcpt,data", "greylisting is 451 4.7.1 at RCPT") as r:
            s, got = envelope(ctx, "grey@example.test", ["ok@example.test"])
            r.expect_equal(retry_free(got[1]), ["451 4.7.1 Greylisted, please try again in N "
                                                "seconds"], "RCPT")
            s.close()
        with case(results, "greylist tempfail rcpt,data",
                  "greylisting at DATA is 451 4.7.1 at the DATA command") as r:
            s, got = envelope(ctx, "grey-data@example.test", ["ok@example.test"])
            r.expect_equal(got[1], ["250 2.1.5 Ok"], "RCPT")
            r.expect_equal(retry_free(s.cmd("DATA")), ["451 4.7.1 Greylisted, please try again "
                                                       "in N seconds"], "DATA")
            s.close()
        with case(results, "rate-limit tempfail rcpt", "rate limit is 450 4.7.1 at RCPT") as r:
            s, got = envelope(ctx, "rate@example.test", ["one@example.test", "two@example.test"])
            r.expect_equal(got[1], ["250 2.1.5 Ok"], "RCPT within the limit")
            r.expect_equal(retry_free(got[2]), ["450 4.7.1 Rate limit exceeded, please try again "
                                                "in N seconds"], "RCPT over the limit")
            s.close()
        with case(results, "rate-limit tempfail connect,helo,mail,data,end-of-data",
                  "rate limit at end of data is 451 4.7.1 at '.'") as r:
            finals = []
            for _ in range(2):
                s, got = envelope(ctx, "rate-eod@example.test", ["ok@example.test"])
                finals.append(s.data("rate-eod@example.test", "ok@example.test")[1])
                s.close()
            r.expect(finals[0] and finals[0][0].startswith("250 2.0.0 Ok: queued"),
                     "first message within the limit: %r" % finals[0])
            r.expect_equal(retry_free(finals[1]), ["451 4.7.1 Rate limit exceeded, please try "
                                                   "again in N seconds"], "second message")
        with case(results, "disconnect tempfail connect,helo,mail,rcpt,data,end-of-data",
                  "disconnect is 421 4.7.0 at RCPT and the session closes") as r:
            s, got = envelope(ctx, "a@example.test", ["bye@example.test"])
            r.expect_equal(got[1], ["421 4.7.0 Service not available, closing connection"],
                           "RCPT")
            r.expect(s.closed or s.s.is_closed(), "session still open after 421")
            s.close()
        with case(results, "internal-error tempfail mail,rcpt,data,end-of-data",
                  "a HELO name over the daemon's bound is 451 4.3.0 at MAIL") as r:
            s, got = envelope(ctx, "a@example.test", ["ok@example.test"],
                              helo="h" * 4097 + ".example")
            r.expect_equal(got[0], ["451 4.3.0 Temporary internal error, please try again later"],
                           "MAIL")
            s.close()
        with case(results, "internal-error tempfail mail,rcpt,data,end-of-data",
                  "a recipient over the daemon's bound is 451 4.3.0 at RCPT") as r:
            s, got = envelope(ctx, "a@example.test", ["r" * 4100 + "@example.test"])
            r.expect_equal(got[1], ["451 4.3.0 Temporary internal error, please try again later"],
                           "RCPT")
            s.close()
    finally:
        ctx.stop_daemon(results, GROUP, daemon)


def run_immediate(ctx, results, state):
    conf = os.path.join(ctx.workdir, "defaults-immediate.conf")
    with open(conf, "w") as f:
        f.write(IMMEDIATE % {"state": state})
    daemon = ctx.start_daemon(conf)
    try:
        # A connect-time refusal: Postfix replaces the greeting with its own
        # "554 ... not accepting connections" (RFC 5321 3.1) and gives the
        # milter's reply, text included, to the first command after EHLO.
        with case(results, "policy reject connect",
                  "delay_reject = false: reject at connect is 554 5.7.1 after a 554 greeting") as r:
            s = Session(ctx, "127.0.0.3")
            r.expect_equal(s.greeting, ["554 mx.example.test ESMTP not accepting connections"],
                           "greeting")
            s.cmd("EHLO client.example.test")
            r.expect_equal(s.cmd("MAIL FROM:<a@example.test>"),
                           ["554 5.7.1 Connection refused by policy"], "MAIL")
            s.close()
        with case(results, "disconnect reject connect",
                  "delay_reject = false: reject + disconnect at connect is 521 5.3.2, then "
                  "close (RFC 7504)") as r:
            s = Session(ctx, "127.0.0.4")
            r.expect_equal(s.greeting, ["554 mx.example.test ESMTP not accepting connections"],
                           "greeting")
            s.cmd("EHLO client.example.test")
            r.expect_equal(s.cmd("MAIL FROM:<a@example.test>"),
                           ["521 5.3.2 Host does not accept mail, closing connection"], "MAIL")
            r.expect(s.cmd("RCPT TO:<ok@example.test>") is None or s.s.is_closed(),
                     "session still open after 521")
            s.close()
        # A HELO-time refusal: Postfix accepts the EHLO and gives the milter's
        # reply to MAIL.
        with case(results, "policy reject helo,mail,rcpt,end-of-data",
                  "delay_reject = false: reject at HELO is 550 5.7.1 at MAIL") as r:
            s = Session(ctx)
            got = s.cmd("EHLO reject.helo.example")
            r.expect(got is not None and got[-1].startswith("250 "), "EHLO: %r" % got)
            r.expect_equal(s.cmd("MAIL FROM:<a@example.test>"),
                           ["550 5.7.1 Message refused by policy"], "MAIL")
            s.close()
        with case(results, "policy tempfail connect,helo,mail,data,end-of-data",
                  "delay_reject = false: tempfail at MAIL is 451 4.7.1") as r:
            s, got = envelope(ctx, "tempfail@example.test", [])
            r.expect_equal(got[0], ["451 4.7.1 Temporarily refused by policy, please try again "
                                    "later"], "MAIL")
            s.close()
        with case(results, "message-too-big reject mail,rcpt,end-of-data",
                  "delay_reject = false: declared SIZE= over the limit is 552 5.3.4 at MAIL") as r:
            s, got = envelope(ctx, "declared@example.test", [], mail_args=" SIZE=30000")
            r.expect_equal(got[0], ["552 5.3.4 Message too big"], "MAIL")
            s.close()
        with case(results, "message-too-big tempfail mail,rcpt,end-of-data",
                  "delay_reject = false: declared SIZE= tempfail is 452 4.3.1 at MAIL") as r:
            s, got = envelope(ctx, "declared-later@example.test", [], mail_args=" SIZE=30000")
            r.expect_equal(got[0], ["452 4.3.1 Insufficient system storage for this message, "
                                    "please try again later"], "MAIL")
            s.close()
        with case(results, "rate-limit tempfail connect,helo,mail,data,end-of-data",
                  "delay_reject = false: rate limit at MAIL is 451 4.7.1") as r:
            replies = []
            for _ in range(2):
                s, got = envelope(ctx, "rate@example.test", [])
                replies.append(got[0])
                s.close()
            r.expect_equal(replies[0], ["250 2.1.0 Ok"], "first MAIL")
            r.expect_equal(retry_free(replies[1]), ["451 4.7.1 Rate limit exceeded, please try "
                                                    "again in N seconds"], "second MAIL")
    finally:
        ctx.stop_daemon(results, GROUP, daemon)


def run_backend_down(ctx, results):
    dead = free_port()  # nothing listens there
    for delay in ("true", "false"):
        conf = os.path.join(ctx.workdir, "defaults-backend-%s.conf" % delay)
        with open(conf, "w") as f:
            f.write(BACKEND_DOWN % {"port": dead, "delay": delay})
        daemon = ctx.start_daemon(conf)
        try:
            if delay == "true":
                with case(results, "backend-failure tempfail mail,rcpt,data,end-of-data",
                          "state backend down, fail closed: 451 4.4.3 at RCPT") as r:
                    s, got = envelope(ctx, "limited@example.test", ["ok@example.test"])
                    r.expect_equal(got[1], ["451 4.4.3 Temporary lookup failure, please try "
                                            "again later"], "RCPT")
                    s.close()
            else:
                # A connect-time lookup failure can only be answered with 421
                # (RFC 5321 4.3.2). Postfix (smtpd.c, milter reply at connect)
                # sends its own 421 greeting text instead of the milter's and
                # closes: the client sees 421, the daemon's 421 4.4.3 is logged.
                with case(results, "backend-failure tempfail connect,helo",
                          "delay_reject = false: state backend down at connect is 421 at the "
                          "greeting, then close") as r:
                    s = Session(ctx, "127.0.0.5")
                    r.expect_equal(s.greeting, ["421 mx.example.test Service unavailable - try "
                                                "again later"], "greeting")
                    r.expect(s.cmd("EHLO client.example.test") is None or s.s.is_closed(),
                             "session still open after the 421 greeting")
                    s.close()
                    r.expect("421 4.4.3 Temporary lookup failure, closing connection"
                             in daemon.log(), "the daemon's decision line names 421 4.4.3")
        finally:
            ctx.stop_daemon(results, GROUP, daemon)


def run(ctx, results):
    state_dir = os.path.join(ctx.workdir, "defaults-state")
    os.makedirs(state_dir, exist_ok=True)
    # A HELO name and a recipient over the daemon's 4096-byte bound must reach
    # it: Postfix's own line limit (2048) would cut them first.
    ctx.postfix.reconfigure(line_length_limit="20000")
    try:
        run_delayed(ctx, results, os.path.join(state_dir, "delayed"))
        run_immediate(ctx, results, os.path.join(state_dir, "immediate"))
        run_backend_down(ctx, results)
    finally:
        ctx.postfix.reconfigure(line_length_limit="2048")
    with results.case("%s: every row of explain --defaults has a wire case here" % GROUP) as r:
        out = subprocess.run([ctx.mv_bin, "explain", "--defaults", "--format", "tsv"],
                             capture_output=True, text=True, timeout=30)
        r.expect_equal(out.returncode, 0, "explain --defaults exit status")
        rows = [" ".join(line.split("\t")[:3]) for line in out.stdout.splitlines() if line]
        r.expect(len(rows) >= 20, "rows read: %d" % len(rows))
        missing = [row for row in rows
                   if row not in COVERED and row not in UNREACHABLE and row not in ELSEWHERE]
        r.expect(not missing, "rows without a wire case: %s" % "; ".join(missing))
        stale = [row for row in list(COVERED) + list(UNREACHABLE) + list(ELSEWHERE)
                 if row not in rows]
        r.expect(not stale, "cases name rows the table does not have: %s" % "; ".join(stale))
