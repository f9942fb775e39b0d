# SPDX-License-Identifier: Apache-2.0
# soak.py - milter-verdict under load through a private Postfix, and faults under
# that load (make soak, make soak-faults; tests/soak/README-soak.txt).
#
# One private Postfix (tests/e2e/harness, with default_process_limit raised and
# anvil's per-client limits off) on a tmpfs of its own, milter-verdict ($MV_BIN)
# as its milter, Maildir delivery (one file per delivered recipient). Load:
#   * the project's SMTP client (tests/e2e/harness/smtp_client.py) in
#     SESSIONS - SOURCE threads, each running sessions back to back with
#     THINK ms between commands; every transaction is drawn from the policy's
#     shares (recipients accept-/reject-/defer-/rlc-/rlo-, senders s-/eodreject-/
#     eoddefer-) and every reply line is compared with what the policy and
#     DESIGN.md say for it;
#   * Postfix's smtp-source in SOURCE sessions (rounds of -s SOURCE -m ...,
#     each message to the accepted share): any reply but 2xx makes it print an
#     error, which is an unexpected reply.
# After the load: the queue must drain, every (transaction, recipient) the
# server accepted must be delivered exactly once, nothing else may be, and
# every delivered message carries the header the policy's first rule adds at
# end of data (X-Soak-Filtered): a message without it was accepted unfiltered.
# The daemon's resident memory, threads and descriptors are printed at the
# start, middle and end of the load; the SMTP sessions open at once are
# counted from /proc/net/tcp every second.
#
# Phases (SOAK_PHASES, comma-separated): soak (SOAK_SECONDS of steady load),
# and the faults, each SOAK_FAULT_SECONDS of the same load with:
#   kill    SIGKILL of the daemon and restart, 3 times (milter_default_action =
#           tempfail: clients may see Postfix's 451 4.7.1 inside the outage);
#   reload  SIGUSR1 every second, the file cycling through a broken one (same
#           rules with other texts, then an error), a FIFO @include, a
#           directory @include and a line-by-line rewrite in place with
#           SIGUSR1s during it, the good policy between any two: only the good
#           policy's replies may be seen, no reload loads a partial policy;
#   redis   Redis stopped then restarted, then made slow (a proxy holding
#           every answer 2 s, above timeout_ms): rule rl-closed answers
#           451 4.4.3 inside those windows, rl-open always accepts;
#   trickling  the proxy sends Redis's answers one byte every 300 ms for a
#           third of the phase: each call must end within timeout_ms (issue
#           29), so rl-closed answers 451 4.4.3 inside the window and never
#           Postfix's milter timeout, rl-open accepts; three probe RCPTs for
#           rl-closed inside the window get 451 4.4.3 within 3 x timeout_ms;
#   oversized  the proxy answers every command with a 2 GB string
#           ("$2147483648", then 64 MB as fast as it is read) for a third of
#           the phase: refused at the header (issue 29), the same replies and
#           probes as trickling, and the daemon's peak resident size (VmHWM) stays
#           within OVERSIZED_GROWTH_MB of its size when the window opened;
#   disk    the state file's tmpfs filled: periodic saves fail with a log line,
#           replies stay as the policy says, the last good file stays whole,
#           saving works again once space is back;
#   stall   500 raw milter connections to the daemon (half say nothing, half
#           send half a packet): the daemon closes each within its timeout
#           (daemon.timeout), its thread count comes back, real traffic is
#           answered as the policy says throughout.
# Replies a fault allows count as expected only inside its window (plus
# GRACE seconds: a session that met the fault keeps its tempfail).
#
# Output: per phase what clients saw (count per stage and reply code), the
# invariants checked, then "soak: N passed, M failed"; exit 1 on any failure.
# Every process started here is stopped by pid in `finally`; the tmpfs
# mounts are unmounted. SOAK_KEEP=1 keeps the work directory (logs).
import collections
import os
import random
import re
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))
sys.path.insert(0, HERE)

from harness.daemon import MilterDaemon  # noqa: E402
from harness.net import HarnessError, free_port  # noqa: E402
from harness.postfix_instance import PostfixInstance, postfix_available  # noqa: E402
from harness.redis_server import RedisServer  # noqa: E402
from harness.smtp_client import SmtpSession  # noqa: E402
from slow_proxy import ProxyProcess  # noqa: E402


def env_int(name, default):
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        sys.exit("soak: %s must be an integer" % name)


