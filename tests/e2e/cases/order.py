# SPDX-License-Identifier: Apache-2.0
# order.py - file order is decision order, through Postfix (issue 24).
#
# Group "order":
# * config/examples/mx-greylisting-redis.conf as shipped (only the Redis
#   address, the metrics endpoint and the daemon user substituted) behind Postfix with SMTP AUTH:
#   its rule #2, the SASL rate limit (30 recipients a minute, count =
#   "recipient"), comes before rule #3 `authenticated` (accept): the accept
#   waits for it, so the 31st recipient of an authenticated sender gets
#   450 4.7.1 (DESIGN.md section 2: rate limit) and the first 30 get 250.
# * Monitor mode given the rules around it: `authenticated` (accept) then
#   `bad-net` (monitor, reject 127.0.0.0/8): an authenticated client is
#   accepted and bad-net's would-be refusal is neither counted in
#   milter_verdict_monitor_decisions_total nor logged as would=; an
#   unauthenticated client is counted once. Counters asserted exactly.
# * The same with the whole policy in monitor mode (policy.monitor): only the
#   decision enforcement would take is counted and logged as would=.
#
# * The golden order cases (tests/golden/configs/order-*.conf with the
#   transactions of tests/golden/configs/transactions-order-*.txt, whose
#   simulate output is tests/golden/cases/simulate-order-*.out) through
#   Postfix and the milter: one table, CASES, of (config, client, sender,
#   recipients, expected RCPT/MAIL reply lines), the same decisions simulate
#   and the policy service golden cases show. Clients are presented with
#   XCLIENT ADDR (in mynetworks for the group, so that Postfix takes the
#   recipients and the milter decides; example.org is routed like our own
#   domain for the group).
# * The same table through a second Postfix without milter whose
#   smtpd_recipient_restrictions is check_policy_service on a policy-service-
#   only daemon (the golden configs with policy_socket): Postfix asks at RCPT
#   only, so a MAIL refusal is every recipient's, and refusals are in
#   Postfix's framing "550 5.7.1 <rcpt>: Recipient address rejected: TEXT",
#   as policy_service.py asserts; accepts (DUNNO) are 250 2.1.5 Ok.
#
# SMTP AUTH: Postfix's smtpd asks a fake Dovecot auth server (protocol 1.2,
# PLAIN only, every password accepted) on a unix socket in the work directory.
# Every daemon, the Redis server and the auth thread are stopped in `finally`;
# Postfix's SASL settings are restored.
import base64
import os
import re
import socket
import threading
import urllib.request

from harness.redis_server import RedisServer
from harness.net import free_port

GROUP = "order"
REFUSED = "550 5.7.1 Message refused by policy"

# (config, client address, sender, [(recipient, first reply line)]); a
# recipient None stands for MAIL's own reply. The same transactions as the
# golden files, with the same outcomes.
CASES = [
    ("order-accept.conf", "198.51.100.7", "a@trusted.example",
     [("blocked@example.org", REFUSED), ("ok@example.org", "250 2.1.5 Ok"),
      ("late@example.org", "250 2.1.5 Ok")]),
    ("order-accept.conf", "198.51.100.7", "a@other.example",
     [("late@example.org", REFUSED), ("ok@example.org", "250 2.1.5 Ok")]),
    ("order-accept.conf", "192.0.2.10", "a@other.example",
     [("blocked@example.org", REFUSED), ("late@example.org", REFUSED),
      ("ok@example.org", "250 2.1.5 Ok")]),
    ("order-held.conf", "203.0.113.5", "a@example.net",
     [("postmaster@example.org", "250 2.1.5 Ok"), ("b@example.org", REFUSED)]),
    ("order-held.conf", "192.0.2.1", "spam@spam.example",
     [(None, "250 2.1.0 Ok"), ("postmaster@example.org", "250 2.1.5 Ok"),
      ("b@example.org", REFUSED)]),
    ("order-immediate.conf", "192.0.2.1", "spam@spam.example", [(None, REFUSED)]),
    # Rule #2 (MAIL reject) waits for the earlier RCPT tempfail #1: x@ gets
    # #1's 450, y@ #2's 550; rule #4 refuses blocked@ at RCPT without waiting
    # for the earlier end-of-data accept #3.
    ("order-refusals.conf", "192.0.2.1", "spam@spam.example",
     [(None, "250 2.1.0 Ok"),
      ("x@example.org", "450 4.7.1 Temporarily refused by policy, please try again later"),
      ("y@example.org", REFUSED)]),
    ("order-refusals.conf", "192.0.2.1", "a@example.net",
     [("blocked@example.org", REFUSED), ("ok@example.org", "250 2.1.5 Ok")]),
]
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__)))))
EXAMPLE = os.path.join(ROOT, "config", "examples", "mx-greylisting-redis.conf")
GOLDEN = os.path.join(ROOT, "tests", "golden", "configs")


