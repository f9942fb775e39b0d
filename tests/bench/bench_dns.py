# SPDX-License-Identifier: Apache-2.0
# bench_dns.py - the DNS part of `make bench` (run_bench.py --parts dns).
#
# The whole stack: SMTP clients -> a private Postfix on loopback -> milter-verdict
# on an inet socket -> its resolver (libunbound) -> a private nsd
# (tests/e2e/harness/dns_server.py) serving four DNS list zones. Clients are
# presented with XCLIENT (ADDR=one address per message, NAME=...), so every
# message can come from an address never seen before. Runs, one after another:
#
#   envelope   the envelope-only policy (no DNS)
#   dns-cold   the same policy plus a four-zone dns_list rule, a fresh daemon,
#              every message from a new address: 4 lookups upstream each
#   dns-warm   the same daemon after a warm-up pass over a pool of 64
#              addresses, the measured messages from that pool (cache hits)
#
# each with N parallel sessions, in 3 rounds (envelope, cold, warm; again):
# messages/s, the p99 of the reply to the final "." (10 KB message), milter
# CPU per 1,000 messages, and their ratios to the same round's envelope run,
# reported as the median of the rounds with min..max (the machine's load
# drifts between runs); and the lookups per message sent upstream (the
# daemon's own counters, logged at SIGTERM; XCLIENT makes Postfix open a
# second milter connection per session, first for 127.0.0.1, whose lookups
# are cache hits after the first). Then the latency the
# client sees: sequential sessions whose HELO and MAIL each take 10 ms (a
# client slower than the lookups), the upstream 5 ms away (dns_proxy.py adds
# the delay): the RCPT reply time with the DNS policy against the envelope
# policy (also as a share of the 5 ms), and the same DNS policy with
# delay_reject = false, where the wait
# moves to the connection (the XCLIENT reply) - what the client would see
# without the overlap. The daemon's own figure (how much of the lookup time
# rules waited) is reported beside it.
#
# Goals (printed, never asserted): dns-warm costs <= 1.1x the envelope policy
# (messages/s and end-of-data p99); with a 5 ms upstream the client sees
# <= 1 ms of it at RCPT.
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))

BODY = ("Subject: dns bench\r\nFrom: <probe@example.net>\r\nTo: <rcpt@example.test>\r\n\r\n"
        + "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod t\r\n" * 135)

SOA = """$TTL 3600
@ IN SOA ns.bench.test. hostmaster.bench.test. 1 3600 600 86400 3600
@ IN NS ns.bench.test.
2.0.0.127 IN A 127.0.0.2
"""
UPSTREAM_DELAY_MS = 5  # the latency runs' upstream, behind dns_proxy.py
ZONES = {name: SOA for name in ("zen.bench.test", "bl.bench.test", "cbl.bench.test",
                                "wl.bench.test")}

ENVELOPE_RULES = """
lists = { blocked = ["spam.example", "phish.example", "junk.example"];
          nets = ["203.0.113.0/24", "2001:db8:bad::/48"]; };
rules = (
  { name = "blocked-net"; when = { client_addr = "@nets"; }; action = "reject"; },
  { name = "helo-literal"; when = { helo = "/^\\\\[?[0-9.]+\\\\]?$/"; }; action = "reject"; },
  { name = "blocked-sender"; when = { sender = { subdomain = "@blocked"; }; }; action = "reject"; },
  { name = "former"; when = { rcpt = "former@example.test"; }; action = "reject"; },
%(extra)s
  { name = "big"; when = { declared_size = { over = 50000000; }; }; action = "reject"; },
  # A rule at the DATA command, as real policies have: with DATA negotiated
  # away an envelope-only policy on inet stalls ~40 ms at end of data
  # (DESIGN.md section 7), which would hide what DNS costs.
  { name = "no-bounce-to-announce"; when = { sender = "<>"; rcpt = "announce@example.test"; };
    stage = "data"; action = "reject"; }
);
"""