SECONDS = env_int("SOAK_SECONDS", 600)
SESSIONS = env_int("SOAK_SESSIONS", 300)
FAULT_SECONDS = env_int("SOAK_FAULT_SECONDS", 120)
THINK_MS = env_int("SOAK_THINK_MS", 300)
SOURCE = env_int("SOAK_SOURCE_SESSIONS", SESSIONS // 3)
MILTER_TIMEOUT = env_int("SOAK_MILTER_TIMEOUT", 10)
STALLS = env_int("SOAK_STALLS", 500)
GRACE = 20.0
RUNNERS = 4  # smtp-source processes
# The Redis timeout: below the slow proxy's 2 s, above what a loaded 2-core
# machine adds to a loopback round trip.
REDIS_TIMEOUT_MS = env_int("SOAK_REDIS_TIMEOUT_MS", 1000)
DRAIN_TIMEOUT = 240.0
# trickling, oversized: a probe RCPT for rl-closed inside the window gets its
# 451 4.4.3 within this many seconds (a store call is bounded by timeout_ms).
PROBE_BOUND = 3 * REDIS_TIMEOUT_MS / 1000.0
# oversized: what the load alone may add to the daemon's peak during the
# window; the defect added the proxy's 64 MB per pooled connection (8).
OVERSIZED_GROWTH_MB = env_int("SOAK_OVERSIZED_GROWTH_MB", 128)

# Replies as DESIGN.md section 2 and the policy below say (texts are the
# policy's), and Postfix's own for the steps the milter does not answer.
GREETING = ["220 mx.example.test ESMTP"]
OK_MAIL = ["250 2.1.0 Ok"]
OK_RCPT = ["250 2.1.5 Ok"]
OK_DATA = ["354 End data with <CR><LF>.<CR><LF>"]
BYE = ["221 2.0.0 Bye"]
QUEUED = re.compile(r"250 2\.0\.0 Ok: queued as ([0-9A-Za-z]+)$")
# Postfix's answer when the milter is gone and milter_default_action = tempfail.
MILTER_TEMPFAIL = ["451 4.7.1 Service unavailable - try again later"]
# DESIGN.md: a state backend failure is 451 4.4.3 (text: the defaults table of
# milter-verdict.conf(5)).
BACKEND_DOWN = ["451 4.4.3 Temporary lookup failure, please try again later"]


def reject_rcpt(addr, policy="soak"):
    return ["550 5.7.1 Recipient %s refused by the %s policy" % (addr, policy)]


def defer_rcpt(addr, policy="soak"):
    # A tempfail without a code at RCPT: 450 4.7.1 (DESIGN.md section 2).
    return ["450 4.7.1 Recipient %s deferred by the %s policy" % (addr, policy)]


EOD_REJECT = ["550 5.7.1 Content refused by the soak policy"]
# A tempfail without a code at end of data: 451 4.7.1.
EOD_DEFER = ["451 4.7.1 Content deferred by the soak policy"]

POLICY = """\
# soak policy (tests/soak/soak.py): shares by recipient and sender pattern.
daemon = { log = "stderr"; timeout = %(timeout)d; };
%(state)s
rules = (
  { name = "mark"; stage = "end-of-data"; action = "continue";
    add_header = { name = "X-Soak-Filtered"; value = "by ${rule}"; }; },
  { name = "rcpt-reject"; when = { rcpt = "/^reject-/"; }; action = "reject";
    reply = { code = 550; enhanced = "5.7.1";
              text = "Recipient ${rcpt} refused by the %(name)s policy"; }; },
  { name = "rcpt-defer"; when = { rcpt = "/^defer-/"; }; action = "tempfail";
    reply = { text = "Recipient ${rcpt} deferred by the %(name)s policy"; }; },
  { name = "content-reject"; when = { sender = "/^eodreject-/"; }; stage = "end-of-data";
    action = "reject";
    reply = { code = 550; enhanced = "5.7.1"; text = "Content refused by the %(name)s policy"; }; },
  { name = "content-defer"; when = { sender = "/^eoddefer-/"; }; stage = "end-of-data";
    action = "tempfail"; reply = { text = "Content deferred by the %(name)s policy"; }; }%(rules)s
);
"""

STATE_RULES = """,
  { name = "rl-closed"; on_backend_error = "closed";
    when = { rcpt = "/^rlc-/";
             rate_limit = { key = "sender"; count = "recipient"; limit = "1000000/1h"; }; };
    action = "tempfail"; },
  { name = "rl-open"; on_backend_error = "open";
    when = { rcpt = "/^rlo-/";
             rate_limit = { key = "sender"; count = "recipient"; limit = "1000000/1h"; }; };
    action = "tempfail"; }"""

# A reload with this rule fails: a reject may not carry a 2xx code (DESIGN.md
# section 2). The rest of that file answers with other texts ("BROKEN policy"),
# so a broken file that replaced the good one would show on the wire.
BROKEN_RULE = """,
  { name = "broken"; when = { rcpt = "/^never-/"; }; action = "reject";
    reply = { code = 250; text = "a reject with a 2xx code"; }; }"""


def policy_text(state="", rules="", name="soak", broken=False):
    return POLICY % {"timeout": MILTER_TIMEOUT, "state": state, "name": name,
                     "rules": rules + (BROKEN_RULE if broken else "")}


def write(path, text):
    with open(path + ".new", "w") as f:
        f.write(text)
    os.replace(path + ".new", path)


# ---- Postfix for the soak ----------------------------------------------------

class SoakPostfix(PostfixInstance):
    """The e2e instance with the limits 300+ sessions need and Maildir delivery."""

    def __init__(self, workdir, milters, sessions):
        self.sessions = sessions
        super().__init__(workdir, milters=milters)

    def _main_cf(self):
        lines = collections.OrderedDict(
            line.split(" = ", 1) for line in super()._main_cf().splitlines() if " = " in line)
        lines.update({
            # smtpd (and every other service) may run this many processes.
            "default_process_limit": str(self.sessions + 100),
            # anvil: no per-client limits (every session comes from 127.0.0.1).
            "smtpd_client_connection_count_limit": "0",
            "smtpd_client_connection_rate_limit": "0",
            "smtpd_client_message_rate_limit": "0",
            "smtpd_client_recipient_rate_limit": "0",
            # One file per delivered recipient, with Delivered-To: no mbox lock.
            "virtual_mailbox_maps": "static:maildir/",
            "virtual_destination_concurrency_limit": "50",
            "milter_default_action": "tempfail",
        })
        return "".join("%s = %s\n" % kv for kv in lines.items())

    def maildir(self):
        return os.path.join(self.mail_dir, "maildir", "new")


# ---- observation ---------------------------------------------------------------

def proc_stats(pid):
    """(RSS KiB, threads, fds) of a process, or None when it is gone."""
    try:
        rss = threads = None
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
                elif line.startswith("Threads:"):
                    threads = int(line.split()[1])
        fds = len(os.listdir("/proc/%d/fd" % pid))
        return rss, threads, fds
    except (OSError, ValueError):
        return None


def established(local_port=None, remote_port=None):
    """Established loopback TCP connections with that local (or remote) port."""
    n = 0
    try:
        with open("/proc/net/tcp") as f:
            next(f)
            for line in f:
                cols = line.split()
                if cols[3] != "01":
                    continue
                lp = int(cols[1].split(":")[1], 16)
                rp = int(cols[2].split(":")[1], 16)
                if (local_port is not None and lp == local_port) or \
                        (remote_port is not None and rp == remote_port):
                    n += 1
    except OSError:
        pass
    return n


class Sampler(threading.Thread):
    """Every second: the daemon's stats and the SMTP and milter connections."""

    def __init__(self, phase):
        super().__init__(daemon=True)
        self.phase = phase
        self.stop_event = threading.Event()
        self.samples = []  # (t, rss, threads, fds, smtp, milter)

    def run(self):
        while not self.stop_event.wait(1.0):
            d = self.phase.daemon
            st = proc_stats(d.proc.pid) if d and d.running() else None
            self.samples.append((time.monotonic(), st,
                                 established(local_port=self.phase.postfix.smtp_port),
                                 established(local_port=self.phase.milter_port)))


# ---- the load ----------------------------------------------------------------

class Tally:
    """What clients saw, shared by every client thread."""

    def __init__(self):
        self.lock = threading.Lock()
        self.sessions = 0
        self.transactions = 0
        self.replies = 0
        self.seen = collections.Counter()       # "RCPT 450 4.7.1" -> n
        self.fault_seen = collections.Counter()  # replies only a fault window allows
        self.unexpected = []                     # (time, what, got, want)
        self.unexpected_n = 0
        self.accepted = collections.Counter()    # (tid, rcpt) -> times the server said 250
        self.refused = set()                     # (tid, rcpt) the server never accepted
        self.source_messages = 0                 # smtp-source messages answered 250
        self.source_sessions = 0

    def bad(self, what, got, want):
        with self.lock:
            self.unexpected_n += 1
            if len(self.unexpected) < 20:
                self.unexpected.append((time.strftime("%H:%M:%S"), what, got, want))


def first_code(lines):
    m = re.match(r"(\d{3})[ -](\d\.\d{1,3}\.\d{1,3})?", lines[0]) if lines else None
    if not m:
        return lines[0][:3] if lines else "none"
    return m.group(1) + (" " + m.group(2) if m.group(2) else "")


class Client(threading.Thread):
    """Sessions back to back until the phase ends; every reply checked."""

    def __init__(self, phase, n):
        super().__init__(daemon=True)
        self.phase = phase
        self.n = n
        self.rng = random.Random(n * 7919 + int(time.time()))

    def think(self):
        if THINK_MS:
            time.sleep(self.rng.uniform(0, 2 * THINK_MS) / 1000.0)

    def check(self, stage, got, want, alternatives=()):
        """Compare one reply; True when it is the policy's answer."""
        ph, tally = self.phase, self.phase.tally
        with tally.lock:
            tally.replies += 1
            tally.seen["%s %s" % (stage, first_code(got))] += 1
        if got == want:
            return True
        now = time.monotonic()
        for alt, window in alternatives:
            if got == alt and ph.in_window(window, now):
                with tally.lock:
                    tally.fault_seen["%s %s" % (stage, first_code(got))] += 1
                return False
        tally.bad(stage, got, want)
        return False

    def run(self):
        ph = self.phase
        tid_base = self.n * 10_000_000
        k = 0
        while not ph.load_stop.is_set():
            k += 1
            try:
                self.session(tid_base + k)
            except Exception as e:  # a closed connection or a timeout is unexpected
                ph.tally.bad("session", repr(e), "a complete session")
                time.sleep(0.5)

    def session(self, tid):
        ph, rng = self.phase, self.rng
        r = rng.random()
        kind = "s" if r < 0.8 else "eodreject" if r < 0.9 else "eoddefer"
        sender = "%s-%d@example.test" % (kind, tid)
        shares = ph.shares
        rcpts = []
        for i in range(rng.choice((1, 1, 2, 3))):
            share = rng.choices([s for s, _ in shares], [w for _, w in shares])[0]
            rcpts.append((share, "%s-%d-%d@example.test" % (share, tid, i)))
        kill_alt = [(MILTER_TEMPFAIL, "kill")]
        with SmtpSession(ph.postfix.smtp_port, timeout=60.0) as s:
            with ph.tally.lock:
                ph.tally.sessions += 1
                ph.tally.transactions += 1
            self.check("GREETING", s.greeting, GREETING)
            self.think()
            ehlo = s.cmd("EHLO client%d.example.test" % self.n)
            self.check("EHLO", ehlo[:1], ["250-mx.example.test"])
            self.think()
            if not self.check("MAIL", s.cmd("MAIL FROM:<%s>" % sender), OK_MAIL, kill_alt):
                s.cmd("QUIT")
                return
            accepted = []
            for share, addr in rcpts:
                self.think()
                got = s.cmd("RCPT TO:<%s>" % addr)
                if share == "reject":
                    want = reject_rcpt(addr)
                elif share == "defer":
                    want = defer_rcpt(addr)
                else:
                    want = OK_RCPT
                alts = list(kill_alt)
                if share == "rlc":
                    alts.append((BACKEND_DOWN, "redis"))
                if self.check("RCPT", got, want, alts) and want == OK_RCPT:
                    accepted.append(addr)
                elif got == OK_RCPT:  # an answer the policy does not give, taken as it came
                    accepted.append(addr)
                else:
                    with ph.tally.lock:
                        ph.tally.refused.add((tid, addr))
            if not accepted:
                self.check("QUIT", s.cmd("QUIT"), BYE)
                return
            self.think()
            if not self.check("DATA", s.cmd("DATA"), OK_DATA, kill_alt):
                s.cmd("QUIT")
                return
            head = ["From: <%s>" % sender, "To: <%s>" % accepted[0],
                    "Subject: soak %d" % tid, "Message-ID: <soak-%d@client.example.test>" % tid,
                    "X-Soak-Id: %d" % tid, ""]
            body = ["soak message %d line %d" % (tid, i) for i in range(20)]
            s.sock.sendall(("\r\n".join(head + body) + "\r\n.\r\n").encode())
            final = s.read_reply()
            want = EOD_REJECT if kind == "eodreject" else EOD_DEFER if kind == "eoddefer" else None
            with ph.tally.lock:
                ph.tally.replies += 1
                ph.tally.seen["END-OF-DATA %s" % first_code(final)] += 1
            m = QUEUED.match(final[0]) if len(final) == 1 else None
            if want is None and m:
                ok = True
            elif want is not None and final == want:
                ok = False
            elif final == MILTER_TEMPFAIL and ph.in_window("kill", time.monotonic()):
                with ph.tally.lock:
                    ph.tally.fault_seen["END-OF-DATA %s" % first_code(final)] += 1
                ok = False
            else:
                ph.tally.bad("END-OF-DATA", final, want or ["250 2.0.0 Ok: queued as ID"])
                ok = bool(m)  # accepted against the policy: it must still arrive
            with ph.tally.lock:
                for addr in accepted:
                    if ok:
                        ph.tally.accepted[(tid, addr)] += 1
                    else:
                        ph.tally.refused.add((tid, addr))
            self.think()
            self.check("QUIT", s.cmd("QUIT"), BYE)


class SourceRunner(threading.Thread):
    """Rounds of smtp-source until the phase ends; each message to the accepted share."""

    def __init__(self, phase, sessions, strict, first=1.0):
        super().__init__(daemon=True)
        self.phase = phase
        self.sessions = sessions
        self.strict = strict  # no -A: any refusal aborts smtp-source (steady soak)
        self.first = first    # the first round's share of a full round (staggers the runners)
        self.proc = None
        self.rounds = 0
        self.output = []

    def run(self):
        ph = self.phase
        # Rounds follow each other at once; a round's length is fitted to the
        # time left from the last round's pace, so the sessions stay open until
        # the end of the load (the last round may end a few seconds early).
        per_message = 1.5  # seconds a message of a kept-open session takes, first guess
        while not ph.load_stop.is_set() and ph.load_left() > 5:
            # Under a fault, sessions are kept shorter (10 messages at most): a
            # session that met the fault keeps Postfix's tempfail to its end.
            cap = 60 if self.strict else 10
            if self.rounds == 0:
                cap = max(1, int(cap * self.first))
            per_session = int(max(1, min(cap, (ph.load_left() - 2) / per_message)))
            n = self.sessions * per_session
            args = ["/usr/sbin/smtp-source", "-4", "-s", str(self.sessions), "-m", str(n),
                    "-l", "1500", "-f", "src@example.test", "-t", "src@example.test",
                    "-M", "source.example.test", "-S", "soak smtp-source"]
            args += ["-d", "-w", "1"]
            if not self.strict:
                args.append("-A")
            args.append("127.0.0.1:%d" % ph.postfix.smtp_port)
            start = time.monotonic()
            self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)
            try:
                out, _ = self.proc.communicate(timeout=max(60.0, ph.load_left() + 120))
            except subprocess.TimeoutExpired:
                self.proc.kill()
                out, _ = self.proc.communicate(10)
                ph.tally.bad("smtp-source", "did not finish in time", "exit 0")
            text = out.decode("utf-8", "replace").strip()
            self.rounds += 1
            per_message = max(0.5, (time.monotonic() - start) / per_session)
            with ph.tally.lock:
                ph.tally.sessions += self.sessions
                ph.tally.transactions += n
                ph.tally.source_sessions += self.sessions
            lines = [x for x in text.splitlines() if x.strip()]
            if self.strict:
                # Every reply must be 2xx/354: smtp-source says nothing then.
                if self.proc.returncode == 0 and not lines:
                    with ph.tally.lock:
                        ph.tally.source_messages += n
                        ph.tally.replies += n * 6
                else:
                    ph.tally.bad("smtp-source", "exit %d: %s" % (self.proc.returncode,
                                                                  " | ".join(lines[:5])),
                                 "exit 0, no output")
            else:
                self.output += lines
                # -A: refused messages are reported one line each; under a fault
                # only the milter's tempfail is allowed, and only in its window.
                bad = [x for x in lines if "451 4.7.1 Service unavailable" not in x]
                faulted = len(lines) - len(bad)
                # smtp-source -A prints exactly one line per refused message
                # (and goes on with the next one), so the rest were accepted.
                with ph.tally.lock:
                    ph.tally.replies += n * 6
                    ph.tally.source_messages += n - len(lines)
                    if faulted:
                        ph.tally.seen["smtp-source 451 4.7.1"] += faulted
                        ph.tally.fault_seen["smtp-source 451 4.7.1"] += faulted
                if bad or (faulted and not ph.kill_windows):
                    ph.tally.bad("smtp-source", " | ".join((bad or lines)[:5]), "2xx or 451 "
                                 "inside a kill window")
            self.proc = None

    def stop(self):
        p = self.proc
        if p is not None and p.poll() is None:
            p.kill()


