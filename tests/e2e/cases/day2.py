# SPDX-License-Identifier: Apache-2.0
# day2.py - the admin's day-2 tools against a running daemon (issue 25).
#
# Group "state-tool" (embedded store): a triplet greylisted and passed by
# real traffic through the private Postfix is listed by `milter-verdict
# state list` (by client address, by sender, by glob; a pattern that selects
# nothing lists nothing), shown, deleted through the daemon's control socket
# (mode 0600 beside the state file, which the tool never writes), and the
# next attempt is greylisted again; a rate counter is listed and flushed and
# the limit lets the sender through again.
#
# Both groups also run `milter-verdict test` against the daemon: the triplet
# its transaction greylists is listed under the client's network.
#
# Group "state-tool-redis": the same on a private redis-server, with the
# Redis key layout of milter-verdict(8) (STATE KEYS) checked with redis-cli.
#
# Group "test-tool": `milter-verdict test` against a running daemon whose
# socket comes from the configuration: a sender the policy rejects gets the
# rule's multi-line 550 at RCPT (the text and codes written in the
# configuration), the same stage lines as `simulate` prints for the same
# transaction; a message that passes shows the header the daemon adds at
# end of data; the daemon logs the decisions (queue id TESTQUEUEID); no
# daemon listening: exit 69.
#
# Expected values: the key layout and pattern semantics of milter-verdict(8),
# STATE KEYS and `state`; the greylisting replies of tests/e2e/cases/state.py.
import os
import re
import stat
import subprocess
import time

from harness.redis_server import RedisServer
from harness.scenario import OK_MAIL, OK_RCPT

GREYLISTED = ["451 4.7.1 Greylisted, please try again in 2 seconds"]

RULES = """
rules = (
  { name = "grey";
    when = { rcpt = "/^grey-/";
             greylist = { delay = 2; expiry = "1h"; auto_whitelist = "1d"; }; };
    action = "tempfail"; },
  { name = "two-an-hour";
    when = { rcpt = "/^limited-/";
             rate_limit = { key = "sender"; count = "recipient"; limit = "2/1h"; }; };
    action = "tempfail"; }
);
"""

MEMORY_CONF = """
daemon = { log = "stderr"; };
state = { backend = "memory"; file = "%(file)s"; save_interval = "1h"; };
""" + RULES

REDIS_CONF = """
daemon = { log = "stderr"; };
state = { backend = "redis";
          redis = { host = "127.0.0.1"; port = %(port)d; prefix = "day2:"; timeout_ms = 500; }; };
""" + RULES

TRIPLET = "g:grey|127.0.0.0/24|alice@example.test|grey-1@example.test"
RATE = "r:two-an-hour|bob@example.test"
TIME = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"


def rcpt_replies(ctx, sender, rcpts):
    with ctx.session() as s:
        s.cmd("EHLO client.example.test")
        got = [s.cmd("MAIL FROM:<%s>" % sender)]
        for rcpt in rcpts:
            got.append(s.cmd("RCPT TO:<%s>" % rcpt))
        s.cmd("QUIT")
        return got


def tool(ctx, conf, *args):
    """(exit status, stdout, stderr) of `milter-verdict state -c CONF ARGS`."""
    p = subprocess.run([ctx.mv_bin, "state", "-c", conf] + list(args), capture_output=True,
                       text=True, timeout=30)
    return p.returncode, p.stdout, p.stderr


