# SPDX-License-Identifier: Apache-2.0
# state.py - rate limits and greylisting through the private Postfix.
#
# Group "state" (embedded store): greylisting answers 451 4.7.1 with the
# remaining time and accepts the retry after the delay; a per-recipient rate
# limit answers 450 4.7.1 at the first recipient over the limit; a daemon
# restart keeps a deferred triplet and a greylist pass (the state file is
# saved at SIGTERM and read back at start); a corrupt state file is moved
# aside and the daemon starts; 12 parallel SMTP sessions against one limit
# of 5 get exactly 5 acceptances.
#
# Group "state-redis": two daemons share one private redis-server. Daemon A
# is Postfix's milter, daemon B is driven with the project's milter client;
# together they enforce one limit, also with 20 parallel sessions over both.
# Redis stopped mid-test: the rule with
# on_backend_error = "closed" answers 451 4.4.3, the one with "open" lets the
# recipient through; Redis back on the same port: service resumes without a
# daemon restart.
#
# Configurations are written into the work directory (absolute state file
# path, Redis port). Every daemon and redis-server is stopped in `finally`.
import glob
import os
import re
import threading
import time
import types

from harness.daemon import MilterDaemon
from harness.milter_client import MilterClient
from harness.redis_server import RedisServer
from harness.scenario import OK_MAIL, OK_RCPT

GREYLISTED = ["451 4.7.1 Greylisted, please try again in 3 seconds"]
RATE_LIMITED = ["450 4.7.1 Rate limit exceeded, please try again in ~3600 seconds"]


def approx(replies):
    """Replies with a rate-limit wait of 3541..3600 s written "~3600": the hour
    opened at the first count, a few (slow machine: tens of) seconds earlier."""
    def one(line):
        m = re.fullmatch(r"(450 4\.7\.1 Rate limit exceeded, please try again in )(\d+)( seconds)",
                         line)
        return m.group(1) + "~3600" + m.group(3) if m and 3540 < int(m.group(2)) <= 3600 else line
    return [[one(x) for x in r] if isinstance(r, list) else one(r) for r in replies]
BACKEND_DOWN = ["451 4.4.3 Temporary lookup failure, please try again later"]

MEMORY_CONF = """
daemon = { log = "stderr"; };
state = { backend = "memory"; file = "%(file)s"; save_interval = "1h"; };
rules = (
  { name = "greylist";
    when = { rcpt = "/^grey-/";
             greylist = { delay = 3; expiry = "1h"; auto_whitelist = "1d"; }; };
    action = "tempfail"; },
  { name = "greylist-at-data";
    when = { rcpt = "/^greydata-/";
             greylist = { delay = 3; expiry = "1h"; refuse_at = "data"; }; };
    action = "tempfail"; },
  { name = "parallel-limit";
    when = { rcpt = "/^parallel-/";
             rate_limit = { key = "sender"; count = "recipient"; limit = "5/1h"; }; };
    action = "tempfail"; },
  { name = "rcpt-limit";
    when = { rcpt = "/^limited-/";
             rate_limit = { key = "sender"; count = "recipient"; limit = "3/1h"; }; };
    action = "tempfail"; }
);
"""

REDIS_CONF = """
daemon = { log = "stderr"; };
state = { backend = "redis";
          redis = { host = "127.0.0.1"; port = %(port)d; prefix = "e2e:"; timeout_ms = 300; }; };
rules = (
  { name = "shared-limit"; on_backend_error = "closed";
    when = { rcpt = "/^limited-/";
             rate_limit = { key = "sender"; count = "recipient"; limit = "4/1h"; }; };
    action = "tempfail"; },
  { name = "open-limit"; on_backend_error = "open";
    when = { rcpt = "/^open-/";
             rate_limit = { key = "sender"; count = "recipient"; limit = "100/1h"; }; };
    action = "tempfail"; }
);
"""


