# SPDX-License-Identifier: Apache-2.0
# policy_service.py - milter-verdict as a Postfix policy service, through a
# private Postfix of its own with no milter (smtpd_milters empty).
#
# Group "policy-service": check_policy_service in smtpd_recipient_restrictions
# (smtpd_delay_reject = yes, Postfix's default: client, HELO and sender rules
# are answered at RCPT). Group "policy-service-eod": the check in
# smtpd_end_of_data_restrictions only. Group "policy-service-shared": one
# daemon with both listeners, the milter of the suite's Postfix and the policy
# service of this group's, counting one rate limit in its one state store.
# Group "policy-service-redis": the state in a private redis-server, so the
# service evaluates on its worker threads: exact counts over parallel
# sessions, and Redis stopped answers 451 4.4.3 (on_backend_error closed).
#
# Every refusal is asserted as the exact reply line Postfix sends, in its own
# framing "NNN X.Y.Z <address>: Recipient address rejected: TEXT" (smtpd_check.c
# check_table_result); Postfix's own lines (its default action when the service
# is gone) come from Postfix 3.7.11's source. Daemons and the second Postfix are
# stopped in `finally`.
import os
import subprocess
import threading
import time

from harness.net import free_port
from harness.policy_daemon import PolicyDaemon
from harness.postfix_instance import PostfixInstance
from harness.redis_server import RedisServer
from harness.smtp_client import SmtpSession, SmtpClosed, message
from harness.scenario import OK_MAIL, OK_RCPT, OK_DATA

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GROUP = "policy-service"


def rejected(addr, text, code="550 5.7.1"):
    return ["%s <%s>: Recipient address rejected: %s" % (code, addr, text)]


def eod_rejected(text, code="550 5.7.1"):
    return ["%s <END-OF-MESSAGE>: End-of-data rejected: %s" % (code, text)]


# Postfix's smtpd_policy_service_default_action, when the service cannot be asked.
POSTFIX_DEFAULT = "451 4.3.5 <%s>: Recipient address rejected: Server configuration problem"
TEMPFAIL_TEXT = "Recipient deferred by the e2e policy"


def write_config(ctx, name, port, state_file=""):
    with open(os.path.join(HERE, "configs", name + ".in")) as f:
        text = f.read()
    text = text.replace("@POLICY_SOCKET@", "inet:%d@127.0.0.1" % port)
    text = text.replace("@STATE_FILE@", state_file)
    path = os.path.join(ctx.workdir, name)
    with open(path + ".new", "w") as f:
        f.write(text)
    os.replace(path + ".new", path)
    return path


class PolicyPostfix:
    """A second private Postfix, no milter, asking the policy service."""

    def __init__(self, ctx, port, where="smtpd_recipient_restrictions"):
        self.pf = PostfixInstance(os.path.join(ctx.workdir, "postfix-policy"), milters="")
        self.port = port
        self.pf.reconfigure(**self.params(where))

    def params(self, where):
        check = "check_policy_service inet:127.0.0.1:%d" % self.port
        p = {"smtpd_recipient_restrictions": "",
             "smtpd_end_of_data_restrictions": "",
             # A failed request is retried once after 1 s, then answered with
             # the default action (Postfix's defaults, written out).
             "smtpd_policy_service_try_limit": "2",
             "smtpd_policy_service_retry_delay": "1s",
             "smtpd_policy_service_default_action": "451 4.3.5 Server configuration problem"}
        p[where] = check
        return p

    def session(self, source="127.0.0.1"):
        return SmtpSession(self.pf.smtp_port, source=source)


def session_replies(pp, sender, rcpts, source="127.0.0.1", helo="client.example.test",
                    subject=None):
    """One SMTP session: MAIL and each RCPT reply, then DATA and its end when asked."""
    with pp.session(source) as s:
        s.cmd("EHLO " + helo)
        got = [s.cmd("MAIL FROM:<%s>" % sender)]
        accepted = []
        for rcpt in rcpts:
            got.append(s.cmd("RCPT TO:<%s>" % rcpt))
            if got[-1][0].startswith("250"):
                accepted.append(rcpt)
        if subject is not None and accepted:
            first, final = s.data(message(sender, accepted[-1], subject))
            got.append(first)
            if final is not None:
                got.append(final)
        s.cmd("QUIT")
        return got