DNS_GROUP = """
dns = {
  resolver = ["127.0.0.1@%(port)d"];
  timeout_ms = 2000;
  budget_ms = 5000;
  lists = { clients = { zones = ( "zen.bench.test=127.0.0.[2..11]*3", "bl.bench.test*2",
                                  "cbl.bench.test*2", "wl.bench.test=127.0.[0..255].[1..3]*-5" );
                        threshold = 3; }; };
};
"""


def conf_text(dns_port=None, delay_reject=True):
    head = 'daemon = { log = "stderr"; };\npolicy = { delay_reject = %s; };\n' % (
        "true" if delay_reject else "false")
    if dns_port is None:
        return head + ENVELOPE_RULES % {"extra": ""}
    rule = ('  { name = "dnsbl"; when = { dns_list = "clients"; }; action = "reject";\n'
            '    on_backend_error = "open"; },')
    return head + DNS_GROUP % {"port": dns_port} + ENVELOPE_RULES % {"extra": rule}


class Client:
    """One SMTP session with XCLIENT, timing each reply."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.f = self.s.makefile("rb")
        self.reply()

    def reply(self):
        while True:
            line = self.f.readline()
            if not line:
                raise OSError("connection closed")
            if line[3:4] != b"-":
                return line

    def cmd(self, line):
        t0 = time.monotonic()
        self.s.sendall(line + b"\r\n")
        r = self.reply()
        return r, (time.monotonic() - t0) * 1000.0

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


def one_message(port, addr, pause=0.0):
    """A whole transaction; (code of the final reply, ms of ., ms of RCPT, ms of XCLIENT)."""
    c = Client(port)
    try:
        c.cmd(b"EHLO bench.example")
        _, t_x = c.cmd(b"XCLIENT ADDR=%s NAME=mx.bench.example" % addr.encode())
        if pause:
            time.sleep(pause)
        c.cmd(b"EHLO mx.bench.example")
        if pause:
            time.sleep(pause)
        c.cmd(b"MAIL FROM:<sender@example.net>")
        r, t_rcpt = c.cmd(b"RCPT TO:<rcpt@example.test>")
        if not r.startswith(b"250"):
            c.cmd(b"QUIT")
            return r[:3].decode(), 0.0, t_rcpt, t_x
        c.cmd(b"DATA")
        c.s.sendall(BODY.encode())
        final, t_eom = c.cmd(b".")
        c.cmd(b"QUIT")
        return final[:3].decode(), t_eom, t_rcpt, t_x
    finally:
        c.close()


def drive(port, addrs, sessions, pause=0.0):
    """Send one message per address over `sessions` parallel clients."""
    lock = threading.Lock()
    next_i = [0]
    out = []

    def worker():
        while True:
            with lock:
                i = next_i[0]
                next_i[0] += 1
            if i >= len(addrs):
                return
            try:
                r = one_message(port, addrs[i], pause)
            except OSError as e:
                r = ("err", 0.0, 0.0, 0.0)
                print("  session error: %s" % e, flush=True)
            with lock:
                out.append(r)

    t0 = time.monotonic()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(900)
    return out, time.monotonic() - t0


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, max(0, int(round(p * len(v))) - 1))] if v else 0.0


def addresses(first, n):
    """n distinct addresses in 198.18.0.0/15 (RFC 2544 benchmarking) from index `first`."""
    return ["198.%d.%d.%d" % (18 + (i >> 16 & 1), i >> 8 & 255, i & 255)
            for i in range(first + 1, first + n + 1)]


def lookups_of(log_text):
    m = re.findall(r"dns: lookups=(\d+) cache_hits=(\d+)", log_text)
    return (int(m[-1][0]), int(m[-1][1])) if m else (None, None)


def hidden_of(log_text):
    m = re.findall(r"\(([\d.]+) ms of lookups, rules waited ([\d.]+) ms: ([\d.]+)% hidden", log_text)
    return tuple(float(x) for x in m[-1]) if m else None


def callgrind_dns(a, say, work, dns_port, messages=1000):
    """Instructions per message of the daemon (callgrind_count.py), envelope
    policy against the DNS policy with a warm cache, under mv-loadgen (no
    MTA: one milter connection per message, client 10.x.y.z by message
    number, so the measured run of the same count as the warm-up asks
    exactly the names of the first: all cache hits)."""
    from callgrind_count import instructions_per_message
    out = {}
    for name, body in (("envelope", conf_text(None)), ("dns-warm", conf_text(dns_port))):
        n = instructions_per_message(a, say, work, name, body, messages, warmup=messages)
        if n is None:
            return None
        out[name] = n
        say("  callgrind %-9s %.0f instructions per message (%d messages)" % (name, n, messages))
    out["ratio"] = out["dns-warm"] / out["envelope"]
    say("  callgrind: instructions per message, dns-warm / envelope: x%.3f (goal <= 1.1 on cost)"
        % out["ratio"])
    return out


def run_dns(a, results, say, start_subject_proc, proc_cpu):
    say("")
    say("== dns: SMTP clients (XCLIENT) -> private Postfix -> milter-verdict -> libunbound -> "
        "nsd, four DNS list zones")
    try:
        from harness.dns_server import DnsProxy, Nsd
        from harness.postfix_instance import PostfixInstance, postfix_available
    except ImportError as e:
        say("  skipped: the e2e harness is missing: %s" % e)
        results["dns"] = {"error": "no harness"}
        return False
    if not postfix_available() or os.geteuid() != 0 or not shutil.which("nsd"):
        say("  skipped: needs root, Postfix and nsd (scripts/install-deps.sh test)")
        results["dns"] = {"error": "postfix, nsd or root missing"}
        return False
    work = tempfile.mkdtemp(prefix="mv-bench-dns-")
    os.chmod(work, 0o755)
    nsd = Nsd(work, ZONES)
    proxy = None
    pf = None
    out = {"runs": {}}
    ok = True
    n = a.dns_messages
    sessions = a.dns_sessions
    rounds = getattr(a, "dns_rounds", 3)
    per_round = {}
    try:
        nsd.start()
        proxy = DnsProxy(work, nsd.port, delay_ms=UPSTREAM_DELAY_MS, name="proxy-5ms")
        proxy.start()
        mport = a.free_port()
        pf = PostfixInstance(os.path.join(work, "pf"), milters="inet:127.0.0.1:%d" % mport)
        pf.reconfigure(virtual_transport="discard:benchmark", default_process_limit="100",
                       mynetworks="127.0.0.0/8 198.18.0.0/15",
                       smtpd_authorized_xclient_hosts="127.0.0.0/8")
        pf.start()

        def measured(label, conf_body, warm_pool=None, cold_from=0, pause=0.0, count=n,
                     parallel=sessions):
            conf = os.path.join(work, label + ".conf")
            with open(conf, "w") as f:
                f.write(conf_body)
            proc = start_subject_proc(label, conf, "inet:%d@127.0.0.1" % mport)
            if proc is None:
                return None
            base = 0
            try:
                if warm_pool:
                    drive(pf.smtp_port, warm_pool, parallel)  # fills the cache
                    addrs = [warm_pool[i % len(warm_pool)] for i in range(count)]
                    # A reload logs the counters so far: the warm-up's lookups.
                    proc.p.send_signal(signal.SIGUSR1)
                    deadline = time.monotonic() + 10
                    while time.monotonic() < deadline:
                        b, _ = lookups_of(open(proc.log_path, errors="replace").read())
                        if b is not None:
                            base = b
                            break
                        time.sleep(0.1)
                else:
                    addrs = addresses(cold_from, count)
                cpu0 = proc_cpu(proc.pid)
                res, seconds = drive(pf.smtp_port, addrs, parallel, pause)
                cpu1 = proc_cpu(proc.pid)
            finally:
                proc.stop()
            log = open(proc.log_path, errors="replace").read() if hasattr(proc, "log_path") \
                else ""
            codes = {}
            for r in res:
                codes[r[0]] = codes.get(r[0], 0) + 1
            eom = [r[1] for r in res if r[0] == "250"]
            rcpt = [r[2] for r in res]
            xcl = [r[3] for r in res]
            lk, hits = lookups_of(log)
            r = {"messages": len(res), "seconds": seconds, "msgs_per_sec": len(res) / seconds,
                 "eom_p50_ms": pct(eom, 0.5), "eom_p99_ms": pct(eom, 0.99),
                 "rcpt_p50_ms": pct(rcpt, 0.5), "rcpt_mean_ms": statistics.mean(rcpt) if rcpt
                 else 0.0, "rcpt_p99_ms": pct(rcpt, 0.99), "xclient_p50_ms": pct(xcl, 0.5),
                 "xclient_mean_ms": statistics.mean(xcl) if xcl else 0.0,
                 "replies": codes, "milter_cpu_s_per_1000": (cpu1 - cpu0) / max(1, len(res)) * 1000,
                 "upstream_lookups": lk, "cache_hits": hits, "hidden": hidden_of(log)}
            # The daemon counts over its whole life (health checks included);
            # for the warm run, from the end of the warm-up on.
            if lk is not None:
                r["lookups_per_message"] = (lk - base) / float(max(1, len(res)))
            out["runs"][label] = r
            say("  %-22s %6.0f msg/s (%d msgs, %d sessions), end-of-data p50 %.2f ms p99 %.2f ms, "
                "RCPT p50 %.2f ms, milter CPU %.3f s/1000, replies %s%s"
                % (label, r["msgs_per_sec"], len(res), parallel, r["eom_p50_ms"],
                   r["eom_p99_ms"], r["rcpt_p50_ms"], r["milter_cpu_s_per_1000"], codes,
                   "" if lk is None else ", %d lookups upstream, %d cache hits" % (lk, hits)))
            return r

        pool = addresses(500000, 64)
        # Rounds of envelope, dns-cold, dns-warm one after another: on a
        # shared machine the load drifts over minutes, so each round's ratios
        # compare runs made within a minute, and the median of the rounds is
        # reported with its spread.
        for i in range(rounds):
            for name, body, kw in (("envelope", conf_text(None), {}),
                                   ("dns-cold", conf_text(nsd.port), {"cold_from": 10000 * i}),
                                   ("dns-warm", conf_text(nsd.port), {"warm_pool": pool})):
                r = measured("%s#%d" % (name, i + 1), body, **kw)
                if r:
                    r["load"] = os.getloadavg()[0]
                    per_round.setdefault(name, []).append(r)
                    out["runs"][name] = r  # the last round's, for the lookups per message
        out["callgrind"] = callgrind_dns(a, say, work, nsd.port,
                                         messages=200 if a.quick else 1000)
        # Latency seen by a client slower than the lookups (10 ms before EHLO
        # and before MAIL), upstream 5 ms away, every message a new address.
        lat = a.dns_latency_messages
        measured("latency-envelope", conf_text(None), cold_from=100000, pause=0.010,
                 count=lat, parallel=1)
        measured("latency-dns-5ms", conf_text(proxy.port), cold_from=200000, pause=0.010,
                 count=lat, parallel=1)
        measured("latency-dns-5ms-no-delay", conf_text(proxy.port, delay_reject=False),
                 cold_from=300000, pause=0.010, count=lat, parallel=1)
    except Exception as e:  # report and go on with the other parts
        say("  dns: failed: %s" % e)
        ok = False
    finally:
        if pf:
            pf.stop()
        if proxy:
            proxy.stop()
        nsd.stop()
        shutil.rmtree(work, ignore_errors=True)
    runs = out["runs"]
    ratios = {}
    envs = per_round.get("envelope", [])
    for name in ("dns-cold", "dns-warm"):
        rs = []
        for env, r in zip(envs, per_round.get(name, [])):
            rs.append({
                "msgs_per_sec_vs_envelope": r["msgs_per_sec"] / env["msgs_per_sec"],
                "eom_p99_vs_envelope": r["eom_p99_ms"] / env["eom_p99_ms"]
                if env["eom_p99_ms"] else 0.0,
                "cpu_vs_envelope": r["milter_cpu_s_per_1000"] / env["milter_cpu_s_per_1000"]
                if env["milter_cpu_s_per_1000"] > 0 else 0.0})
        if rs:
            ratios[name] = {k: statistics.median(x[k] for x in rs) for k in rs[0]}
            ratios[name]["rounds"] = rs
            ratios[name]["spread"] = {k: (min(x[k] for x in rs), max(x[k] for x in rs))
                                      for k in rs[0]}
    out["ratios"] = ratios
    le, ld, ln = (runs.get("latency-envelope"), runs.get("latency-dns-5ms"),
                  runs.get("latency-dns-5ms-no-delay"))
    if le and ld:
        out["rcpt_extra_ms"] = {"p50": ld["rcpt_p50_ms"] - le["rcpt_p50_ms"],
                                "mean": ld["rcpt_mean_ms"] - le["rcpt_mean_ms"]}
        # The share of the 5 ms upstream delay the client sees at RCPT.
        out["rcpt_share_of_5ms"] = {k: v / UPSTREAM_DELAY_MS
                                    for k, v in out["rcpt_extra_ms"].items()}
    if le and ln:
        out["connect_extra_ms_no_delay"] = {"p50": ln["xclient_p50_ms"] - le["xclient_p50_ms"],
                                            "mean": ln["xclient_mean_ms"] - le["xclient_mean_ms"]}
    results["dns"] = out
    for k, v in sorted(ratios.items()):
        sp = v["spread"]
        say("  %s / envelope, median of %d rounds [min..max]: messages/s x%.2f [%.2f..%.2f], "
            "end-of-data p99 x%.2f [%.2f..%.2f], milter CPU x%.2f [%.2f..%.2f] "
            "(goal for dns-warm: <= 1.1 on cost)"
            % ((k, len(v["rounds"]), v["msgs_per_sec_vs_envelope"])
               + sp["msgs_per_sec_vs_envelope"] + (v["eom_p99_vs_envelope"],)
               + sp["eom_p99_vs_envelope"] + (v["cpu_vs_envelope"],) + sp["cpu_vs_envelope"]))
    if "rcpt_extra_ms" in out:
        e = out["rcpt_extra_ms"]
        sh = out["rcpt_share_of_5ms"]
        say("  5 ms upstream, HELO and MAIL 10 ms each: the client sees %+.2f ms (p50), %+.2f ms "
            "(mean) at RCPT over the envelope policy (goal <= 1 ms): %.0f%% (p50), %.0f%% (mean) "
            "of the 5 ms" % (e["p50"], e["mean"], 100 * sh["p50"], 100 * sh["mean"]))
    if "connect_extra_ms_no_delay" in out:
        e = out["connect_extra_ms_no_delay"]
        say("  without the overlap (delay_reject = false) it waits %+.2f ms (p50) at connect"
            % e["p50"])
    if ld and ld.get("hidden"):
        h = ld["hidden"]
        say("  the daemon's own figure (5 ms upstream run): %.1f ms of lookups, rules waited "
            "%.1f ms: %.1f%% hidden from the client" % h)
    return ok


def summary_lines(results, say):
    d = results.get("dns", {})
    for k, v in sorted(d.get("ratios", {}).items()):
        say("  dns    %-10s msg/s x%.2f of envelope, end-of-data p99 x%.2f, milter CPU x%.2f "
            "(median of %d rounds) [dns-warm: cost <= 1.1x]"
            % (k, v["msgs_per_sec_vs_envelope"], v["eom_p99_vs_envelope"], v["cpu_vs_envelope"],
               len(v.get("rounds", []))))
    if d.get("callgrind"):
        say("  dns    callgrind instructions/msg dns-warm x%.3f of envelope [<= 1.1x]"
            % d["callgrind"]["ratio"])
    cold = d.get("runs", {}).get("dns-cold")
    if cold and cold.get("lookups_per_message") is not None:
        say("  dns    lookups per message upstream: cold %.2f, warm %.2f"
            % (cold["lookups_per_message"],
               d["runs"].get("dns-warm", {}).get("lookups_per_message", float("nan"))))
    if "rcpt_extra_ms" in d:
        say("  dns    5 ms upstream: client sees %+.2f ms at RCPT (p50) [<= 1 ms]; without the "
            "overlap %+.2f ms at connect" % (d["rcpt_extra_ms"]["p50"],
                                            d.get("connect_extra_ms_no_delay", {}).get("p50",
                                                                                     float("nan"))))