class FakeDovecotAuth:
    """A Dovecot auth server for Postfix's smtpd_sasl_type = dovecot: PLAIN
    with any password; the user is the authentication identity."""

    def __init__(self, path):
        self.path = path
        self.sock = None
        self.thread = None
        self.stopping = False

    def start(self):
        if os.path.exists(self.path):
            os.unlink(self.path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        os.chmod(self.path, 0o666)
        self.sock.listen(16)
        self.sock.settimeout(0.5)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._client, args=(conn,), daemon=True).start()

    def _client(self, conn):
        conn.settimeout(30)
        try:
            conn.sendall(b"VERSION\t1\t2\nMECH\tPLAIN\tplaintext\nSPID\t%d\nCUID\t1\n"
                         b"COOKIE\t0123456789abcdef0123456789abcdef\nDONE\n" % os.getpid())
            buf = b""
            while not self.stopping:
                data = conn.recv(4096)
                if not data:
                    return
                buf += data
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    f = line.decode("ascii", "replace").split("\t")
                    if f[0] == "AUTH":
                        resp = [x[5:] for x in f if x.startswith("resp=")]
                        if not resp:
                            conn.sendall(("CONT\t%s\t\n" % f[1]).encode())
                            continue
                        self._answer(conn, f[1], resp[0])
                    elif f[0] == "CONT":
                        self._answer(conn, f[1], f[2] if len(f) > 2 else "")
        except OSError:
            return
        finally:
            conn.close()

    @staticmethod
    def _answer(conn, rid, b64):
        try:
            parts = base64.b64decode(b64).split(b"\0")
            user = parts[1].decode()
        except Exception:
            conn.sendall(("FAIL\t%s\n" % rid).encode())
            return
        conn.sendall(("OK\t%s\tuser=%s\n" % (rid, user)).encode())

    def stop(self):
        self.stopping = True
        if self.sock:
            self.sock.close()
        if self.thread:
            self.thread.join(5)
        if os.path.exists(self.path):
            os.unlink(self.path)


def auth_plain(user):
    return "AUTH PLAIN " + base64.b64encode(b"\0" + user.encode() + b"\0secret").decode()


def scrape(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10) as r:
        return r.read().decode()


def counter(text, name, **labels):
    """Sum of the samples of `name` whose labels include `labels` (0 when none)."""
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        m = re.match(r'^[^{ ]+(?:\{(.*)\})? (\S+)$', line)
        got = dict(re.findall(r'([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"', m.group(1) or ""))
        if all(got.get(k) == v for k, v in labels.items()):
            total += float(m.group(2))
    return total