def parallel(n, work, timeout=60.0):
    results = [None] * n
    start = threading.Barrier(n)

    def one(i):
        try:
            start.wait(10)
            results[i] = work(i)
        except Exception as e:  # reported through the case's comparison
            results[i] = "error: %r" % e

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    return [r if r is not None else "error: no result in time" for r in results]


def queued(reply):
    return len(reply) == 1 and reply[0].startswith("250 2.0.0 Ok: queued as ")


def wait_for(predicate, timeout=15.0):
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.2)
    return predicate()


def delivered(pf, subject):
    text = pf.wait_mailbox(lambda t: ("Subject: " + subject) in t, timeout=15)
    return ("Subject: " + subject) in text, text


def rcpt_group(ctx, results, pp, daemon_box):
    g = GROUP
    port = pp.port
    daemon = daemon_box[0]
    cases = [
        ("blocked sender refused 550 5.7.1 with the rule's text at RCPT",
         "spam@bad.example.test", ["ok@example.test"], "127.0.0.1", "client.example.test",
         [OK_MAIL, rejected("ok@example.test",
                            "Sender spam@bad.example.test blocked by the e2e policy")]),
        ("client-address rule (127.0.0.2) answered at RCPT",
         "sender@example.test", ["ok@example.test"], "127.0.0.2", "client.example.test",
         [OK_MAIL, rejected("ok@example.test", "Client 127.0.0.2 refused by the e2e policy")]),
        ("HELO rule answered at RCPT",
         "sender@example.test", ["ok@example.test"], "127.0.0.1", "bad-helo.example.test",
         [OK_MAIL, rejected("ok@example.test",
                            "HELO name bad-helo.example.test refused by the e2e policy")]),
        ("recipient refused 550 5.7.1, the next one accepted (DUNNO)",
         "sender@example.test", ["blocked@example.test", "ok@example.test"], "127.0.0.1",
         "client.example.test",
         [OK_MAIL, rejected("blocked@example.test",
                            "Recipient blocked@example.test refused by the e2e policy"),
          OK_RCPT]),
        ("tempfail without a code defaults to 450 4.7.1 at RCPT",
         "sender@example.test", ["later@example.test"], "127.0.0.1", "client.example.test",
         [OK_MAIL, rejected("later@example.test", TEMPFAIL_TEXT, "450 4.7.1")]),
        ("multi-line reply joined into one line",
         "sender@example.test", ["multi@example.test"], "127.0.0.1", "client.example.test",
         [OK_MAIL, rejected("multi@example.test",
                            "Recipient refused by the e2e policy. This is the second line "
                            "(100% sure), and this is the last one.")]),
    ]
    for name, sender, rcpts, source, helo, want in cases:
        with results.case("%s: %s" % (g, name)) as r:
            r.expect_equal(session_replies(pp, sender, rcpts, source, helo), want, "replies")

    with results.case("%s: 421 4.7.0 disconnect at RCPT closes the session" % g) as r:
        with pp.session() as s:
            s.cmd("EHLO client.example.test")
            r.expect_equal(s.cmd("MAIL FROM:<sender@example.test>"), OK_MAIL, "MAIL")
            r.expect_equal(s.cmd("RCPT TO:<bye@example.test>"),
                           rejected("bye@example.test", "Closing the session, e2e policy",
                                    "421 4.7.0"), "RCPT")
            r.expect(s.is_closed(), "connection still open after 421")

    with results.case("%s: clean message delivered with the header of an add_header rule "
                      "(PREPEND)" % g) as r:
        got = session_replies(pp, "sender@example.test", ["tagged@example.test"],
                              subject="e2e policy tagged")
        r.expect_equal(got[:3], [OK_MAIL, OK_RCPT, OK_DATA], "MAIL, RCPT, DATA")
        r.expect(len(got) == 4 and queued(got[3]), "end of data: %r" % got[3:])
        ok, text = delivered(pp.pf, "e2e policy tagged")
        r.expect(ok, "message not delivered")
        r.expect("X-E2E-Policy-Tag: tagged for tagged@example.test" in text,
                 "PREPENDed header missing from the delivered message")

    with results.case("%s: discard: 250 for the client, Postfix discards the message" % g) as r:
        got = session_replies(pp, "sender@example.test", ["trash@example.test"],
                              subject="e2e policy discarded")
        r.expect_equal(got[:3], [OK_MAIL, OK_RCPT, OK_DATA], "MAIL, RCPT, DATA")
        r.expect(len(got) == 4 and queued(got[3]), "end of data: %r" % got[3:])
        r.expect(wait_for(lambda: "discard: RCPT from" in pp.pf.log() and
                          "milter-verdict rule recipient-discarded" in pp.pf.log()),
                 "no discard line naming the rule in Postfix's log" + pp.pf.log_tail(6))

    with results.case("%s: quarantine: Postfix puts the message on hold with the reason" % g) as r:
        got = session_replies(pp, "sender@example.test", ["review@example.test"],
                              subject="e2e policy held")
        r.expect(len(got) == 4 and queued(got[3]), "end of data: %r" % got[3:])
        r.expect(wait_for(lambda: len(pp.pf.queue_files_in("hold")) == 1),
                 "hold queue: %r" % pp.pf.queue_files_in("hold"))
        r.expect("held by the e2e policy" in pp.pf.log(), "reason not in Postfix's log")
        pp.pf.delete_queue("hold")

    with results.case("%s: greylisting: 450 4.7.1 for each recipient of a new triplet, the "
                      "retry after the delay is accepted and delivered" % g) as r:
        grey = lambda a: rejected(a, "Greylisted, please retry in 3 seconds", "450 4.7.1")
        first = session_replies(pp, "news@example.test", ["grey-1@example.test",
                                                          "grey-2@example.test"])
        r.expect_equal(first, [OK_MAIL, grey("grey-1@example.test"), grey("grey-2@example.test")],
                       "first attempt")
        time.sleep(3.2)
        again = session_replies(pp, "news@example.test",
                                ["grey-1@example.test", "grey-2@example.test"],
                                subject="e2e policy greylisted")
        r.expect_equal(again[:4], [OK_MAIL, OK_RCPT, OK_RCPT, OK_DATA], "retry")
        r.expect(len(again) == 5 and queued(again[4]), "end of data: %r" % again[4:])

    with results.case("%s: 8 parallel first attempts of one triplet are all greylisted, all "
                      "8 retries after the delay pass" % g) as r:
        grey = rejected("grey-crowd@example.test", "Greylisted, please retry in 3 seconds",
                        "450 4.7.1")
        first = parallel(8, lambda i: session_replies(pp, "crowd@example.test",
                                                      ["grey-crowd@example.test"])[1])
        r.expect_equal(first, [grey] * 8, "first attempts")
        time.sleep(3.2)
        again = parallel(8, lambda i: session_replies(pp, "crowd@example.test",
                                                      ["grey-crowd@example.test"])[1])
        r.expect_equal(again, [OK_RCPT] * 8, "retries")

    with results.case("%s: 12 parallel sessions of 3 recipients against a per-message limit "
                      "of 5: exactly 5 messages accepted, each counted once" % g) as r:
        replies = parallel(12, lambda i: session_replies(
            pp, "permsg-crowd@example.test",
            ["m%d-%d@example.test" % (i, k) for k in range(3)])[1:])
        codes = sorted(tuple(x[0][:9] for x in rep) if isinstance(rep, list) else (rep,)
                       for rep in replies)
        r.expect_equal(codes, [("250 2.1.5",) * 3] * 5 + [("450 4.7.1",) * 3] * 7,
                       "RCPT replies per session, sorted")

    with results.case("%s: 10 parallel sessions of 2 recipients against a per-recipient limit "
                      "of 7: exactly 7 recipients accepted" % g) as r:
        replies = parallel(10, lambda i: session_replies(
            pp, "perrcpt-crowd@example.test",
            ["r%d-%d@example.test" % (i, k) for k in range(2)])[1:])
        flat = sorted(x[0][:9] for rep in replies if isinstance(rep, list) for x in rep)
        r.expect_equal(flat, ["250 2.1.5"] * 7 + ["450 4.7.1"] * 13, "RCPT replies, sorted")

    with results.case("%s: SIGUSR1 under traffic: new sessions get the new policy, a session "
                      "begun before keeps the old one" % g) as r:
        conf = daemon.config
        with open(conf) as f:
            old = f.read()
        pinned = pp.session()
        try:
            pinned.cmd("EHLO client.example.test")
            pinned.cmd("MAIL FROM:<sender@example.test>")
            r.expect_equal(pinned.cmd("RCPT TO:<ok@example.test>"), OK_RCPT, "pinned first RCPT")
            stop = threading.Event()
            seen = []

            def traffic():
                while not stop.is_set():
                    try:
                        seen.append(session_replies(pp, "sender@example.test",
                                                    ["blocked@example.test"])[1])
                    except Exception as e:
                        seen.append("error: %r" % e)
                    stop.wait(0.05)

            t = threading.Thread(target=traffic, daemon=True)
            t.start()
            time.sleep(0.5)
            new = old.replace("Recipient ${rcpt} refused by the e2e policy",
                              "Recipient ${rcpt} refused by policy B")
            with open(conf + ".new", "w") as f:
                f.write(new)
            os.replace(conf + ".new", conf)
            start = len(daemon.log())
            daemon.reload()
            r.expect(daemon.wait_log("reloaded", start=start), "daemon logs the reload")
            want_b = rejected("blocked@example.test",
                              "Recipient blocked@example.test refused by policy B")
            want_a = rejected("blocked@example.test",
                              "Recipient blocked@example.test refused by the e2e policy")
            r.expect(wait_for(lambda: seen and seen[-1] == want_b, 10), "new sessions: %r"
                     % seen[-1:])
            time.sleep(0.3)
            stop.set()
            t.join(20)
            r.expect_equal(pinned.cmd("RCPT TO:<blocked@example.test>"), want_a,
                           "the session begun before the reload")
            odd = [x for x in seen if x not in (want_a, want_b)]
            r.expect(not odd, "unexpected replies during the reload: %r" % odd[:3])
            seq = "".join("A" if x == want_a else "B" for x in seen if x in (want_a, want_b))
            r.expect(len(seq) >= 3 and "BA" not in seq and seq.endswith("B"),
                     "answers in order (A old, B new): %s" % seq)
        finally:
            pinned.close()

    with results.case("%s: daemon killed mid-session: RCPT gets Postfix's default action "
                      "(451 4.3.5), nothing is queued; a restarted daemon answers again" % g) as r:
        with pp.session() as s:
            s.cmd("EHLO client.example.test")
            r.expect_equal(s.cmd("MAIL FROM:<sender@example.test>"), OK_MAIL, "MAIL")
            r.expect_equal(s.cmd("RCPT TO:<ok@example.test>"), OK_RCPT, "RCPT before the kill")
            daemon.kill()
            r.expect_equal(s.cmd("RCPT TO:<ok2@example.test>"),
                           [POSTFIX_DEFAULT % "ok2@example.test"], "RCPT after the kill")
            s.cmd("QUIT")
        time.sleep(1.0)
        r.expect_equal(pp.pf.queue_files(), [], "files in the Postfix queues")
        daemon = PolicyDaemon(ctx.mv_bin, daemon.config, ctx.workdir, port,
                              name="mv-policy-restarted")
        ctx.daemons.append(daemon)
        daemon_box[0] = daemon
        daemon.start()
        r.expect_equal(session_replies(pp, "sender@example.test", ["blocked@example.test"])[1],
                       rejected("blocked@example.test",
                                "Recipient blocked@example.test refused by policy B"),
                       "after the restart")

    with results.case("%s: the daemon logged one decision line per refusal with "
                      "front_end=policy_service, and no internal error" % g) as r:
        log = "".join(d.log() for d in ctx.daemons if isinstance(d, PolicyDaemon))
        r.expect("rule=sender-blocked action=reject" in log and "front_end=policy_service" in log,
                 "no decision line for the blocked sender")
        r.expect("internal error" not in log and "malformed" not in log,
                 "unexpected errors in the daemon log")


