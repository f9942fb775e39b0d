# SPDX-License-Identifier: Apache-2.0
# hostile_policy.py - group "hostile-policy": one policy-service-only daemon
# (the suite's binary, the ASan build in `make check`) with a metrics
# endpoint, driven over raw loopback sockets by clients that push the
# service's bounds (issue 29 points 8 and 9):
#
# * a client pipelining complete requests, all in one write, then back to
#   back for 3x policy_timeout (2 s here) with the next request's first
#   bytes always in flight, gets every answer in order and keeps its
#   connection; an incomplete request is still closed policy_timeout after
#   its first byte, with its log line;
# * SMTP sessions sending more recipients or more bytes of recipients than
#   policy_max_recipients (1000) and policy_max_recipient_bytes (1 MiB), the
#   defaults, get "452 4.5.3 Too many recipients" past them (DESIGN.md's
#   default for too many recipients) and one log line per message, and the
#   daemon's resident memory grows by less than what they sent;
# * TRACE and unknown methods on /metrics get what milter-verdict(8) says:
#   405 with "Allow: GET, HEAD" for a method HTTP defines, 501 for others;
# * through a private Postfix asking a second daemon with
#   policy_max_recipients = 3: the SMTP client sees Postfix's framing of the
#   452 4.5.3 for its 4th and 5th recipients, and sends them in a later
#   transaction.
#
# Expected answers come from the rules below and DESIGN.md's defaults. The
# daemon's ASan quarantine is set small (ASAN_OPTIONS) so that resident
# memory measures what the daemon keeps, not what ASan holds back after
# frees. Every socket has a timeout; the daemon is stopped in `finally`.
import os
import re
import socket
import threading
import time

from cases.policy_service import PolicyPostfix, rejected, session_replies
from harness.net import free_port
from harness.policy_daemon import PolicyDaemon
from harness.postfix_instance import PostfixInstance
from harness.scenario import OK_MAIL, OK_RCPT

GROUP = "hostile-policy"
TIMEOUT = 2  # policy_timeout of this group's daemon, seconds

CONF = """
daemon = { socket = ""; log = "stderr";
           policy_socket = "inet:%(policy)d@127.0.0.1";
           policy_timeout = %(timeout)d;
           metrics = "127.0.0.1:%(metrics)d"; };
rules = (
  { name = "gone"; when = { rcpt = "gone@example.org"; }; action = "reject"; }
);
"""

DUNNO = "action=DUNNO"
GONE = "action=550 5.7.1 Message refused by policy"   # DESIGN.md: policy reject
TOO_MANY = "action=452 4.5.3 Too many recipients"      # DESIGN.md: too many recipients


def request(rcpt, instance, port="40001", state="RCPT"):
    """A request as Postfix sends it from SMTP session 203.0.113.7:PORT."""
    attrs = [("request", "smtpd_access_policy"), ("protocol_state", state),
             ("protocol_name", "ESMTP"), ("client_address", "203.0.113.7"),
             ("client_name", "mx.sender.example"), ("client_port", port),
             ("server_address", "192.0.2.25"), ("server_port", "25"),
             ("helo_name", "mx.sender.example"), ("sender", "s@sender.example"),
             ("recipient", rcpt), ("instance", instance)]
    return ("".join("%s=%s\n" % kv for kv in attrs) + "\n").encode()


class Conn:
    """One service connection: sends from a thread, reads answers here."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""
        self.eof = False

    def answers(self, n, timeout=30.0):
        """Up to n answers ("action=..." lines), fewer at EOF or timeout."""
        out = []
        deadline = time.monotonic() + timeout
        while len(out) < n:
            while len(out) < n and b"\n\n" in self.buf:
                a, self.buf = self.buf.split(b"\n\n", 1)
                out.append(a.decode())
            if len(out) >= n or self.eof or time.monotonic() > deadline:
                break
            self.s.settimeout(max(0.05, min(1.0, deadline - time.monotonic())))
            try:
                chunk = self.s.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                chunk = b""
            if not chunk:
                self.eof = True
            self.buf += chunk
        return out

    def closed_within(self, timeout):
        """Seconds until the service closed the connection, None if it did not."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            self.s.settimeout(0.1)
            try:
                chunk = self.s.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return time.monotonic() - t0
            if not chunk:
                return time.monotonic() - t0
            self.buf += chunk
        return None

    def send_in_thread(self, data):
        def send():
            try:
                self.s.sendall(data)
            except OSError:
                pass  # closed by the service: the reader reports it
        t = threading.Thread(target=send, daemon=True)
        t.start()
        return t

    def close(self):
        self.s.close()


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def http(port, request_text):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        s.sendall(request_text.encode())
        out = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
        return out.decode("latin-1")
    finally:
        s.close()