def example_conf(redis_port, metrics_port):
    """The shipped example, as a user runs it: Redis at our private server,
    a metrics endpoint added, and the daemon user "nobody" instead of the
    package's milter-verdict, which a machine without the package has not
    (nothing else changed)."""
    with open(EXAMPLE) as f:
        text = f.read()
    text = text.replace('host = "10.0.0.5";', 'host = "127.0.0.1";')
    text = text.replace("port = 6379;", "port = %d;" % redis_port)
    assert 'user = "milter-verdict";' in text
    text = text.replace('user = "milter-verdict";',
                        'user = "nobody"; metrics = "127.0.0.1:%d";' % metrics_port)
    assert "127.0.0.1\";" in text and str(redis_port) in text
    return text


MONITOR_CONF = """
daemon = { log = "stderr"; metrics = "127.0.0.1:%(metrics)d"; };
rules = (
  { name = "authenticated"; when = { auth = true; }; action = "accept"; },
  { name = "bad-net"; monitor = true; when = { client_addr = "127.0.0.0/8"; };
    action = "reject"; }
);
"""

# The whole policy in monitor mode (DESIGN.md section 3): only what
# enforcement would do is reported and counted.
GLOBAL_MONITOR_CONF = """
daemon = { log = "stderr"; metrics = "127.0.0.1:%(metrics)d"; };
policy = { monitor = true; };
rules = (
  { name = "authenticated"; when = { auth = true; }; action = "accept"; },
  { name = "bad-net"; when = { client_addr = "127.0.0.0/8"; }; action = "reject"; },
  { name = "rcpt-block"; when = { rcpt = "y@example.test"; }; action = "reject"; }
);
"""


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def session_replies(ctx, user, rcpts):
    with ctx.session() as s:
        s.cmd("EHLO client.example.test")
        got = []
        if user:
            got.append(s.cmd(auth_plain(user)))
        got.append(s.cmd("MAIL FROM:<%s@example.test>" % (user or "anon")))
        for r in rcpts:
            got.append(s.cmd("RCPT TO:<%s>" % r))
        s.cmd("QUIT")
        return got


def first(reply):
    return reply[0] if isinstance(reply, list) else reply


def xclient_replies(ctx, addr, sender, rcpts, session=None):
    """First reply lines of MAIL and each RCPT for a client presented by XCLIENT
    (through the suite's Postfix, or the one `session` opens)."""
    with (session or ctx.session)() as s:
        s.cmd("EHLO xclient.example.test")
        s.cmd("XCLIENT ADDR=%s NAME=[UNAVAILABLE]" % addr)
        s.cmd("EHLO client.example.test")
        got = [first(s.cmd("MAIL FROM:<%s>" % sender))]
        if got[0].startswith("250"):
            for r in rcpts:
                got.append(first(s.cmd("RCPT TO:<%s>" % r)))
        s.cmd("QUIT")
        return got


def table_cases(ctx, results):
    by_conf = {}
    for case in CASES:
        by_conf.setdefault(case[0], []).append(case)
    for conf, cases in by_conf.items():
        daemon = ctx.start_daemon(os.path.join(GOLDEN, conf))
        try:
            for n, (_, addr, sender, steps) in enumerate(cases, 1):
                with results.case("%s: %s transaction %d through Postfix: the decisions of "
                                  "simulate-order golden" % (GROUP, conf, n)) as r:
                    rcpts = [x for x, _ in steps if x is not None]
                    want = [reply for x, reply in steps if x is not None]
                    mail = [reply for x, reply in steps if x is None]
                    got = xclient_replies(ctx, addr, sender, rcpts)
                    r.expect_equal(got[0][:len(mail[0])] if mail else got[0][:3],
                                   mail[0] if mail else "250", "MAIL reply")
                    if not mail or mail[0].startswith("250"):
                        r.expect_equal(got[1:], want, "RCPT replies")
        finally:
            ctx.stop_daemon(results, "%s (%s)" % (GROUP, conf), daemon)


def policy_rejected(rcpt, text=REFUSED):
    """A policy-service refusal as Postfix words it (smtpd_check.c
    check_table_result; tests/e2e/cases/policy_service.py asserts the same)."""
    return "%s <%s>: Recipient address rejected: %s" % (text[:9], rcpt, text[10:])