def eod_group(ctx, results, pp):
    g = GROUP + "-eod"
    cases = [
        ("blocked sender refused 550 5.7.1 at end of data",
         "spam@bad.example.test", ["a@example.test"], "e2e eod blocked",
         eod_rejected("Sender spam@bad.example.test blocked by the e2e policy")),
        ("three recipients over a rcpt_count rule: 452 4.5.3 from recipient_count",
         "crowd@example.test", ["a@example.test", "b@example.test", "c@example.test"],
         "e2e eod crowd", eod_rejected("Too many recipients for the e2e policy", "452 4.5.3")),
    ]
    for name, sender, rcpts, subject, want in cases:
        with results.case("%s: %s" % (g, name)) as r:
            got = session_replies(pp, sender, rcpts, subject=subject)
            r.expect_equal(got[:len(rcpts) + 1], [OK_MAIL] + [OK_RCPT] * len(rcpts),
                           "MAIL and RCPT pass (no check there)")
            r.expect_equal(got[len(rcpts) + 1:], [OK_DATA, want], "DATA and end of data")

    with results.case("%s: a message over the size rule gets 552 5.3.4 at end of data" % g) as r:
        with pp.session() as s:
            s.cmd("EHLO client.example.test")
            s.cmd("MAIL FROM:<big@example.test>")
            s.cmd("RCPT TO:<a@example.test>")
            first, final = s.data(message("big@example.test", "a@example.test", "e2e eod big",
                                          "x" * 70 + "\n" * 0 + ("y" * 76 + "\n") * 400))
            r.expect_equal([first, final], [OK_DATA, eod_rejected(
                "Message too big for the e2e policy", "552 5.3.4")], "DATA, end of data")
            s.cmd("QUIT")

    with results.case("%s: greylisting a one-recipient message at end of data: 451 4.7.1 "
                      "(the default), the retry passes" % g) as r:
        want = eod_rejected("Greylisted, please retry in 3 seconds", "451 4.7.1")
        got = session_replies(pp, "grey-eod@example.test", ["a@example.test"],
                              subject="e2e eod grey")
        r.expect_equal(got[2:], [OK_DATA, want], "first attempt")
        time.sleep(3.2)
        got = session_replies(pp, "grey-eod@example.test", ["a@example.test"],
                              subject="e2e eod grey")
        r.expect(len(got) == 4 and queued(got[3]), "retry: %r" % got[2:])

    with results.case("%s: 10 parallel two-recipient messages against a per-message limit of 4: "
                      "exactly 4 queued" % g) as r:
        replies = parallel(10, lambda i: session_replies(
            pp, "permsg-eod@example.test", ["x%d@example.test" % i, "y%d@example.test" % i],
            subject="e2e eod limit %d" % i)[-1])
        outcome = sorted("queued" if isinstance(x, list) and queued(x) else
                         (x[0][:9] if isinstance(x, list) else x) for x in replies)
        # Asked at END-OF-MESSAGE only, the MAIL-stage tempfail goes out at end
        # of data, with that stage's default (the defaults table: a tempfail at
        # end of data is 451 4.7.1; RFC 5321 4.3.2 lists 451 after the data).
        r.expect_equal(outcome, ["451 4.7.1"] * 6 + ["queued"] * 4, "end-of-data replies")