# ---- one phase ---------------------------------------------------------------

class Phase:
    """Postfix + daemon + load for `seconds`, with a fault driver, then the checks."""

    def __init__(self, suite, name, seconds, shares, state=""):
        self.suite = suite
        self.name = name
        self.seconds = seconds
        self.shares = shares
        self.state = state
        self.postfix = suite.postfix
        self.milter_port = suite.milter_port
        self.daemon = None
        self.tally = Tally()
        self.load_stop = threading.Event()
        self.t0 = None
        self.windows = collections.defaultdict(list)  # "kill" -> [[start, end or None]]
        self.kill_windows = self.windows["kill"]
        self.notes = []
        self.failures = []

    # -- windows ------------------------------------------------------------
    def open_window(self, kind):
        self.windows[kind].append([time.monotonic(), None])

    def close_window(self, kind):
        self.windows[kind][-1][1] = time.monotonic()

    def in_window(self, kind, now):
        for start, end in self.windows.get(kind, ()):
            if start - 0.5 <= now and (end is None or now <= end + GRACE):
                return True
        return False

    def load_left(self):
        return self.seconds - (time.monotonic() - self.t0)

    def expect(self, cond, what):
        if not cond:
            self.failures.append(what)
        return cond

    # -- the daemon ---------------------------------------------------------
    def start_daemon(self, config):
        self.daemon = MilterDaemon(self.suite.mv, config, self.suite.workdir,
                                   name="mv-%s-%d" % (self.name, len(self.suite.daemons)))
        self.daemon.port = self.milter_port
        self.suite.daemons.append(self.daemon)
        self.daemon.start()
        return self.daemon

    def run(self, config, fault=None):
        self.start_daemon(config)
        idle = proc_stats(self.daemon.proc.pid)
        clients = [Client(self, i) for i in range(SESSIONS - SOURCE)]
        # smtp-source in RUNNERS processes whose rounds end at different times:
        # a round's end costs a few seconds of that process's sessions only.
        parts = [SOURCE // RUNNERS + (1 if i < SOURCE % RUNNERS else 0) for i in range(RUNNERS)]
        sources = [SourceRunner(self, n, strict=(fault is None), first=(i + 1) / RUNNERS)
                   for i, n in enumerate(parts) if n > 0]
        sampler = Sampler(self)
        self.t0 = time.monotonic()
        print("%s: %d sessions (%d project client, %d smtp-source) for %d s, think %d ms"
              % (self.name, SESSIONS, len(clients), SOURCE, self.seconds, THINK_MS), flush=True)
        sampler.start()
        for c in clients:
            c.start()
        for src in sources:
            src.start()
        try:
            if fault:
                fault(self)
            while self.load_left() > 0:
                time.sleep(min(1.0, max(0.0, self.load_left())))
        finally:
            self.load_stop.set()
            for c in clients:
                c.join(90)
            for src in sources:
                src.join(150.0)
                src.stop()
            sampler.stop_event.set()
            sampler.join(5)
        self.expect(not any(c.is_alive() for c in clients), "client threads stopped")
        self.report_load(idle, sampler.samples)
        self.check_delivery()

    # -- figures and checks ---------------------------------------------------
    def report_load(self, idle, samples):
        t = self.tally
        print("%s: sessions %d, transactions %d, replies checked %d, unexpected %d"
              % (self.name, t.sessions, t.transactions, t.replies, t.unexpected_n))
        for u in t.unexpected[:10]:
            print("  unexpected at %s %s: got %r, want %r" % u)
        print("%s: clients saw:" % self.name)
        for key in sorted(t.seen):
            extra = " (%d inside a fault window)" % t.fault_seen[key] if t.fault_seen[key] else ""
            print("    %-28s %7d%s" % (key, t.seen[key], extra))
        live = [s for s in samples if s[1]]
        # Sessions open at once while the load runs, after 20 s of ramp-up.
        steady = [s[2] for s in samples if 20 <= s[0] - self.t0 <= self.seconds]
        if steady:
            at = sum(1 for x in steady if x >= SESSIONS)
            print("%s: SMTP connections established at once (kernel view, after 20 s): min %d, "
                  "median %d, max %d, %d of %d seconds at %d or more; milter connections max %d"
                  % (self.name, min(steady), int(statistics.median(steady)), max(steady), at,
                     len(steady), SESSIONS, max(s[3] for s in samples)))
        if idle:
            print("%s: daemon idle at start: RSS %d KiB, threads %d, fds %d"
                  % ((self.name,) + idle))
        during = [s for s in live if s[0] - self.t0 <= self.seconds] or live
        if during:
            picks = [("start", during[min(len(during) - 1, 10)]),
                     ("middle", during[len(during) // 2]), ("end", during[-1])]
            for label, s in picks:
                print("%s: daemon %-6s (t=%4.0f s): RSS %d KiB, threads %d, fds %d, smtp %d"
                      % (self.name, label, s[0] - self.t0, s[1][0], s[1][1], s[1][2], s[2]))
            print("%s: daemon max: RSS %d KiB, threads %d, fds %d"
                  % (self.name, max(s[1][0] for s in live), max(s[1][1] for s in live),
                     max(s[1][2] for s in live)))
        self.expect(t.unexpected_n == 0, "0 unexpected replies (got %d)" % t.unexpected_n)
        self.expect(t.transactions > 0, "some traffic")
        self.samples = live

    def check_delivery(self):
        pf = self.postfix
        deadline = time.monotonic() + DRAIN_TIMEOUT
        while pf.queue_files() and time.monotonic() < deadline:
            time.sleep(1.0)
        left = pf.queue_files()
        self.expect(not left, "queue drained within %.0f s (%d files left)"
                    % (DRAIN_TIMEOUT, len(left)))
        delivered = collections.Counter()
        source = 0
        unfiltered = []
        other = []
        d = pf.maildir()
        names = os.listdir(d) if os.path.isdir(d) else []
        for fn in names:
            path = os.path.join(d, fn)
            with open(path, "rb") as f:
                head = f.read(4096).split(b"\n\n", 1)[0].decode("utf-8", "replace")
            hdr = {}
            for line in head.splitlines():
                k, _, v = line.partition(":")
                hdr.setdefault(k.strip().lower(), v.strip())
            if "x-soak-filtered" not in hdr:
                unfiltered.append(fn)
            rcpt = hdr.get("delivered-to", "")
            if "x-soak-id" in hdr:
                delivered[(int(hdr["x-soak-id"]), rcpt)] += 1
            elif rcpt.endswith("src@example.test"):
                source += 1
            else:
                other.append(fn)
            os.unlink(path)
        t = self.tally
        expected = set(t.accepted)
        got = set(delivered)
        lost = expected - got
        extra = got - expected
        dup = sum(n - 1 for n in delivered.values() if n > 1) + \
            sum(n - 1 for n in t.accepted.values() if n > 1)
        refused_delivered = got & t.refused
        print("%s: delivered %d (project client %d of %d accepted, smtp-source %d of %d "
              "accepted); lost %d, delivered but not accepted %d (of them refused %d), "
              "duplicates %d, without the milter's header %d, other %d"
              % (self.name, len(names), sum(delivered.values()), len(expected), source,
                 t.source_messages, len(lost), len(extra), len(refused_delivered), dup,
                 len(unfiltered), len(other)))
        self.expect(not lost, "0 messages lost (%d)" % len(lost))
        self.expect(not extra, "0 messages delivered that the server did not accept (%d)"
                    % len(extra))
        self.expect(dup == 0, "0 duplicates (%d)" % dup)
        self.expect(not unfiltered, "0 messages accepted unfiltered (%d)" % len(unfiltered))
        self.expect(not other, "0 unknown deliveries (%d)" % len(other))
        if SOURCE and self.name == "soak":
            self.expect(source == t.source_messages,
                        "smtp-source: delivered %d == accepted %d" % (source, t.source_messages))
        elif SOURCE:
            self.expect(source == t.source_messages,
                        "smtp-source: delivered %d == sent %d minus refused"
                        % (source, t.source_messages))
        self.delivered_total = len(names)


# ---- faults ------------------------------------------------------------------

def fault_kill(ph):
    cfg = ph.config
    for i in range(3):
        time.sleep(max(0.0, min(25.0, ph.load_left() / 4)))
        ph.open_window("kill")
        ph.daemon.kill()
        print("kill: SIGKILL at t=%.0f s" % (time.monotonic() - ph.t0), flush=True)
        time.sleep(3.0)
        ph.start_daemon(cfg)
        ph.close_window("kill")
        print("kill: restarted, listening at t=%.0f s" % (time.monotonic() - ph.t0), flush=True)


HOSTILE_INCLUDE = "reload-hostile.inc"


def make_hostile(path, kind):
    """The include that the hostile files name: a FIFO or a directory."""
    if os.path.isdir(path) and not os.path.islink(path):
        os.rmdir(path)
    elif os.path.lexists(path):
        os.unlink(path)
    if kind == "fifo":
        os.mkfifo(path)
    else:
        os.mkdir(path)


def race_rewrite(ph, good):
    """The file rewritten in place line by line (truncated, then 20 ms a line),
    SIGUSR1 after the 2nd line and every 3 lines on: reloads that meet a part of
    the file (cut before its rules, or inside them)."""
    sent = 0
    with open(ph.config, "w") as f:
        for i, line in enumerate(good.splitlines(True)):
            f.write(line)
            f.flush()
            if i % 3 == 1:
                ph.daemon.reload()
                sent += 1
            time.sleep(0.02)
    ph.daemon.reload()  # and one with the whole file
    return sent + 1


def fault_reload(ph):
    good, broken, hostile = ph.reload_texts
    hostile_path = os.path.join(os.path.dirname(ph.config), HOSTILE_INCLUDE)
    sent = {"good": 0, "broken": 0, "fifo": 0, "directory": 0, "race": 0}
    log_start = len(ph.daemon.log())
    ph.log_start = log_start
    n = 0
    time.sleep(5.0)
    # A good file between any two others, so that each failure is seen
    # against the good policy in force.
    cycle = ["broken", "good", "fifo", "good", "directory", "good", "race", "good"]
    while ph.load_left() > 10:
        kind = cycle[n % len(cycle)]
        if kind == "race":
            sent["race"] += race_rewrite(ph, good)
        else:
            if kind in ("fifo", "directory"):
                make_hostile(hostile_path, kind)
            write(ph.config, {"good": good, "broken": broken}.get(kind, hostile))
            ph.daemon.reload()
            sent[kind] += 1
        n += 1
        time.sleep(1.0)
    write(ph.config, good)
    ph.reload_sent = sent


def fault_redis(ph):
    step = max(10.0, ph.seconds / 6)
    time.sleep(step)
    ph.open_window("redis")
    ph.suite.redis.stop()
    print("redis: stopped at t=%.0f s" % (time.monotonic() - ph.t0), flush=True)
    time.sleep(step)
    ph.suite.redis.start()
    ph.close_window("redis")
    print("redis: restarted at t=%.0f s" % (time.monotonic() - ph.t0), flush=True)
    time.sleep(step)
    ph.open_window("redis")
    ph.suite.proxy.set_delay(2.0)
    print("redis: slow (answers after 2 s) at t=%.0f s" % (time.monotonic() - ph.t0), flush=True)
    time.sleep(step)
    ph.suite.proxy.set_delay(0.0)
    ph.close_window("redis")
    print("redis: fast again at t=%.0f s" % (time.monotonic() - ph.t0), flush=True)


def fault_hostile(ph):
    """trickling / oversized: the proxy's mode on for the middle third."""
    step = max(10.0, ph.seconds / 3)
    time.sleep(step)
    ph.rss_before_hostile = proc_kib(ph.daemon.proc.pid, "VmRSS")
    ph.open_window("redis")
    ph.suite.proxy.set_delay(1.0)
    on = time.monotonic()
    print("%s: on at t=%.0f s" % (ph.name, on - ph.t0), flush=True)
    # Probes: a RCPT for rl-closed must get the outage reply within
    # PROBE_BOUND, not wait for the trickle (or Postfix's milter timeout).
    ph.probes = []
    time.sleep(1.0)
    for i in range(3):
        ph.probes.append(probe_rcpt(ph, "rlc-probe-%d@example.test" % i))
    time.sleep(max(0.0, step - (time.monotonic() - on)))
    ph.suite.proxy.set_delay(0.0)
    ph.close_window("redis")
    ph.hwm_after_hostile = proc_kib(ph.daemon.proc.pid, "VmHWM")
    print("%s: off at t=%.0f s" % (ph.name, time.monotonic() - ph.t0), flush=True)


def probe_rcpt(ph, addr):
    """One session outside the tally: the RCPT's reply and its seconds (no message sent)."""
    try:
        with SmtpSession(ph.postfix.smtp_port, timeout=60.0) as s:
            s.cmd("EHLO probe.example.test")
            s.cmd("MAIL FROM:<probe@example.test>")
            t0 = time.monotonic()
            got = s.cmd("RCPT TO:<%s>" % addr)
            took = time.monotonic() - t0
            s.cmd("RSET")
            s.cmd("QUIT")
        return got, took
    except Exception as e:  # noqa: BLE001 - any failure is a failed probe, reported
        return ["error: %r" % e], 60.0


def proc_kib(pid, key):
    """VmRSS, VmHWM... of a process in KiB (-1 when unreadable)."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1


def fault_disk(ph):
    step = max(10.0, ph.seconds / 4)
    time.sleep(step)
    ph.log_before_full = len(ph.daemon.log())
    filler = os.path.join(ph.state_dir, "filler")
    with open(filler, "wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass
    ph.full_at = time.monotonic()
    st = os.statvfs(ph.state_dir)
    print("disk: state tmpfs full at t=%.0f s (%d bytes free); state file %d bytes"
          % (time.monotonic() - ph.t0, st.f_bavail * st.f_frsize, _size(ph.state_file)),
          flush=True)
    sizes = []
    end = time.monotonic() + step
    while time.monotonic() < end:
        sizes.append(_size(ph.state_file))
        time.sleep(0.5)
    ph.sizes_while_full = sizes
    ph.log_full = len(ph.daemon.log())
    os.unlink(filler)
    ph.freed_at = time.monotonic()
    print("disk: space back at t=%.0f s" % (time.monotonic() - ph.t0), flush=True)


def _size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return -1


def fault_stall(ph):
    """STALLS raw milter connections: even ones say nothing, odd ones send half
    a packet. Each is watched until the daemon closes it; after twice the
    timeout plus 10 s the rest are closed from this side."""
    time.sleep(max(5.0, ph.seconds / 8))
    pid = ph.daemon.proc.pid
    base = proc_stats(pid)
    socks = []
    opened = time.monotonic()
    for i in range(STALLS):
        try:
            s = socket.create_connection(("127.0.0.1", ph.milter_port), timeout=5.0)
        except OSError as e:
            ph.failures.append("stall connection %d refused: %s" % (i, e))
            continue
        if i % 2:
            # Half an SMFIC_OPTNEG packet: the length says 13 bytes, 5 come.
            s.sendall(struct.pack("!I", 13) + b"O\0\0\0\x06")
        s.setblocking(False)
        socks.append((s, time.monotonic(), "half" if i % 2 else "silent"))
    print("stall: %d connections open in %.1f s at t=%.0f s (daemon before: RSS %s KiB, "
          "threads %s, fds %s)" % (len(socks), time.monotonic() - opened,
                                   time.monotonic() - ph.t0, *(base or ("?",) * 3)), flush=True)
    peak = proc_stats(pid)
    closed = {}
    limit = opened + MILTER_TIMEOUT * 2 + 10
    while time.monotonic() < limit:
        for idx, (s, t, _kind) in enumerate(socks):
            if idx in closed:
                continue
            try:
                if s.recv(4096) == b"":
                    closed[idx] = time.monotonic() - t
            except BlockingIOError:
                pass
            except OSError:
                closed[idx] = time.monotonic() - t
        st = proc_stats(pid)
        if st and peak and st[1] > peak[1]:
            peak = st
        time.sleep(0.2)
    held = proc_stats(pid)  # what the connections still open cost now
    for s, _t, _kind in socks:
        s.close()
    time.sleep(3.0)
    after = proc_stats(pid)
    nofile = "?"
    try:
        with open("/proc/%d/limits" % pid) as f:
            nofile = [x.split()[3] for x in f if x.startswith("Max open files")][0]
    except (OSError, IndexError):
        pass
    ph.stall_result = dict(socks=socks, closed=closed, base=base, peak=peak, held=held,
                           after=after, nofile=nofile)


# ---- the suite -----------------------------------------------------------------

ACCEPT_SHARES = [("accept", 55), ("reject", 20), ("defer", 25)]
STATE_SHARES = [("accept", 40), ("reject", 15), ("defer", 15), ("rlc", 15), ("rlo", 15)]


class Suite:
    def __init__(self, mv, workdir):
        self.mv = mv
        self.workdir = workdir
        self.milter_port = free_port()
        self.postfix = None
        self.daemons = []
        self.redis = None
        self.proxy = None
        self.mounts = []
        self.passed = 0
        self.failed = 0

    def mount_tmpfs(self, path, size):
        os.makedirs(path, exist_ok=True)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s,mode=0755" % size, "tmpfs", path],
                       check=True, timeout=30)
        self.mounts.append(path)

    def result(self, ph):
        for f in ph.failures:
            print("%s: FAIL %s" % (ph.name, f))
        if ph.failures:
            self.failed += 1
            print("%s: FAILED" % ph.name, flush=True)
        else:
            self.passed += 1
            print("%s: passed" % ph.name, flush=True)

    def stop_daemon(self, ph):
        if ph.daemon:
            status = ph.daemon.stop()
            ph.expect(status == 0, "daemon exits 0 on SIGTERM (got %r)" % status)
            log = ph.daemon.log()
            bad = [x for x in log.splitlines() if re.search(r"AddressSanitizer|runtime error|"
                                                            r"terminate called", x)]
            ph.expect(not bad, "no sanitizer report in the daemon log: %s" % bad[:3])

    def phase(self, name):
        conf = os.path.join(self.workdir, "%s.conf" % name)
        if name == "soak":
            ph = Phase(self, name, SECONDS, ACCEPT_SHARES)
            write(conf, policy_text())
            ph.run(conf)
        elif name == "kill":
            ph = Phase(self, name, FAULT_SECONDS, ACCEPT_SHARES)
            ph.config = conf
            write(conf, policy_text())
            ph.run(conf, fault_kill)
            ph.expect(ph.tally.fault_seen, "clients saw the outage (451 4.7.1 inside a window)")
            log = self.postfix.log()
            ph.notes.append("Postfix logged %d milter-reject 451 4.7.1 lines"
                            % log.count("451 4.7.1 Service unavailable"))
        elif name == "reload":
            ph = Phase(self, name, FAULT_SECONDS, ACCEPT_SHARES)
            ph.config = conf
            good = policy_text()
            broken = policy_text(name="BROKEN", broken=True)
            # The good policy with a top-level @include of a FIFO or a
            # directory (made by fault_reload before each use).
            hostile = good + '@include "%s"\n' % HOSTILE_INCLUDE
            ph.reload_texts = (good, broken, hostile)
            write(conf, good)
            # The broken file must fail to load on its own, or the phase proves nothing.
            write(conf + ".broken", broken)
            p = subprocess.run([self.mv, "check-config", "-c", conf + ".broken"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
            ph.expect(p.returncode != 0, "the broken file fails check-config")
            ph.run(conf, fault_reload)
            log = ph.daemon.log()[ph.log_start:]
            sent = ph.reload_sent
            ok, failed = log.count("reloaded "), log.count("reload failed")
            fifo = log.count("a FIFO, not a regular file")
            directory = log.count("a directory, not a regular file")
            rules = collections.Counter(re.findall(r"reloaded \S+ \((\d+) rules\)", log))
            whole = str(len(re.findall(r'^\s*\{ name = "', policy_text(), re.M)))
            print("reload: SIGUSR1 sent with the good file %d, the broken one %d, a FIFO "
                  "include %d, a directory include %d, during a line-by-line rewrite %d; the "
                  "daemon logged reloaded %d (rules: %s), reload failed %d (FIFO %d, "
                  "directory %d)"
                  % (sent["good"], sent["broken"], sent["fifo"], sent["directory"],
                     sent["race"], ok, dict(rules), failed, fifo, directory))
            ph.notes.append("reloads that met the rewrite: %d failed (log lines: %d syntax "
                            "errors, %d 'no rules', %d 'changed while being read')"
                            % (failed - sent["broken"] - sent["fifo"] - sent["directory"],
                               log.count("error: syntax"), log.count("no rules: every"),
                               log.count("changed while being read")))
            ph.expect(fifo == sent["fifo"] and directory == sent["directory"],
                      "each FIFO and directory @include is refused with its reason")
            ph.expect(ok >= sent["good"] and failed >= sent["broken"] + sent["fifo"]
                      + sent["directory"] and ok + failed <= sum(sent.values()),
                      "every good file loads, every broken or hostile one fails, no reload "
                      "more than was asked (SIGUSR1s during a reload fold into one)")
            ph.expect(set(rules) == {whole},
                      "every reload that loaded has the whole policy's %s rules (none "
                      "partial during the rewrite)" % whole)
        elif name in ("redis", "trickling", "oversized"):
            self.redis = RedisServer(self.workdir)
            self.redis.start()
            mode = {"redis": "slow", "trickling": "trickle", "oversized": "huge"}[name]
            self.proxy = ProxyProcess(self.redis.port, delay=2.0, mode=mode)
            self.proxy.start()
            state = ('state = { backend = "redis"; redis = { host = "127.0.0.1"; port = %d; '
                     'prefix = "soak:"; timeout_ms = %d; }; };'
                     % (self.proxy.port, REDIS_TIMEOUT_MS))
            write(conf, policy_text(state=state, rules=STATE_RULES))
            ph = Phase(self, name, FAULT_SECONDS, STATE_SHARES)
            try:
                ph.run(conf, fault_redis if name == "redis" else fault_hostile)
            finally:
                self.proxy.stop()
                self.redis.stop()
            ph.expect(ph.tally.fault_seen, "clients saw the backend error (451 4.4.3 in a window)")
            ph.expect(ph.tally.seen.get("RCPT 451 4.4.3", 0) == ph.tally.fault_seen.get(
                "RCPT 451 4.4.3", 0), "451 4.4.3 only inside a window")
            if name != "redis":
                print("%s: probe RCPTs for rl-closed inside the window: %s" % (name, [
                    "%s in %.2f s" % (got[0][:9] if got else "none", took)
                    for got, took in ph.probes]))
                ph.expect(all(got == BACKEND_DOWN and took < PROBE_BOUND
                              for got, took in ph.probes),
                          "each probe RCPT for rl-closed gets 451 4.4.3 within %.0f s (3 x "
                          "timeout_ms)" % PROBE_BOUND)
            if name == "oversized":
                grown = (ph.hwm_after_hostile - ph.rss_before_hostile) // 1024
                print("oversized: daemon RSS %d MiB when the window opened, peak (VmHWM) %d MiB "
                      "after it" % (ph.rss_before_hostile // 1024, ph.hwm_after_hostile // 1024))
                ph.expect(grown < OVERSIZED_GROWTH_MB,
                          "the daemon's peak is %d MiB above its size when the window opened "
                          "(bound %d MiB)" % (grown, OVERSIZED_GROWTH_MB))
        elif name == "disk":
            ph = Phase(self, name, FAULT_SECONDS, STATE_SHARES)
            ph.state_dir = os.path.join(self.workdir, "state-disk")
            self.mount_tmpfs(ph.state_dir, "4m")
            ph.state_file = os.path.join(ph.state_dir, "mv-state")
            state = ('state = { backend = "memory"; file = "%s"; save_interval = "2s"; };'
                     % ph.state_file)
            write(conf, policy_text(state=state, rules=STATE_RULES))
            ph.run(conf, fault_disk)
            log = ph.daemon.log()
            before = log[:ph.log_before_full]
            full = log[ph.log_before_full:ph.log_full]
            errs = [x for x in full.splitlines() if "state:" in x and ph.state_file in x]
            print("disk: %d save error lines while full, e.g. %s" % (len(errs), errs[:1]))
            ph.expect(errs, "a save while the disk is full logs an error naming the file")
            ph.expect(not [x for x in before.splitlines() if "state:" in x and "rror" in x],
                      "no save error before the disk was full")
            ph.expect(min(ph.sizes_while_full or [-1]) > 0,
                      "the last good state file stays whole while the disk is full (sizes %s)"
                      % sorted(set(ph.sizes_while_full))[:5])
            st = ph.daemon.stop()
            ph.expect(st == 0, "daemon exits 0 on SIGTERM after the disk came back")
            tail = ph.daemon.log()
            ph.expect("state saved" in tail[ph.log_full:], "the save at stop succeeds once "
                      "space is back (state saved)")
        elif name == "stall":
            ph = Phase(self, name, FAULT_SECONDS, ACCEPT_SHARES)
            write(conf, policy_text())
            ph.run(conf, fault_stall)
            r = ph.stall_result
            kinds = collections.Counter(k for _s, _t, k in r["socks"])
            shut = collections.Counter(r["socks"][i][2] for i in r["closed"])
            half = [v for i, v in r["closed"].items() if r["socks"][i][2] == "half"]
            base, peak, held, after = r["base"], r["peak"], r["held"], r["after"]
            print("stall: %d raw milter connections (%d silent, %d half a packet); closed by the "
                  "daemon within %d s: silent %d, half %d (the slowest after %s s; daemon.timeout "
                  "= %d s)" % (len(r["socks"]), kinds["silent"], kinds["half"],
                               MILTER_TIMEOUT * 2 + 10, shut["silent"], shut["half"],
                               "%.1f" % max(half) if half else "-", MILTER_TIMEOUT))
            print("stall: daemon threads before %d, peak %d, with the rest still open %d, after "
                  "they closed %d; fds before %d, peak %d, still open %d, after %d (RLIMIT_NOFILE "
                  "%s)" % (base[1], peak[1], held[1], after[1], base[2], peak[2], held[2],
                           after[2], r["nofile"]))
            ph.expect(len(r["socks"]) == STALLS, "%d stall connections opened" % STALLS)
            ph.expect(shut["half"] == kinds["half"] and half and
                      max(half) <= MILTER_TIMEOUT * 2 + 5,
                      "the daemon closes every half-packet connection within twice its "
                      "timeout plus 5 s (%d of %d)" % (shut["half"], kinds["half"]))
            ph.expect(held[1] <= base[1] + 50,
                      "the connections still open hold no thread (threads %d, before %d)"
                      % (held[1], base[1]))
            ph.expect(after[2] <= base[2] + 50,
                      "their descriptors are released when the peer goes (fds %d, before %d)"
                      % (after[2], base[2]))
            if shut["silent"] < kinds["silent"]:
                ph.notes.append("%d silent connections were held (one descriptor each, no "
                                "thread) until this side closed them: Debian's libmilter "
                                "worker pool times out a command being read, not a wait "
                                "for the next one" % (kinds["silent"] - shut["silent"]))
        else:
            raise HarnessError("unknown phase %r" % name)
        for n_ in ph.notes:
            print("%s: %s" % (name, n_))
        self.stop_daemon(ph)
        self.result(ph)

    def close(self):
        for d in self.daemons:
            try:
                d.stop(timeout=5)
            except Exception:
                pass
        for x in (self.proxy, self.redis):
            if x:
                try:
                    x.stop()
                except Exception:
                    pass
        if self.postfix:
            self.postfix.stop()
        for m in reversed(self.mounts):
            subprocess.run(["umount", "-l", m], timeout=30)


def _raise_exit(signum, _frame):
    raise SystemExit(128 + signum)


def main():
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, _raise_exit)
    mv = os.environ.get("MV_BIN", "")
    phases = [p for p in os.environ.get("SOAK_PHASES", "soak").split(",") if p]
    if not (mv and os.access(mv, os.X_OK)):
        print("soak: MV_BIN=%r is not an executable\nsoak: 0 passed, 1 failed" % mv)
        return False
    if os.geteuid() != 0 or not postfix_available() or not shutil.which("smtp-source"):
        print("soak: needs root, Postfix and smtp-source (make deps-test)\n"
              "soak: 0 passed, 1 failed")
        return False
    if SOURCE >= SESSIONS:
        print("soak: SOAK_SOURCE_SESSIONS must be below SOAK_SESSIONS\nsoak: 0 passed, 1 failed")
        return False
    workdir = tempfile.mkdtemp(prefix="mv-soak-")
    os.chmod(workdir, 0o755)
    suite = Suite(mv, workdir)
    try:
        # The queue, the Maildir and the logs on a tmpfs: a disk's fsync is not
        # what this measures, and 60,000 files leave no trace.
        suite.mount_tmpfs(workdir, "2g")
        os.chmod(workdir, 0o755)
        suite.postfix = SoakPostfix(os.path.join(workdir, "postfix"),
                                    "inet:127.0.0.1:%d" % suite.milter_port, SESSIONS)
        suite.postfix.start()
        print("soak: Postfix %s on 127.0.0.1:%d (default_process_limit %s), milter on %d, "
              "%d CPUs, load %s" % (suite.postfix.postconf("mail_version"),
                                    suite.postfix.smtp_port,
                                    suite.postfix.postconf("default_process_limit"),
                                    suite.milter_port, os.cpu_count(),
                                    open("/proc/loadavg").read().split()[:3]), flush=True)
        for name in phases:
            try:
                suite.phase(name)
            except Exception as e:
                suite.failed += 1
                print("%s: FAILED to run: %s" % (name, "".join(
                    traceback.format_exception(type(e), e, e.__traceback__))[-3000:]), flush=True)
        odd = [line for line in suite.postfix.log().splitlines()
               if re.search(r"\b(fatal|panic):", line)]
        if odd:
            print("soak: Postfix fatal/panic lines:\n  " + "\n  ".join(odd[:10]))
            suite.failed += 1
    except SystemExit as e:
        print("soak: interrupted (signal %s)" % e.code)
        suite.failed += 1
    finally:
        if os.environ.get("SOAK_KEEP") == "1":
            keep = tempfile.mkdtemp(prefix="mv-soak-kept-")
            for fn in os.listdir(workdir):
                if fn.endswith(".log") or fn.endswith(".conf"):
                    shutil.copy(os.path.join(workdir, fn), keep)
            if suite.postfix:
                shutil.copy(suite.postfix.log_file, keep)
            print("soak: logs kept in %s" % keep)
        suite.close()
        shutil.rmtree(workdir, ignore_errors=True)
    print("soak: %d passed, %d failed" % (suite.passed, suite.failed))
    return suite.failed == 0


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