def keys_of(listing):
    return sorted(line.split(" ")[0] for line in listing.splitlines() if line)


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def common_cases(ctx, results, group, conf, backend_check=None):
    """The cases both stores must pass; backend_check(r) adds store-specific checks
    after the first listing."""
    with results.case("%s: a triplet greylisted and passed by real traffic is listed by "
                      "client, sender and glob, with its state" % group) as r:
        r.expect_equal(rcpt_replies(ctx, "alice@example.test", ["grey-1@example.test"]),
                       [OK_MAIL, GREYLISTED], "first attempt")
        rc, out, err = tool(ctx, conf, "list", "--kind", "greylist")
        r.expect_equal((rc, keys_of(out)), (0, [TRIPLET]), "list --kind greylist (%s)" % err)
        r.expect(re.fullmatch(re.escape(TRIPLET) + " pending first=%s expires=%s\n" % (TIME, TIME),
                              out), "a pending triplet with its times: %r" % out)
        time.sleep(2.2)
        r.expect_equal(rcpt_replies(ctx, "alice@example.test", ["grey-1@example.test"]),
                       [OK_MAIL, OK_RCPT], "retry after the delay")
        for pattern in ("127.0.0.1", "127.0.0.0/24", "alice@example.test", "ALICE@example.test",
                        "grey-1@example.test", "grey|127.0.0.0/24|*", "*alice*"):
            rc, out, err = tool(ctx, conf, "list", pattern)
            r.expect_equal((rc, keys_of(out)), (0, [TRIPLET]), "list %s (%s)" % (pattern, err))
        rc, out, err = tool(ctx, conf, "list", "--kind", "triplet", "127.0.0.1")
        r.expect(re.fullmatch(re.escape(TRIPLET) + " passed first=%s expires=%s\n" % (TIME, TIME),
                              out), "passed after the retry: %r" % out)
        for pattern in ("192.0.2.1", "carol@example.test", "other|*"):
            rc, out, err = tool(ctx, conf, "list", pattern)
            r.expect_equal((rc, out), (0, ""), "list %s selects nothing" % pattern)
        if backend_check:
            backend_check(r)

    with results.case("%s: show prints the record; delete removes it and the next attempt "
                      "is greylisted again" % group) as r:
        rc, out, err = tool(ctx, conf, "show", TRIPLET)
        r.expect_equal(rc, 0, "show exit status (%s)" % err)
        r.expect(out.startswith("key %s\nkind greylist triplet\nstatus passed\nfirst " % TRIPLET)
                 and "\nexpires " in out, "show output: %r" % out)
        r.expect_equal(rcpt_replies(ctx, "alice@example.test", ["grey-1@example.test"]),
                       [OK_MAIL, OK_RCPT], "a passed triplet passes at once")
        rc, out, err = tool(ctx, conf, "delete", TRIPLET)
        r.expect_equal((rc, out), (0, "deleted %s\n" % TRIPLET), "delete (%s)" % err)
        rc, out, err = tool(ctx, conf, "list", "alice@example.test")
        r.expect_equal((rc, out), (0, ""), "listed no more")
        r.expect_equal(rcpt_replies(ctx, "alice@example.test", ["grey-1@example.test"]),
                       [OK_MAIL, GREYLISTED], "greylisted again after the delete")
        rc, out, err = tool(ctx, conf, "delete", "g:grey|nobody")
        r.expect_equal((rc, out), (1, ""), "delete of an absent record exits 1")
        rc, out, err = tool(ctx, conf, "show", "g:grey|nobody")
        r.expect_equal(rc, 1, "show of an absent record exits 1")

    with results.case("%s: `milter-verdict test` through the daemon's socket greylists a new "
                      "triplet in this store; state lists it under the client's network" % group) as r:
        test_tx = [ctx.mv_bin, "test", "-p", "inet:%d@127.0.0.1" % ctx.milter_port,
                   "--client", "192.0.2.9", "--helo", "mx.example.test",
                   "--from", "carol@example.test", "--rcpt", "grey-2@example.test"]
        p = subprocess.run(test_tx, capture_output=True, text=True, timeout=60)
        r.expect_equal(p.returncode, 0, "exit status (%s)" % p.stderr)
        r.expect("rcpt    RCPT TO:<grey-2@example.test>\n  verdict tempfail\n  reply   %s\n"
                 % GREYLISTED[0] in p.stdout, "greylisted: %r" % p.stdout)
        rc, out, err = tool(ctx, conf, "list", "192.0.2.9")
        r.expect_equal((rc, keys_of(out)),
                       (0, ["g:grey|192.0.2.0/24|carol@example.test|grey-2@example.test"]),
                       "the triplet the test transaction made (%s)" % err)
        rc, out, err = tool(ctx, conf, "flush", "carol@example.test")
        r.expect_equal((rc, out), (0, "flushed 1\n"), "flushed by sender")

    with results.case("%s: a rate counter is listed with its count and flushed; the sender "
                      "is let through again" % group) as r:
        got = rcpt_replies(ctx, "bob@example.test",
                           ["limited-1@example.test", "limited-2@example.test",
                            "limited-3@example.test"])
        r.expect(got[:3] == [OK_MAIL, OK_RCPT, OK_RCPT] and got[3][0].startswith("450 4.7.1"),
                 "the third recipient is over the limit of 2: %r" % got)
        rc, out, err = tool(ctx, conf, "list", "--kind", "rate", "bob@example.test")
        r.expect(rc == 0 and re.fullmatch(
            re.escape(RATE) + " window=3600s count=2 start=%s expires=%s\n" % (TIME, TIME), out),
            "the counter: %r (%s)" % (out, err))
        rc, out, err = tool(ctx, conf, "flush", "--kind", "rate", "*")
        r.expect_equal((rc, out), (0, "flushed 1\n"), "flush --kind rate '*' (%s)" % err)
        r.expect_equal(rcpt_replies(ctx, "bob@example.test", ["limited-4@example.test"]),
                       [OK_MAIL, OK_RCPT], "the sender's count starts again")
        rc, out, err = tool(ctx, conf, "flush", "*")
        r.expect(rc == 0 and re.fullmatch(r"flushed \d+\n", out), "flush '*': %r" % out)
        rc, out, err = tool(ctx, conf, "list")
        r.expect_equal((rc, out), (0, ""), "nothing left")

    with results.case("%s: usage errors exit 64, --help exits 0" % group) as r:
        r.expect_equal(tool(ctx, conf, "list", "--kind", "nope")[0], 64, "--kind nope")
        r.expect_equal(tool(ctx, conf, "delete", "grey|x")[0], 64, "a key without KIND:")
        r.expect_equal(tool(ctx, conf, "flush")[0], 64, "flush without a pattern")
        r.expect_equal(tool(ctx, conf, "frobnicate")[0], 64, "an unknown action")
        r.expect_equal(tool(ctx, conf, "--help")[0], 0, "--help")


