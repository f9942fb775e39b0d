# SPDX-License-Identifier: Apache-2.0
# ha.py - Redis Sentinel failover under load, through a private Postfix (suite "ha").
#
# A real redis-server master, its replica and three redis-sentinel processes
# on loopback (harness/redis_sentinel.py: quorum 2, down-after 1000 ms);
# daemon A is the private Postfix's milter, daemon B is driven with the
# project's milter client; both find the master through the sentinels
# (state.redis.sentinels, master_name). Cases:
#   1. the two daemons count one limit together on the master the sentinels name;
#   2. the master is killed (SIGKILL) under load: every reply a client sees
#      is what the policy says, where the rule with on_backend_error =
#      "closed" answers 451 4.4.3 while no master answers and the "open" rule
#      lets recipients through; once the sentinels have promoted the replica,
#      both daemons count again on it within a few seconds (no restart), and
#      a limit of 3 holds across both daemons there;
#   3. the old master comes back (as a replica of the new one): the daemons
#      keep counting on the new master;
#   4. SENTINEL FAILOVER (a planned switch, the old master stays up and is
#      demoted): pooled connections to it get READONLY and are dropped; the
#      daemons follow, with the same reply invariants.
# Prints the failover figures (time to promotion, time until both daemons
# count again, replies seen during the window). Ends with "ha: N passed, M failed".
import os
import re
import signal
import sys
import tempfile
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))

from harness.context import Context  # noqa: E402
from harness.daemon import MilterDaemon  # noqa: E402
from harness.milter_client import MilterClient  # noqa: E402
from harness.postfix_instance import postfix_available, remove_tree  # noqa: E402
from harness.redis_sentinel import RedisNode, SentinelGroup, cli  # noqa: E402
from harness.results import Results  # noqa: E402

OK_MAIL = ["250 2.1.0 Ok"]
OK_RCPT = ["250 2.1.5 Ok"]
BACKEND_DOWN = "451 4.4.3 Temporary lookup failure, please try again later"
RATE_LIMITED = re.compile(r"450 4\.7\.1 Rate limit exceeded, please try again in \d+ seconds")

CONF = """
daemon = { log = "stderr"; };
state = { backend = "redis";
          redis = { sentinels = [%(sentinels)s]; master_name = "%(name)s";
                    prefix = "ha:"; timeout_ms = 300; pool_size = 4; }; };
rules = (
  { name = "ha-limit"; on_backend_error = "closed";
    when = { rcpt = "/^limited-/";
             rate_limit = { key = "sender"; count = "recipient"; limit = "3/1h"; }; };
    action = "tempfail"; },
  { name = "ha-open"; on_backend_error = "open";
    when = { rcpt = "/^open-/";
             rate_limit = { key = "sender"; count = "recipient"; limit = "1000/1h"; }; };
    action = "tempfail"; }
);
"""


class HaResults(Results):
    def summary(self):
        print("ha: %d passed, %d failed" % (self.passed, self.failed), file=self.out)
        self.out.flush()
        return self.failed == 0


def smtp_rcpts(ctx, sender, rcpts):
    """Through Postfix and daemon A: the first line of each RCPT reply."""
    with ctx.session() as s:
        s.cmd("EHLO client.example.test")
        if s.cmd("MAIL FROM:<%s>" % sender) != OK_MAIL:
            return ["MAIL refused"]
        out = [s.cmd("RCPT TO:<%s>" % r)[0] for r in rcpts]
        s.cmd("QUIT")
        return out


def milter_rcpts(port, sender, rcpts):
    """Daemon B through the milter protocol: "250" or the reply text of each RCPT."""
    c = MilterClient(port, timeout=10)
    try:
        c.negotiate()
        c.macro("C", [("j", "mx.example.test")])
        c.connect_info(addr="127.0.0.1")
        c.helo("client.example.test")
        c.mail(sender)
        out = []
        for r in rcpts:
            code, data = c.rcpt(r)
            out.append("250 2.1.5 Ok" if code == "c" else data.rstrip(b"\0").decode())
        c.quit()
        return out
    finally:
        c.close()


def count_proof(ctx, port_b, sender):
    """A limit of 3 counted across both daemons: 2 via A, 2 via B -> the 4th refused."""
    a = smtp_rcpts(ctx, sender, ["limited-1@example.test", "limited-2@example.test"])
    b = milter_rcpts(port_b, sender, ["limited-3@example.test", "limited-4@example.test"])
    return a + b