def shared_group(ctx, results, pp):
    """One daemon, both front ends, one state store."""
    g = GROUP + "-shared"
    conf = os.path.join(ctx.workdir, "policy-shared.conf")
    with open(conf, "w") as f:
        f.write("""
daemon = { log = "stderr"; policy_socket = "inet:%d@127.0.0.1"; };
rules = (
  { name = "shared-limit";
    when = { sender = "shared@example.test";
             rate_limit = { key = "sender"; count = "recipient"; limit = "3/1h"; }; };
    action = "tempfail"; }
);
""" % pp.port)
    daemon = ctx.start_daemon(conf)  # the milter of the suite's Postfix too (-p)
    try:
        with results.case("%s: a limit of 3 counted over the milter and the policy service "
                          "of one daemon" % g) as r:
            with ctx.session() as s:  # the suite's Postfix: milter path
                s.cmd("EHLO client.example.test")
                s.cmd("MAIL FROM:<shared@example.test>")
                via_milter = [s.cmd("RCPT TO:<s1@example.test>"), s.cmd("RCPT TO:<s2@example.test>")]
                s.cmd("QUIT")
            via_policy = session_replies(pp, "shared@example.test",
                                         ["s3@example.test", "s4@example.test"])[1:]
            r.expect_equal(via_milter, [OK_RCPT, OK_RCPT], "milter path: 2 recipients")
            r.expect_equal([x[0][:9] for x in via_policy], ["250 2.1.5", "450 4.7.1"],
                           "policy path: the 3rd passes, the 4th is over the shared limit")
            r.expect("listening on inet:%d@127.0.0.1, policy service on inet:%d@127.0.0.1"
                     % (ctx.milter_port, pp.port) in daemon.log(),
                     "the daemon says it runs both listeners")
    finally:
        ctx.stop_daemon(results, g, daemon)