def memory_group(ctx, results):
    group = "state-tool"
    state_dir = os.path.join(ctx.workdir, "day2-state")
    os.makedirs(state_dir, exist_ok=True)
    state_file = os.path.join(state_dir, "state")
    conf = os.path.join(ctx.workdir, "day2-memory.conf")
    write(conf, MEMORY_CONF % {"file": state_file})
    daemon = ctx.start_daemon(conf)
    control = os.path.join(state_dir, "control")
    try:
        with results.case("%s: the control socket is beside the state file, mode 0600, the "
                          "daemon's" % group) as r:
            st = os.lstat(control) if os.path.exists(control) else None
            r.expect(st is not None and stat.S_ISSOCK(st.st_mode), "%s is a socket" % control)
            if st is not None:
                r.expect_equal(oct(stat.S_IMODE(st.st_mode)), "0o600", "its mode")
                r.expect_equal(st.st_uid, os.geteuid(), "its owner (the daemon runs as us)")

        common_cases(ctx, results, group, conf)

        with results.case("%s: the tool never writes the state file; -s names the socket "
                          "without the configuration; another user is refused" % group) as r:
            r.expect(not os.path.exists(state_file),
                     "no state file before the first save (save_interval 1h)")
            p = subprocess.run([ctx.mv_bin, "state", "-s", control, "list"], capture_output=True,
                               text=True, timeout=30)
            r.expect_equal((p.returncode, p.stdout), (0, ""), "list through -s")
            p = subprocess.run([ctx.mv_bin, "state", "-s", os.path.join(state_dir, "none"),
                                "list"], capture_output=True, text=True, timeout=30)
            r.expect(p.returncode == 69 and "cannot connect" in p.stderr,
                     "no daemon there: exit 69 with the reason: %r" % ((p.returncode, p.stderr),))
            r.expect("state control socket " + control in daemon.log(),
                     "the daemon logs where its control socket is")
            # Another local user (nobody) cannot use it: mode 0600.
            p = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                                ctx.mv_bin, "state", "-s", control, "list"],
                               capture_output=True, text=True, timeout=30)
            r.expect(p.returncode == 69 and "Permission denied" in p.stderr,
                     "nobody is refused: %r" % ((p.returncode, p.stderr),))
    finally:
        ctx.stop_daemon(results, group, daemon)
    with results.case("%s: the control socket is removed when the daemon stops" % group) as r:
        r.expect(not os.path.exists(control), "%s gone" % control)


def redis_group(ctx, results):
    group = "state-tool-redis"
    redis = RedisServer(ctx.workdir)
    daemon = None
    try:
        redis.start()
        conf = os.path.join(ctx.workdir, "day2-redis.conf")
        write(conf, REDIS_CONF % {"port": redis.port})
        daemon = ctx.start_daemon(conf)

        def cli(*args):
            return subprocess.run(["redis-cli", "-p", str(redis.port)] + list(args),
                                  capture_output=True, text=True, timeout=10).stdout

        def layout(r):
            key = "day2:" + TRIPLET
            r.expect_equal(cli("--scan", "--pattern", "day2:*").split(), [key],
                           "the one Redis key: PREFIX + g: + triplet")
            fields = cli("HGETALL", key).split()
            r.expect_equal(sorted(fields[0::2]), ["e", "f", "p"], "hash fields f, p, e")
            r.expect_equal(dict(zip(fields[0::2], fields[1::2])).get("p"), "1", "p = 1 (passed)")

        common_cases(ctx, results, group, conf, layout)
    finally:
        if daemon is not None:
            ctx.stop_daemon(results, group, daemon)
        redis.stop()