class Load:
    """Sessions through both daemons in threads, each with a fresh sender, until stopped.

    Every RCPT reply is recorded with the session's start and end times:
    (start, end, rule, daemon, line)."""

    def __init__(self, ctx, port_b, threads=6):
        self.ctx, self.port_b, self.n = ctx, port_b, threads
        self.records = []
        self.errors = []
        self.stop_flag = threading.Event()
        self.lock = threading.Lock()
        self.threads = []
        self.seq = 0

    def _next(self):
        with self.lock:
            self.seq += 1
            return self.seq

    def _run(self, i):
        while not self.stop_flag.is_set():
            k = self._next()
            sender = "load-%d@example.test" % k
            rcpts = ["limited-%d@example.test" % k, "open-%d@example.test" % k]
            t = time.monotonic()
            try:
                if i % 2:
                    got = milter_rcpts(self.port_b, sender, rcpts)
                    who = "B"
                else:
                    got = smtp_rcpts(self.ctx, sender, rcpts)
                    who = "A"
            except Exception as e:  # counted as an unexpected outcome
                with self.lock:
                    self.errors.append("%.2f %r" % (t, e))
                time.sleep(0.1)
                continue
            end = time.monotonic()
            with self.lock:
                if len(got) != 2:
                    self.errors.append("%.2f %s %r" % (t, who, got))
                else:
                    self.records.append((t, end, "closed", who, got[0]))
                    self.records.append((t, end, "open", who, got[1]))
            time.sleep(0.02)

    def start(self):
        for i in range(self.n):
            th = threading.Thread(target=self._run, args=(i,), daemon=True)
            th.start()
            self.threads.append(th)

    def stop(self):
        self.stop_flag.set()
        for th in self.threads:
            th.join(30)


def check_window(r, load, t_fault, t_back, what):
    """Sessions that ended before t_fault or started after t_back get the normal
    replies; one that overlaps the window may see 451 4.4.3 from the closed rule.
    Returns (checked, seen_down)."""
    unexpected = []
    down = 0
    for start, end, rule, who, line in load.records:
        if line == OK_RCPT[0]:
            continue
        if rule == "closed" and line == BACKEND_DOWN and end >= t_fault and start <= t_back:
            down += 1
            continue
        unexpected.append("t%+.2fs %s daemon %s: %r" % (start - t_fault, rule, who, line))
    r.expect(not unexpected, "%s: %d unexpected replies: %s"
             % (what, len(unexpected), "; ".join(unexpected[:8])))
    r.expect(not load.errors, "%s: sessions that failed: %s" % (what, "; ".join(load.errors[:5])))
    return len(load.records), down


def wait_counting(ctx, port_b, deadline):
    """Until both daemons answer a fresh sender normally; the time, or None."""
    n = 0
    while time.monotonic() < deadline:
        n += 1
        sender = "probe-%d-%d@example.test" % (int(time.monotonic() * 1000), n)
        try:
            a = smtp_rcpts(ctx, sender, ["limited-1@example.test"])
            b = milter_rcpts(port_b, sender, ["limited-2@example.test"])
        except Exception:
            a = b = []
        if a == OK_RCPT and b == OK_RCPT:
            return time.monotonic()
        time.sleep(0.1)
    return None


def failover_case(results, ctx, group, daemon_b, planned, old, new):
    """Kill (or SENTINEL FAILOVER) the master under load and check the invariants."""
    what = "planned SENTINEL FAILOVER" if planned else "master killed (SIGKILL)"
    name = "ha: %s under load: replies follow on_backend_error, both daemons count on " \
           "the promoted replica within seconds" % what
    with results.case(name) as r:
        load = Load(ctx, daemon_b.port)
        load.start()
        time.sleep(2.0)
        t_fault = time.monotonic()
        if planned:
            cli(group.sentinels[0].port, "SENTINEL", "FAILOVER", group.name)
        else:
            old.kill()
        promoted = group.wait_master(new.port, timeout=30)
        t_promoted = time.monotonic()
        r.expect(promoted, "the sentinels promoted the replica on port %d" % new.port)
        t_back = wait_counting(ctx, daemon_b.port, time.monotonic() + 15)
        r.expect(t_back is not None, "both daemons answer normally again within 15 s of "
                 "the promotion")
        time.sleep(2.0)
        load.stop()
        t_back = t_back or time.monotonic()
        checked, down = check_window(r, load, t_fault, t_back, what)
        after = t_back - t_promoted
        print("    ha figures (%s): promotion %.1f s after the fault, both daemons counting "
              "%.1f s after the promotion; %d RCPT replies checked, %d were 451 4.4.3 "
              "(closed rule), 0 allowed otherwise" % (what, t_promoted - t_fault, after,
                                                      checked, down))
        r.expect(after <= 4.0, "daemons back %.1f s after the promotion (goal: within the "
                 "retry interval of 1 s plus a few round trips, <= 4 s)" % after)
        if planned:
            # The old master answers until the sentinels demote it; the daemons
            # dropped their connections to it when the switch was announced.
            r.expect(all(d.wait_log("sentinel announced a new master", timeout=10)
                         for d in ctx.daemons),
                     "each daemon logs the sentinels' +switch-master announcement")
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and old.role() != "slave":
                time.sleep(0.1)
            r.expect(old.role() == "slave", "the old master was demoted (ROLE %r)" % old.role())
        got = count_proof(ctx, daemon_b.port, "proof-%d@example.test" % int(time.time() * 1000))
        r.expect(got[:3] == ["250 2.1.5 Ok"] * 3 and RATE_LIMITED.fullmatch(got[3] or ""),
                 "a limit of 3 across both daemons on the new master: %r" % got)
        keys = cli(new.port, "KEYS", "ha:r:*")
        r.expect("ha:r:" in keys, "the counters are on the promoted server (port %d)" % new.port)