REDIS_CONF = """
daemon = { socket = ""; policy_socket = "inet:%(policy)d@127.0.0.1"; log = "stderr"; };
state = { backend = "redis";
          redis = { host = "127.0.0.1"; port = %(redis)d; prefix = "e2e-policy:"; timeout_ms = 300; }; };
rules = (
  { name = "redis-limit"; on_backend_error = "closed";
    when = { sender = "/^permsg-/";
             rate_limit = { key = "sender"; count = "message"; limit = "4/1h"; }; };
    action = "tempfail"; }
);
"""


def redis_group(ctx, results, pp):
    g = GROUP + "-redis"
    redis = RedisServer(ctx.workdir)
    daemon = None
    try:
        redis.start()
        conf = os.path.join(ctx.workdir, "policy-redis.conf")
        with open(conf, "w") as f:
            f.write(REDIS_CONF % {"policy": pp.port, "redis": redis.port})
        daemon = PolicyDaemon(ctx.mv_bin, conf, ctx.workdir, pp.port, name="mv-policy-redis")
        ctx.daemons.append(daemon)
        daemon.start()
        with results.case("%s: 10 parallel sessions of 2 recipients against a per-message limit "
                          "of 4 kept in Redis: exactly 4 messages accepted" % g) as r:
            replies = parallel(10, lambda i: session_replies(
                pp, "permsg-redis@example.test",
                ["q%d-%d@example.test" % (i, k) for k in range(2)])[1:])
            codes = sorted(tuple(x[0][:9] for x in rep) if isinstance(rep, list) else (rep,)
                           for rep in replies)
            r.expect_equal(codes, [("250 2.1.5",) * 2] * 4 + [("450 4.7.1",) * 2] * 6,
                           "RCPT replies per session, sorted")
        with results.case("%s: Redis stopped: the rule fails closed with 451 4.4.3" % g) as r:
            redis.stop()
            got = session_replies(pp, "permsg-down@example.test", ["d@example.test"])
            r.expect_equal(got, [OK_MAIL, rejected(
                "d@example.test", "Temporary lookup failure, please try again later",
                "451 4.4.3")], "replies with Redis down")
    finally:
        if daemon is not None:
            ctx.stop_daemon(results, g, daemon)
        redis.stop()