TEST_CONF = """
daemon = { log = "stderr"; socket = "inet:%(port)d@127.0.0.1"; };
rules = (
  { name = "blocked-sender";
    when = { sender = "spammer@example.test"; };
    action = "reject";
    reply = { code = 550; enhanced = "5.7.1";
              text = ["Sender <${sender}> is blocked here.", "Ask postmaster@example.test"]; }; },
  { name = "tag-it";
    when = { rcpt = "/^tag-/"; };
    action = "continue"; add_header = { name = "X-Day2"; value = "tagged"; }; }
);
"""

REJECTED_RCPT = ("rcpt    RCPT TO:<someone@example.test>\n"
                 "  verdict reject\n"
                 "  reply   550-5.7.1 Sender <spammer@example.test> is blocked here.\n"
                 "  reply   550 5.7.1 Ask postmaster@example.test\n")


def stage_lines(output):
    """The lines both test and simulate print: stages, verdict words, replies, headers
    added, result (simulate adds the rule and log lines, test its notes on steps)."""
    keep = []
    for line in output.splitlines():
        m = re.match(r"  verdict (\w+)", line)
        if m:
            keep.append("verdict " + m.group(1))
        elif re.match(r"(connect|helo|mail|rcpt|data|header|eom|result) |  (reply|add) ", line):
            keep.append(line.strip())
    return keep


def test_group(ctx, results):
    group = "test-tool"
    conf = os.path.join(ctx.workdir, "day2-test.conf")
    write(conf, TEST_CONF % {"port": ctx.milter_port})
    daemon = ctx.start_daemon(conf)
    tx = ["--client", "192.0.2.1", "--client-name", "mx.example.test", "--helo", "mx.example.test",
          "--from", "spammer@example.test", "--rcpt", "someone@example.test"]
    try:
        with results.case("%s: a sender the policy rejects gets the rule's 550 at RCPT from the "
                          "running daemon, through the configuration's socket" % group) as r:
            p = subprocess.run([ctx.mv_bin, "test", "-c", conf] + tx, capture_output=True,
                               text=True, timeout=60)
            r.expect_equal(p.returncode, 0, "exit status (%s)" % p.stderr)
            r.expect(p.stdout.startswith("daemon  inet:%d@127.0.0.1 " % ctx.milter_port),
                     "names the socket: %r" % p.stdout[:80])
            r.expect(REJECTED_RCPT in p.stdout, "the RCPT stage: %r" % p.stdout)
            r.expect(p.stdout.endswith(
                "result  message refused: no recipient accepted, no DATA\n"), "result line")
            r.expect(daemon.wait_log("TESTQUEUEID: decision "), "the daemon logged the decision")
            sim = subprocess.run([ctx.mv_bin, "simulate", "-c", conf] + tx, capture_output=True,
                                 text=True, timeout=60)
            r.expect_equal(stage_lines(p.stdout), stage_lines(sim.stdout),
                           "the stage lines of simulate for the same transaction")

        with results.case("%s: a message that passes shows the header the daemon adds at end "
                          "of data" % group) as r:
            body = os.path.join(ctx.workdir, "day2-body.txt")
            write(body, "hello\r\n")
            p = subprocess.run([ctx.mv_bin, "test", "-p", "inet:%d@127.0.0.1" % ctx.milter_port,
                                "--client", "192.0.2.1", "--helo", "mx.example.test",
                                "--from", "ok@example.test", "--rcpt", "tag-1@example.test",
                                "--header", "Subject: day2", "--body", body],
                               capture_output=True, text=True, timeout=60)
            r.expect_equal(p.returncode, 0, "exit status (%s)" % p.stderr)
            r.expect("eom     .\n  verdict continue\n  add     X-Day2: tagged\n" in p.stdout,
                     "end of data: %r" % p.stdout)
            r.expect(p.stdout.endswith("result  delivered to 1 recipient\n"), "result line")

        with results.case("%s: no daemon on the socket: exit 69 with the reason; usage "
                          "errors exit 64" % group) as r:
            from harness.net import free_port
            p = subprocess.run([ctx.mv_bin, "test", "-p", "inet:%d@127.0.0.1" % free_port()] + tx,
                               capture_output=True, text=True, timeout=60)
            r.expect(p.returncode == 69 and "Connection refused" in p.stderr,
                     "exit 69: %r" % ((p.returncode, p.stderr),))
            p = subprocess.run([ctx.mv_bin, "test", "-c", conf, "--client", "192.0.2.1"],
                               capture_output=True, text=True, timeout=60)
            r.expect_equal(p.returncode, 64, "no --from / --rcpt")
            p = subprocess.run([ctx.mv_bin, "test", "--help"], capture_output=True, text=True,
                               timeout=60)
            r.expect_equal(p.returncode, 0, "--help")
    finally:
        ctx.stop_daemon(results, group, daemon)


def run(ctx, results):
    memory_group(ctx, results)


class TestGroup:
    run = staticmethod(test_group)


class RedisGroup:
    run = staticmethod(redis_group)