def policy_case(steps):
    """The milter table's transaction through check_policy_service: Postfix
    asks the service at RCPT only, so a refusal the milter gives at MAIL is
    every recipient's (smtpd_delay_reject), and every refusal is in Postfix's
    words. MAIL itself is 250."""
    mail = [reply for x, reply in steps if x is None]
    out = []
    for rcpt, reply in steps:
        if rcpt is None:
            continue
        if mail and not mail[0].startswith("250"):
            reply = mail[0]
        out.append((rcpt, policy_rejected(rcpt, reply) if reply[0] in "45" else reply))
    return out


# Rows of CASES whose MAIL refusal has no recipient in CASES: the recipients
# the policy service is asked about (the golden policy-service transactions).
POLICY_RCPTS = {"order-immediate.conf": ["postmaster@example.org", "b@example.org"]}


def policy_table_cases(ctx, results, pf_params):
    """CASES through a Postfix without milter whose smtpd_recipient_restrictions
    asks milter-verdict's policy service (issue 24: the milter, the policy
    service and simulate share the one semantics)."""
    from harness.policy_daemon import PolicyDaemon
    from harness.postfix_instance import PostfixInstance
    from harness.smtp_client import SmtpSession
    port = free_port()
    pf = PostfixInstance(os.path.join(ctx.workdir, "postfix-order-policy"), milters="")
    params = dict(pf_params)
    params["smtpd_recipient_restrictions"] = "check_policy_service inet:127.0.0.1:%d" % port
    params["smtpd_policy_service_default_action"] = "451 4.3.5 Server configuration problem"
    pf.reconfigure(**params)
    session = lambda: SmtpSession(pf.smtp_port)  # noqa: E731
    by_conf = {}
    for case in CASES:
        by_conf.setdefault(case[0], []).append(case)
    daemon = None
    try:
        pf.start()
        for conf, cases in by_conf.items():
            with open(os.path.join(GOLDEN, conf)) as f:
                text = f.read()
            text, n = re.subn(r"daemon = \{[^}]*\};",
                              'daemon = { socket = ""; policy_socket = "inet:%d@127.0.0.1"; '
                              'log = "stderr"; };' % port, text)
            path = os.path.join(ctx.workdir, "policy-" + conf)
            write(path, text)
            daemon = PolicyDaemon(ctx.mv_bin, path, ctx.workdir, port,
                                  name="mv-order-policy-" + conf[:-5])
            ctx.daemons.append(daemon)
            daemon.start()
            for k, (_, addr, sender, steps) in enumerate(cases, 1):
                with results.case("%s: %s transaction %d through Postfix's "
                                  "check_policy_service: the decisions of simulate-order golden"
                                  % (GROUP, conf, k)) as r:
                    r.expect_equal(n, 1, "daemon section of %s rewritten" % conf)
                    if all(x is None for x, _ in steps):
                        steps = steps + [(x, steps[0][1]) for x in POLICY_RCPTS[conf]]
                    want = policy_case(steps)
                    got = xclient_replies(ctx, addr, sender, [x for x, _ in want], session)
                    r.expect_equal(got[0][:3], "250", "MAIL reply (the service answers RCPT)")
                    r.expect_equal(got[1:], [w for _, w in want], "RCPT replies")
            daemon.stop()
            daemon = None
    finally:
        if daemon is not None and daemon.running():
            daemon.stop()
        pf.stop()