def rcpt_replies(ctx, sender, rcpts):
    """One SMTP session through Postfix: the reply lines of MAIL and of each RCPT."""
    with ctx.session() as s:
        s.cmd("EHLO client.example.test")
        got = [s.cmd("MAIL FROM:<%s>" % sender)]
        for rcpt in rcpts:
            got.append(s.cmd("RCPT TO:<%s>" % rcpt))
        s.cmd("QUIT")
        return got


def write(path, text):
    with open(path + ".new", "w") as f:
        f.write(text)
    os.replace(path + ".new", path)


def parallel(n, work, timeout=60.0):
    """Run work(i) for i in range(n) in n threads at once; the results in order.
    A thread that fails or does not finish in `timeout` gives its exception text."""
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


# ---- embedded store -------------------------------------------------------

def memory_group(ctx, results):
    group = "state"
    state_dir = os.path.join(ctx.workdir, "state")
    os.makedirs(state_dir, exist_ok=True)
    state_file = os.path.join(state_dir, "mv-state")
    conf = os.path.join(ctx.workdir, "state-memory.conf")
    write(conf, MEMORY_CONF % {"file": state_file})
    daemon = ctx.start_daemon(conf)
    try:
        with results.case("%s: a new triplet is greylisted 451 4.7.1 with the remaining time, "
                          "the retry after the delay is accepted" % group) as r:
            r.expect_equal(rcpt_replies(ctx, "first@example.test", ["grey-a@example.test"]),
                           [OK_MAIL, GREYLISTED], "first attempt")
            time.sleep(3.2)
            r.expect_equal(rcpt_replies(ctx, "first@example.test", ["grey-a@example.test"]),
                           [OK_MAIL, OK_RCPT], "retry after 3 s")

        with results.case("%s: greylisting at DATA defers a two-recipient message once, "
                          "then accepts its retry" % group) as r:
            for attempt, want in (("first", GREYLISTED), ("retry", ["354 End data with "
                                                                    "<CR><LF>.<CR><LF>"])):
                with ctx.session() as s:
                    s.cmd("EHLO client.example.test")
                    got = [s.cmd("MAIL FROM:<multi@example.test>"),
                           s.cmd("RCPT TO:<greydata-1@example.test>"),
                           s.cmd("RCPT TO:<greydata-2@example.test>"),
                           s.cmd("DATA")]
                    if got[-1][0].startswith("354"):
                        s.sock.sendall(b"Subject: e2e greylist at data\r\n\r\nhello\r\n.\r\n")
                        s.read_reply()
                    s.cmd("QUIT")
                r.expect_equal(got, [OK_MAIL, OK_RCPT, OK_RCPT, want], attempt + " attempt")
                if attempt == "first":
                    time.sleep(3.2)

        with results.case("%s: a per-recipient rate limit of 3 answers 450 4.7.1 at the 4th "
                          "recipient, whatever the session" % group) as r:
            got = rcpt_replies(ctx, "bulk@example.test",
                               ["limited-r1@example.test", "limited-r2@example.test"])
            got += rcpt_replies(ctx, "bulk@example.test",
                                ["limited-r3@example.test", "limited-r4@example.test"])[1:]
            r.expect_equal(approx(got), [OK_MAIL, OK_RCPT, OK_RCPT, OK_RCPT, RATE_LIMITED],
                           "MAIL and RCPT replies over two sessions")
            r.expect_equal(rcpt_replies(ctx, "other@example.test", ["limited-r5@example.test"]),
                           [OK_MAIL, OK_RCPT], "another sender has its own count")

        with results.case("%s: 12 parallel SMTP sessions against a limit of 5 get exactly 5 "
                          "acceptances" % group) as r:
            replies = parallel(12, lambda i: rcpt_replies(
                ctx, "parallel@example.test", ["parallel-%d@example.test" % i])[1])
            r.expect_equal(sorted(x[0][:9] for x in replies),
                           ["250 2.1.5"] * 5 + ["450 4.7.1"] * 7, "RCPT replies, sorted")

        with results.case("%s: a reload (SIGUSR1) with the same state settings keeps the "
                          "store and its counts" % group) as r:
            start = len(daemon.log())
            daemon.reload()
            r.expect(daemon.wait_log("reloaded", start=start), "daemon logs the reload")
            got = rcpt_replies(ctx, "bulk@example.test", ["limited-r7@example.test"])
            r.expect_equal(got[0], OK_MAIL, "MAIL after the reload")
            r.expect(len(got) > 1 and got[1][0].startswith("450 4.7.1 Rate limit exceeded"),
                     "the count made before the reload still refuses: %r" % got)
            r.expect("state settings changed" not in daemon.log()[start:],
                     "the store was not reopened")

        with results.case("%s: a deferred triplet survives a restart: the retry after the "
                          "delay is accepted by the new daemon" % group) as r:
            r.expect_equal(rcpt_replies(ctx, "restart@example.test", ["grey-b@example.test"]),
                           [OK_MAIL, GREYLISTED], "first attempt")
            r.expect_equal(daemon.stop(), 0, "exit status after SIGTERM")
            r.expect(os.path.exists(state_file), "state file %s written at SIGTERM" % state_file)
            r.expect("state saved" in daemon.log(), "daemon logs that it saved its state")
            time.sleep(3.2)
            daemon = ctx.start_daemon(conf)
            r.expect_equal(rcpt_replies(ctx, "restart@example.test", ["grey-b@example.test"]),
                           [OK_MAIL, OK_RCPT], "retry after the restart")

        with results.case("%s: a greylist pass and a rate count survive a restart" % group) as r:
            r.expect_equal(daemon.stop(), 0, "exit status after SIGTERM")
            daemon = ctx.start_daemon(conf)
            r.expect_equal(rcpt_replies(ctx, "restart@example.test", ["grey-b@example.test"]),
                           [OK_MAIL, OK_RCPT], "passed triplet, at once after the restart")
            got = rcpt_replies(ctx, "bulk@example.test", ["limited-r6@example.test"])
            # The window opened at the first count, some seconds ago.
            m = re.fullmatch(r"450 4\.7\.1 Rate limit exceeded, please try again in (\d+) seconds",
                             got[1][0] if len(got) > 1 and len(got[1]) == 1 else "")
            r.expect(got[0] == OK_MAIL and m and 3500 < int(m.group(1)) < 3600,
                     "the sender's count is still over the limit, retry under 3600 s: %r" % got)

        with results.case("%s: a corrupt state file is moved aside and the daemon starts "
                          "with an empty store" % group) as r:
            r.expect_equal(daemon.stop(), 0, "exit status after SIGTERM")
            with open(state_file, "w") as f:
                f.write("milter-verdict-state 1\nr broken")
            daemon = ctx.start_daemon(conf)
            aside = glob.glob(state_file + ".corrupt-*")
            r.expect(len(aside) == 1, "one %s.corrupt-TIMESTAMP file, found %r" % (state_file, aside))
            r.expect("moved aside" in daemon.log(), "the daemon logs the corrupt file")
            r.expect_equal(rcpt_replies(ctx, "restart@example.test", ["grey-b@example.test"]),
                           [OK_MAIL, GREYLISTED], "state starts empty: greylisted again")
    finally:
        ctx.stop_daemon(results, group, daemon)