def run(ctx, results):
    port = free_port()
    state_dir = os.path.join(ctx.workdir, "policy-state")
    os.makedirs(state_dir, exist_ok=True)
    conf = write_config(ctx, "policy-service.conf", port,
                        os.path.join(state_dir, "mv-state"))
    eod_conf = write_config(ctx, "policy-service-eod.conf", port)
    for path in (conf, eod_conf):
        with results.case("%s: check-config --strict %s exits 0"
                          % (GROUP, os.path.basename(path))) as r:
            p = subprocess.run([ctx.mv_bin, "check-config", "--strict", "-c", path],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
            r.expect_equal(p.returncode, 0, "exit status; output:\n" + p.stdout.decode())
    pp = PolicyPostfix(ctx, port)
    daemon = PolicyDaemon(ctx.mv_bin, conf, ctx.workdir, port)
    ctx.daemons.append(daemon)
    box = [daemon]
    try:
        with results.case("%s: set-up: a Postfix without milter asking check_policy_service, "
                          "a policy-service-only daemon" % GROUP) as r:
            daemon.start()
            pp.pf.start()
            r.expect("listening on none, policy service on inet:%d@127.0.0.1" % port
                     in daemon.log(), "daemon start line: %s" % daemon.log()[-300:])
        rcpt_group(ctx, results, pp, box)
        ctx.stop_daemon(results, GROUP, box[0])

        pp.pf.reconfigure(**pp.params("smtpd_end_of_data_restrictions"))
        daemon = PolicyDaemon(ctx.mv_bin, eod_conf, ctx.workdir, port, name="mv-policy-eod")
        ctx.daemons.append(daemon)
        daemon.start()
        eod_group(ctx, results, pp)
        ctx.stop_daemon(results, GROUP + "-eod", daemon)

        pp.pf.reconfigure(**pp.params("smtpd_recipient_restrictions"))
        shared_group(ctx, results, pp)
        redis_group(ctx, results, pp)
        with results.case("%s: Postfix logged no warning but the ones the kill provokes" % GROUP) as r:
            odd = [l for l in pp.pf.log().splitlines()
                   if ("warning:" in l or "fatal:" in l or "panic:" in l)
                   and "problem talking to server" not in l
                   # the service killed while smtpd reads its answer (attr_scan_plain.c)
                   and not ("premature end-of-input" in l and str(port) in l)
                   and "connect to 127.0.0.1:%d: Connection refused" % port not in l
                   and "mapping DSN status" not in l]
            r.expect(not odd, "\n".join(odd[:8]))
    finally:
        for d in ctx.daemons:
            if isinstance(d, PolicyDaemon) and d.running():
                d.stop()
        pp.pf.stop()