def main():
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda s, f: (_ for _ in ()).throw(SystemExit(128 + s)))
    results = HaResults()
    mv = os.environ.get("MV_BIN", "")
    if not (mv and os.access(mv, os.X_OK)):
        results.fail("ha: preflight: MV_BIN is an executable", "MV_BIN=%r" % mv)
        return results.summary()
    if os.geteuid() != 0 or not postfix_available():
        results.fail("ha: preflight: root and Postfix", "the private Postfix needs both")
        return results.summary()
    workdir = tempfile.mkdtemp(prefix="mv-ha-")
    os.chmod(workdir, 0o755)
    ctx = Context(mv, workdir)
    master = RedisNode(workdir, "master")
    replica = RedisNode(workdir, "replica", replica_of=master)
    group = None
    daemon_b = None
    try:
        with results.case("ha: setup: master, replica, three sentinels, Postfix, two daemons") as r:
            master.start()
            replica.start()
            group = SentinelGroup(workdir, master)
            group.start()
            r.expect(group.wait_ready(), "the sentinels see the master, its replica and "
                     "each other")
            conf = os.path.join(workdir, "ha.conf")
            with open(conf, "w") as f:
                f.write(CONF % {"sentinels": ", ".join('"%s"' % a for a in group.addresses),
                                "name": group.name})
            ctx.start_postfix()
            ctx.start_daemon(conf)
            daemon_b = MilterDaemon(mv, conf, workdir, name="mv-ha-b")
            ctx.daemons.append(daemon_b)
            daemon_b.start()
        if results.failed:
            return results.summary()

        with results.case("ha: both daemons count one limit of 3 on the master the sentinels "
                          "name") as r:
            got = count_proof(ctx, daemon_b.port, "first@example.test")
            r.expect(got[:3] == ["250 2.1.5 Ok"] * 3 and RATE_LIMITED.fullmatch(got[3] or ""),
                     "2 via A, 2 via B, the 4th refused: %r" % got)
            r.expect("ha:r:" in cli(master.port, "KEYS", "ha:r:*"),
                     "the counter is on the master (port %d)" % master.port)

        failover_case(results, ctx, group, daemon_b, False, master, replica)

        with results.case("ha: the old master restarts as a replica of the new one; the "
                          "daemons keep counting on the new master") as r:
            master.replica_of = None
            master.start()
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and master.role() != "slave":
                time.sleep(0.2)
            r.expect(master.role() == "slave", "the sentinels turned the old master into a "
                     "replica (ROLE %r)" % master.role())
            group.wait_ready(timeout=20)
            got = count_proof(ctx, daemon_b.port, "after-restart@example.test")
            r.expect(got[:3] == ["250 2.1.5 Ok"] * 3 and RATE_LIMITED.fullmatch(got[3] or ""),
                     "limit of 3 across both daemons: %r" % got)

        # Now `master` is the replica: a planned failover moves the master back to it.
        failover_case(results, ctx, group, daemon_b, True, replica, master)

        for d in list(ctx.daemons):
            ctx.stop_daemon(results, "ha", d)
    except SystemExit as e:
        results.fail("ha: suite interrupted", "signal %r" % e.code)
    except Exception as e:
        results.fail("ha: suite error", "".join(traceback.format_exception_only(type(e), e)))
    finally:
        ctx.close()
        if group:
            group.stop()
        replica.stop()
        master.stop()
        if os.environ.get("MV_HA_KEEP") == "1":
            print("ha: kept %s" % workdir)
        else:
            remove_tree(workdir)
    return results.summary()


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