def header(response, name):
    for line in response.split("\r\n\r\n", 1)[0].split("\r\n")[1:]:
        k, _, v = line.partition(":")
        if k.lower() == name.lower():
            return v.strip()
    return None


def pipelining(results, daemon, port):
    g = GROUP
    with results.case("%s: 5000 complete requests in one write are all answered, in order"
                      % g) as r:
        c = Conn(port)
        try:
            n = 5000
            data = b"".join(request("gone@example.org" if i % 100 == 7 else
                                    "w%d@example.org" % i, "one-%d" % i) for i in range(n))
            t = c.send_in_thread(data)
            got = c.answers(n, 60)
            t.join(30)
            want = [GONE if i % 100 == 7 else DUNNO for i in range(n)]
            r.expect_equal(len(got), n, "answers")
            r.expect(got == want, "answers out of order or wrong: first differences %r"
                     % [(i, a) for i, a in enumerate(got) if a != want[i]][:3])
        finally:
            c.close()

    with results.case("%s: a client pipelining back to back for %d s (3x policy_timeout), "
                      "the next request always begun, gets every answer and keeps its "
                      "connection; then an incomplete request is closed %d s after its first "
                      "byte" % (g, 3 * TIMEOUT, TIMEOUT)) as r:
        c = Conn(port)
        sent = [0]
        start = len(daemon.log())

        def writer():
            carry = b""
            until = time.monotonic() + 3 * TIMEOUT
            i = 0
            try:
                while time.monotonic() < until and i < 100000:
                    q = request("gone@example.org" if i % 50 == 3 else "p%d@example.org" % i,
                                "pipe-%d" % i)
                    c.s.sendall(carry + q[:len(q) // 2])
                    carry = q[len(q) // 2:]
                    i += 1
                    sent[0] = i
                    time.sleep(0.003)
                c.s.sendall(carry)
            except OSError:
                pass  # the service closed the connection: the reader sees it

        try:
            t = threading.Thread(target=writer, daemon=True)
            t0 = time.monotonic()
            t.start()
            got = []
            while t.is_alive() and not c.eof and time.monotonic() - t0 < 3 * TIMEOUT + 30:
                got += c.answers(1, 0.5)
            t.join(30)
            got += c.answers(sent[0] - len(got), 30)
            took = time.monotonic() - t0
            want = [GONE if i % 50 == 3 else DUNNO for i in range(sent[0])]
            r.expect(took >= 3 * TIMEOUT, "the client pipelined only %.1f s" % took)
            r.expect(sent[0] > 200, "only %d requests sent" % sent[0])
            r.expect_equal(len(got), sent[0], "answers to the %d requests sent" % sent[0])
            r.expect(got == want, "answers out of order or wrong: first differences %r"
                     % [(i, a) for i, a in enumerate(got) if a != want[i]][:3])
            r.expect(not c.eof, "the service closed the pipelining client")
            # Still open: one more request is answered.
            c.s.sendall(request("after@example.org", "after"))
            r.expect_equal(c.answers(1, 10), [DUNNO], "a request after the pipelining")
            log = daemon.log()[start:]
            r.expect("request not complete" not in log,
                     "the daemon logged a timeout: %s" % log[-300:])
            # An incomplete request is still timed out, from its own first byte.
            q = request("late@example.org", "late")
            c.s.sendall(q[:-1])  # no empty line
            after = c.closed_within(TIMEOUT + 10)
            r.expect(after is not None and TIMEOUT - 0.3 <= after <= TIMEOUT + 2.5,
                     "incomplete request closed after %r s (policy_timeout %d s)"
                     % (after, TIMEOUT))
            r.expect(daemon.wait_log("request not complete (no empty line) %d s after its "
                                     "first byte (policy_timeout); closing" % TIMEOUT,
                                     start=start),
                     "no timeout line in the daemon log")
        finally:
            c.close()


def session(port, client_port, rcpts, instance):
    """One SMTP session's RCPT requests in one write; its answers."""
    c = Conn(port)
    try:
        t = c.send_in_thread(b"".join(request(rc, instance, client_port) for rc in rcpts))
        got = c.answers(len(rcpts), 120)
        t.join(30)
        return got
    finally:
        c.close()


def bounds(results, daemon, port):
    g = GROUP
    with results.case("%s: 1100 recipients in one message: the first 1000 "
                      "(policy_max_recipients) pass, the others get 452 4.5.3, logged once"
                      % g) as r:
        start = len(daemon.log())
        got = session(port, "41000", ["c%d@example.org" % i for i in range(1100)], "count-1")
        r.expect_equal(got, [DUNNO] * 1000 + [TOO_MANY] * 100, "answers")
        # The SMTP session's connection id first: Postfix sent no queue_id.
        r.expect(daemon.wait_log("SMTP session 203.0.113.7 port 41000 instance=count-1: "
                                 "too many recipients (limit 1000) in one message "
                                 "(policy_max_recipients = 1000, policy_max_recipient_bytes = "
                                 "1048576); answering 452 4.5.3 Too many recipients to its "
                                 "further recipients", start=start),
                 "no bound line in the daemon log:\n" + daemon.log()[start:][-600:])
        r.expect_equal(daemon.log()[start:].count("too many recipients (limit 1000) in one"),
                       1, "bound lines for the message")
        r.expect(re.search(r": conn-[0-9a-f]{10}: policy service: \S+: SMTP session "
                           r"203\.0\.113\.7 port 41000 instance=count-1: ", daemon.log()[start:]),
                 "the bound line does not start with the session's connection id:\n"
                 + daemon.log()[start:][-600:])
        # The same session's next message starts afresh.
        r.expect_equal(session(port, "41000", ["next@example.org"], "count-2"), [DUNNO],
                       "the next message of the session")

    with results.case("%s: 8 sessions of 1200 recipients of 4000 bytes (38 MB): 262 fit "
                      "in policy_max_recipient_bytes (1 MiB), the others get 452 4.5.3; "
                      "one line per session; resident memory grows by less than 24 MiB"
                      % g) as r:
        pid = daemon.proc.pid
        fit = (1 << 20) // 4000  # 262 addresses of 4000 bytes in 1048576 bytes
        big = lambda i: "%05d%s@example.org" % (i, "a" * (4000 - 5 - 12))
        # One session first, so that what the allocator and ASan's quarantine
        # keep after a first such load is in the baseline.
        session(port, "42999", [big(i) for i in range(1200)], "warm")
        start = len(daemon.log())
        rss0 = rss_kib(pid)
        for k in range(8):
            got = session(port, str(43000 + k), [big(i) for i in range(1200)], "big-%d" % k)
            r.expect_equal(got, [DUNNO] * fit + [TOO_MANY] * (1200 - fit),
                           "answers of session %d" % k)
        rss1 = rss_kib(pid)
        grown = (rss1 - rss0) / 1024.0
        print("    %s: resident memory %d -> %d KiB (+%.1f MiB) after 38.4 MB of recipients"
              % (g, rss0, rss1, grown))
        r.expect(grown < 24, "resident memory grew by %.1f MiB (%d -> %d KiB)"
                 % (grown, rss0, rss1))
        r.expect_equal(daemon.log()[start:].count("recipient addresses over 1048576 bytes "
                                                  "(limit) in one message"),
                       8, "bound lines (one per session)")
        r.expect(daemon.running(), "daemon died")


def metrics(results, mport):
    g = GROUP
    with results.case("%s: /metrics: TRACE and DELETE get 405 with Allow: GET, HEAD; FOO and "
                      "PROPFIND get 501; GET still 200" % g) as r:
        for m in ("TRACE", "DELETE"):
            resp = http(mport, "%s /metrics HTTP/1.1\r\nHost: x\r\n\r\n" % m)
            r.expect(resp.startswith("HTTP/1.1 405 Method Not Allowed\r\n"),
                     "%s: %r" % (m, resp[:60]))
            r.expect_equal(header(resp, "Allow"), "GET, HEAD", "%s: Allow header" % m)
        for m in ("FOO", "PROPFIND"):
            resp = http(mport, "%s /metrics HTTP/1.1\r\nHost: x\r\n\r\n" % m)
            r.expect(resp.startswith("HTTP/1.1 501 Not Implemented\r\n"),
                     "%s: %r" % (m, resp[:60]))
        resp = http(mport, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        r.expect(resp.startswith("HTTP/1.1 200 OK\r\n"), "GET: %r" % resp[:60])


class BoundPostfix(PolicyPostfix):
    """A private Postfix of this group's own, asking the service at RCPT."""

    def __init__(self, ctx, port):
        self.pf = PostfixInstance(os.path.join(ctx.workdir, "postfix-hostile-policy"), milters="")
        self.port = port
        self.pf.reconfigure(**self.params("smtpd_recipient_restrictions"))


def through_postfix(ctx, results):
    g = GROUP
    port = free_port()
    conf = os.path.join(ctx.workdir, "hostile-policy-postfix.conf")
    with open(conf, "w") as f:
        f.write('daemon = { socket = ""; log = "stderr"; policy_socket = "inet:%d@127.0.0.1"; '
                'policy_max_recipients = 3; };\n'
                'rules = ( { name = "gone"; when = { rcpt = "gone@example.test"; }; '
                'action = "reject"; } );\n' % port)
    daemon = PolicyDaemon(ctx.mv_bin, conf, ctx.workdir, port, name="mv-hostile-policy-postfix")
    ctx.daemons.append(daemon)
    pp = BoundPostfix(ctx, port)
    try:
        daemon.start()
        pp.pf.start()
        with results.case("%s: through Postfix, policy_max_recipients = 3: the 4th and 5th "
                          "RCPT get 452 4.5.3 Too many recipients; a later transaction takes "
                          "them" % g) as r:
            rc = ["b%d@example.test" % i for i in range(5)]
            got = session_replies(pp, "sender@example.test", rc)
            too_many = lambda a: rejected(a, "Too many recipients", "452 4.5.3")
            r.expect_equal(got, [OK_MAIL] + [OK_RCPT] * 3 + [too_many(rc[3]), too_many(rc[4])],
                           "MAIL and RCPT replies")
            r.expect_equal(session_replies(pp, "sender@example.test", rc[3:]),
                           [OK_MAIL, OK_RCPT, OK_RCPT], "the later transaction")
            r.expect(daemon.wait_log("too many recipients (limit 3) in one message"),
                     "no bound line in the daemon log")
            odd = [l for l in pp.pf.log().splitlines()
                   if "warning:" in l or "fatal:" in l or "panic:" in l]
            r.expect(not odd, "Postfix warnings:\n" + "\n".join(odd[:5]))
    finally:
        ctx.stop_daemon(results, g + " (Postfix)", daemon)
        pp.pf.stop()


def run(ctx, results):
    port, mport = free_port(), free_port()
    conf = os.path.join(ctx.workdir, "hostile-policy.conf")
    with open(conf, "w") as f:
        f.write(CONF % {"policy": port, "metrics": mport, "timeout": TIMEOUT})
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = ":".join(x for x in (os.environ.get("ASAN_OPTIONS", ""),
                                               "quarantine_size_mb=4") if x)
    daemon = PolicyDaemon(ctx.mv_bin, conf, ctx.workdir, port, name="mv-hostile-policy", env=env)
    ctx.daemons.append(daemon)
    try:
        daemon.start()
        pipelining(results, daemon, port)
        bounds(results, daemon, port)
        metrics(results, mport)
        with results.case("%s: the daemon lived through it and logged no sanitizer report"
                          % GROUP) as r:
            r.expect(daemon.running(), "daemon not running")
            log = daemon.log()
            r.expect("AddressSanitizer" not in log and "runtime error" not in log,
                     log[-800:])
    finally:
        ctx.stop_daemon(results, GROUP, daemon)
    through_postfix(ctx, results)