# ---- Redis, two daemons ---------------------------------------------------

class MilterPort:
    """Something with a .port, for milter_rcpts() against daemon A's port."""

    def __init__(self, port):
        self.port = port


def milter_rcpts(daemon, sender, rcpts):
    """Daemon B through the milter protocol: the SMTP reply of each RCPT ("250" when
    the milter lets it through)."""
    c = MilterClient(daemon.port)
    try:
        c.negotiate()
        c.macro("C", [("j", "mx.example.test")])
        c.connect_info(addr="127.0.0.1")
        c.helo("client.example.test")
        c.mail(sender)
        out = []
        for rcpt in rcpts:
            code, data = c.rcpt(rcpt)
            out.append("250" if code == "c" else data.rstrip(b"\0").decode())
        c.quit()
        return out
    finally:
        c.close()


def redis_group(ctx, results):
    group = "state-redis"
    redis = RedisServer(ctx.workdir)
    daemon_b = None
    daemon_a = None
    try:
        redis.start()
        conf = os.path.join(ctx.workdir, "state-redis.conf")
        write(conf, REDIS_CONF % {"port": redis.port})
        daemon_a = ctx.start_daemon(conf)
        daemon_b = MilterDaemon(ctx.mv_bin, conf, ctx.workdir, name="mv-redis-b")
        ctx.daemons.append(daemon_b)
        daemon_b.start()

        with results.case("%s: two daemons sharing one Redis enforce one limit of 4 "
                          "together" % group) as r:
            via_a = rcpt_replies(ctx, "shared@example.test",
                                 ["limited-r1@example.test", "limited-r2@example.test"])
            via_b = milter_rcpts(daemon_b, "shared@example.test",
                                 ["limited-r3@example.test", "limited-r4@example.test",
                                  "limited-r5@example.test"])
            again_a = rcpt_replies(ctx, "shared@example.test", ["limited-r6@example.test"])
            r.expect_equal(via_a, [OK_MAIL, OK_RCPT, OK_RCPT], "daemon A (Postfix): 2 recipients")
            r.expect_equal(approx(via_b), ["250", "250", RATE_LIMITED[0]],
                           "daemon B (milter client): 2 more, then the 5th is refused")
            r.expect_equal(approx(again_a), [OK_MAIL, RATE_LIMITED],
                           "daemon A sees the shared count")

        with results.case("%s: 20 parallel milter sessions over both daemons against a "
                          "shared limit of 4 get exactly 4 acceptances" % group) as r:
            replies = parallel(20, lambda i: milter_rcpts(
                daemon_b if i % 2 else MilterPort(ctx.milter_port), "crowd@example.test",
                ["limited-%d@example.test" % i])[0])
            r.expect_equal(sorted(x[:9] for x in replies),
                           ["250"] * 4 + ["450 4.7.1"] * 16, "RCPT replies, sorted")

        with results.case("%s: Redis stopped: on_backend_error closed answers 451 4.4.3, "
                          "open lets the recipient through" % group) as r:
            redis.stop()
            got = rcpt_replies(ctx, "outage@example.test",
                               ["limited-x@example.test", "open-y@example.test"])
            r.expect_equal(got, [OK_MAIL, BACKEND_DOWN, OK_RCPT], "replies with Redis down")
            r.expect_equal(milter_rcpts(daemon_b, "outage@example.test", ["limited-z@example.test"]),
                           [BACKEND_DOWN[0]], "daemon B with Redis down")
            # A fresh connection is refused; a pooled one may first report
            # the server closing it (the store then drops its idle ones).
            log_a = daemon_a.log()
            r.expect("Connection refused" in log_a or "Server closed the connection" in log_a,
                     "daemon A logs the backend error")

        with results.case("%s: Redis back on the same port: both daemons count again "
                          "without a restart" % group) as r:
            redis.start()
            deadline = time.monotonic() + 10
            got = None
            while time.monotonic() < deadline:
                got = rcpt_replies(ctx, "back@example.test", ["limited-x@example.test"])
                if got == [OK_MAIL, OK_RCPT]:
                    break
                time.sleep(0.3)
            r.expect_equal(got, [OK_MAIL, OK_RCPT], "daemon A after Redis came back")
            # After a failed connect a daemon fails fast for 1 s (retry_interval):
            # B may need a moment more than A.
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                got = milter_rcpts(daemon_b, "back@example.test", ["limited-y@example.test"])
                if got == ["250"]:
                    break
                time.sleep(0.3)
            r.expect_equal(got, ["250"], "daemon B after Redis came back")
    finally:
        if daemon_b is not None:
            ctx.stop_daemon(results, group + " (daemon B)", daemon_b)
        if daemon_a is not None:
            ctx.stop_daemon(results, group, daemon_a)
        redis.stop()


def run(ctx, results):
    memory_group(ctx, results)


# e2e.py runs each group through an object with run(ctx, results).
RedisGroup = types.SimpleNamespace(run=redis_group)