def run(ctx, results):
    pf = ctx.postfix
    saved = {k: pf.postconf(k) for k in ("smtpd_sasl_auth_enable", "smtpd_sasl_type",
                                         "smtpd_sasl_path", "smtpd_authorized_xclient_hosts",
                                         "mynetworks", "virtual_mailbox_domains")}
    auth = FakeDovecotAuth(os.path.join(ctx.workdir, "dovecot-auth"))
    redis = RedisServer(ctx.workdir)
    daemon = None
    try:
        with results.case("%s: setup: Postfix offers SMTP AUTH through a fake Dovecot auth "
                          "server, Redis runs" % GROUP) as r:
            auth.start()
            redis.start()
            pf.reconfigure(smtpd_sasl_auth_enable="yes", smtpd_sasl_type="dovecot",
                           smtpd_sasl_path=auth.path,
                           smtpd_authorized_xclient_hosts="127.0.0.0/8",
                           # The table's clients relay to example.org: the milter decides.
                           mynetworks="127.0.0.0/8 192.0.2.0/24 198.51.100.0/24 203.0.113.0/24",
                           virtual_mailbox_domains=saved["virtual_mailbox_domains"]
                           + " example.org")
            r.expect(True, "setup")

        table_cases(ctx, results)
        policy_table_cases(ctx, results, {
            "smtpd_authorized_xclient_hosts": "127.0.0.0/8",
            "mynetworks": "127.0.0.0/8 192.0.2.0/24 198.51.100.0/24 203.0.113.0/24",
            "virtual_mailbox_domains": saved["virtual_mailbox_domains"] + " example.org"})

        metrics_port = free_port()
        conf = os.path.join(ctx.workdir, "order-example.conf")
        write(conf, example_conf(redis.port, metrics_port))
        daemon = ctx.start_daemon(conf)
        with results.case("%s: mx-greylisting-redis.conf: the 31st recipient of an "
                          "authenticated sender gets 450 4.7.1 (rule #2 before the accept "
                          "of rule #3)" % GROUP) as r:
            rcpts = ["r%d@example.test" % i for i in range(1, 32)]
            got = session_replies(ctx, "alice", rcpts)
            r.expect_equal(first(got[0])[:3], "235", "AUTH PLAIN accepted")
            r.expect_equal(first(got[1])[:3], "250", "MAIL")
            r.expect_equal([first(x)[:3] for x in got[2:32]], ["250"] * 30,
                           "recipients 1 to 30 accepted")
            r.expect(re.fullmatch(r"450 4\.7\.1 Rate limit exceeded, please try again in "
                                  r"\d+ seconds", first(got[32])) is not None,
                     "recipient 31: %r is 450 4.7.1 Rate limit exceeded" % (got[32],))
            text = scrape(metrics_port)
            r.expect_equal(counter(text, "milter_verdict_decisions_total", rule="sasl-rate",
                                   action="tempfail", code="450"), 1.0,
                           "decisions_total of sasl-rate tempfail 450")
        ctx.stop_daemon(results, GROUP + " (example)", daemon)
        daemon = None

        metrics_port = free_port()
        conf = os.path.join(ctx.workdir, "order-monitor.conf")
        write(conf, MONITOR_CONF % {"metrics": metrics_port})
        daemon = ctx.start_daemon(conf)
        with results.case("%s: monitor: an accept before the monitored rule overrides its "
                          "would-be refusal: not counted, not logged as would=" % GROUP) as r:
            start = len(daemon.log())
            got = session_replies(ctx, "bob", ["x@example.test"])
            r.expect_equal([first(x)[:3] for x in got], ["235", "250", "250"], "replies")
            text = scrape(metrics_port)
            r.expect_equal(counter(text, "milter_verdict_monitor_decisions_total",
                                   rule="bad-net"), 0.0, "monitor_decisions_total{bad-net}")
            r.expect_equal(counter(text, "milter_verdict_decisions_total",
                                   rule="authenticated", action="accept"), 1.0,
                           "decisions_total{authenticated, accept}")
            r.expect("would=" not in daemon.log()[start:], "no would= line")
        with results.case("%s: monitor: without the accept the would-be refusal is counted "
                          "once and logged" % GROUP) as r:
            start = len(daemon.log())
            got = session_replies(ctx, None, ["y@example.test"])
            r.expect_equal([first(x)[:3] for x in got], ["250", "250"], "replies")
            daemon.wait_log("would=", 10, start)
            text = scrape(metrics_port)
            r.expect_equal(counter(text, "milter_verdict_monitor_decisions_total",
                                   rule="bad-net"), 1.0, "monitor_decisions_total{bad-net}")
            r.expect_equal(daemon.log()[start:].count("would="), 1, "one would= line")
        ctx.stop_daemon(results, GROUP + " (monitor)", daemon)
        daemon = None

        metrics_port = free_port()
        conf = os.path.join(ctx.workdir, "order-global-monitor.conf")
        write(conf, GLOBAL_MONITOR_CONF % {"metrics": metrics_port})
        daemon = ctx.start_daemon(conf)
        with results.case("%s: global monitor: exact counters, only what enforcement would do "
                          "(authenticated: would accept; otherwise bad-net, held until RCPT "
                          "as delay_reject holds it, once per recipient it would refuse, as "
                          "enforcement counts its replies; never rcpt-block written after it)" % GROUP) as r:
            start = len(daemon.log())
            got = session_replies(ctx, "bob", ["y@example.test"])
            r.expect_equal([first(x)[:3] for x in got], ["235", "250", "250"], "replies (bob)")
            got = session_replies(ctx, None, ["y@example.test", "z@example.test"])
            r.expect_equal([first(x)[:3] for x in got], ["250", "250", "250"],
                           "replies (anonymous)")
            text = scrape(metrics_port)
            for rule, action, n in (("authenticated", "accept", 1.0), ("bad-net", "reject", 2.0),
                                    ("rcpt-block", "reject", 0.0)):
                r.expect_equal(counter(text, "milter_verdict_monitor_decisions_total",
                                       rule=rule, action=action), n,
                               "monitor_decisions_total{%s, %s}" % (rule, action))
            r.expect_equal(counter(text, "milter_verdict_monitor_decisions_total"), 3.0,
                           "monitor_decisions_total, all rules")
            log = daemon.log()[start:]
            r.expect_equal(log.count("would="), 3, "would= lines:\n%s" % log[-1500:])
            r.expect("rule=rcpt-block" not in log, "rcpt-block reported")
        ctx.stop_daemon(results, GROUP + " (global monitor)", daemon)
        daemon = None

        # The same sessions enforced: the counters monitor mode reported are
        # the decisions enforcement takes, reply for reply.
        metrics_port = free_port()
        conf = os.path.join(ctx.workdir, "order-global-enforced.conf")
        write(conf, (GLOBAL_MONITOR_CONF % {"metrics": metrics_port}).replace(
            "monitor = true;", "monitor = false;"))
        daemon = ctx.start_daemon(conf)
        with results.case("%s: global monitor: enforcement of the same policy counts the same "
                          "decisions (authenticated 1, bad-net 2, rcpt-block 0)" % GROUP) as r:
            got = session_replies(ctx, "bob", ["y@example.test"])
            r.expect_equal([first(x)[:3] for x in got], ["235", "250", "250"], "replies (bob)")
            got = session_replies(ctx, None, ["y@example.test", "z@example.test"])
            r.expect_equal([first(x)[:3] for x in got], ["250", "550", "550"],
                           "replies (anonymous)")
            text = scrape(metrics_port)
            for rule, action, n in (("authenticated", "accept", 1.0), ("bad-net", "reject", 2.0),
                                    ("rcpt-block", "reject", 0.0)):
                r.expect_equal(counter(text, "milter_verdict_decisions_total",
                                       rule=rule, action=action), n,
                               "decisions_total{%s, %s}" % (rule, action))
    finally:
        try:
            pf.reconfigure(**saved)
        finally:
            if daemon is not None:
                ctx.stop_daemon(results, GROUP, daemon)
            redis.stop()
            auth.stop()
