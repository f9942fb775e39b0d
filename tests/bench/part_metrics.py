# SPDX-License-Identifier: Apache-2.0
# part_metrics.py - the `metrics` part of `make bench` (run_bench.py --parts metrics).
#
# What the metrics endpoint costs, measured in one run:
#   0. callgrind: the daemon's instructions per message (valgrind's callgrind,
#      counters zeroed after a warm-up, 2,000 messages from mv-loadgen),
#      metrics off and on: exact, whatever else the machine runs. Skipped
#      when valgrind is not installed.
#   1. milter: mv-loadgen (no MTA: the daemon's own cost) against two daemons
#      on unix sockets with the same envelope-only policy, one with `metrics`
#      set and scraped every 1 s, one without; rounds alternate (off, on,
#      off, on, ...) so that machine noise hits both alike. CPU per message
#      of the daemon process (utime + stime) and the ratio on/off.
#   2. stack: the same pair behind two private Postfix instances, fed by
#      smtp-source (envelope-only policy: nothing negotiated past RCPT but
#      what Postfix always sends), rounds alternating. Goal: on/off CPU per
#      message <= 1.02.
#   3. scrape: a daemon with a 10,000-rule policy (10,003 rule series, every
#      rule's series created at load), scraped 20 times in each format;
#      wall time of one GET as a scraper sees it (connect to last byte), and
#      the daemon's CPU time per scrape. Goal: <= 50 ms.
# Nothing is asserted: figures and goals are printed and stored in
# results["metrics"]. Every process started here is stopped by its pid.
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ENVELOPE_POLICY = """\
# part_metrics.py: envelope-only policy (connect, HELO, MAIL, RCPT rules; none
# at DATA or end of data), with one monitor rule that matches smtp-source's sender.
daemon = {{ log = "stderr"; {metrics} }};
lists = {{
  blocked_nets = ["192.0.2.0/24", "198.51.100.0/24", "2001:db8::/32"];
  blocked_domains = ["spam.example", "junk.example", "bulk.example"];
}};
rules = (
  {{ name = "blocked-networks"; when = {{ client_addr = "@blocked_nets"; }}; action = "reject"; }},
  {{ name = "helo-literal"; when = {{ helo = "/^\\\\[/"; }}; action = "reject"; }},
  {{ name = "helo-localhost"; when = {{ helo = "localhost.invalid"; }}; action = "reject"; }},
  {{ name = "blocked-senders"; when = {{ sender = {{ subdomain = "@blocked_domains"; }}; }};
     action = "reject"; }},
  {{ name = "no-null-to-list"; when = {{ all = ( {{ sender = "<>"; }}, {{ rcpt = "list@example.test"; }} ); }};
     action = "reject"; }},
  {{ name = "gone-mailbox"; when = {{ rcpt = "gone@example.test"; }}; action = "reject";
     reply = {{ code = 550; enhanced = "5.1.1"; text = "<${{rcpt}}>: no such user"; }}; }},
  {{ name = "later-mailbox"; when = {{ rcpt = "later@example.test"; }}; action = "tempfail"; }},
  {{ name = "trial-example-net"; monitor = true; when = {{ sender = {{ domain = "example.net"; }}; }};
     action = "reject"; }},
  {{ name = "postmaster"; when = {{ rcpt = "postmaster@example.test"; }}; action = "accept"; }}
);
"""


def proc_cpu(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return -1.0


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Daemon:
    """milter-verdict on a unix socket, optionally with metrics; stopped by pid."""

    def __init__(self, mv, work, name, metrics_port=None, config_text=None):
        self.sock = os.path.join(work, name + ".sock")
        self.conf = os.path.join(work, name + ".conf")
        self.metrics_port = metrics_port
        with open(self.conf, "w") as f:
            f.write(config_text or ENVELOPE_POLICY.format(
                metrics=('metrics = "127.0.0.1:%d";' % metrics_port) if metrics_port else ""))
        self.log = open(os.path.join(work, name + ".log"), "wb")
        self.p = subprocess.Popen([mv, "-f", "-c", self.conf, "-p", "unix:" + self.sock,
                                   "-l", "stderr"], stdout=self.log, stderr=subprocess.STDOUT,
                                  start_new_session=True)
        self.pid = self.p.pid

    def wait(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.p.poll() is not None:
                return False
            if os.path.exists(self.sock) and (not self.metrics_port or self._listening()):
                os.chmod(self.sock, 0o666)  # smtpd runs as postfix
                return True
            time.sleep(0.05)
        return False

    def _listening(self):
        try:
            socket.create_connection(("127.0.0.1", self.metrics_port), timeout=1).close()
            return True
        except OSError:
            return False

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait(timeout=10)
        self.log.close()


def scrape(port, accept=None):
    """(seconds, bytes) of one GET /metrics."""
    req = urllib.request.Request("http://127.0.0.1:%d/metrics" % port)
    if accept:
        req.add_header("Accept", accept)
    t0 = time.monotonic()
    with urllib.request.urlopen(req, timeout=30) as r:
        body = r.read()
    return time.monotonic() - t0, body


class Scraper(threading.Thread):
    """Scrapes every `interval` seconds until stopped (what Prometheus does, faster)."""

    def __init__(self, port, interval=1.0):
        super().__init__(daemon=True)
        self.port, self.interval = port, interval
        self.stop_event = threading.Event()
        self.count = 0
        self.errors = 0

    def run(self):
        while not self.stop_event.wait(self.interval):
            try:
                scrape(self.port, "application/openmetrics-text;version=1.0.0")
                self.count += 1
            except OSError:
                self.errors += 1


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, max(0, int(round(p * len(v))) - 1))]


def milter_part(a, say, work, rounds):
    loadgen = os.path.join(a.bin, "mv-loadgen")
    if not os.access(loadgen, os.X_OK):
        say("  milter: skipped (no %s: make bench-tools)" % loadgen)
        return None
    off = Daemon(a.mv, work, "lg-off")
    on = Daemon(a.mv, work, "lg-on", free_port())
    runs = {"off": [], "on": []}
    try:
        if not off.wait() or not on.wait():
            say("  milter: a daemon did not start (logs in %s)" % work)
            return None
        for i in range(rounds):
            for name, d in (("off", off), ("on", on)):
                scraper = Scraper(d.metrics_port) if d.metrics_port else None
                if scraper:
                    scraper.start()
                jp = os.path.join(work, "lg-%s-%d.json" % (name, i))
                p = subprocess.run([loadgen, "--socket", "unix:" + d.sock, "--connections",
                                    str(a.connections), "--messages", str(a.metrics_messages),
                                    "--warmup", "300", "--pid", str(d.pid), "--label",
                                    "metrics-%s" % name, "--json", jp],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                   timeout=900)
                if scraper:
                    scraper.stop_event.set()
                    scraper.join(10)
                try:
                    with open(jp) as f:
                        r = json.loads(f.read().strip().splitlines()[-1])
                    runs[name].append(r["cpu_s_per_1000"])
                    say("  milter round %d %-3s %.3f ms CPU/msg, %.0f msg/s%s"
                        % (i + 1, name, r["cpu_s_per_1000"], r["msgs_per_sec"],
                           (", %d scrapes" % scraper.count) if scraper else ""))
                except (OSError, ValueError, KeyError, IndexError):
                    say("  milter round %d %s: no result: %s" % (i + 1, name, p.stdout[-300:]))
    finally:
        off.stop()
        on.stop()
    if not runs["off"] or not runs["on"]:
        return None
    ratio = sum(runs["on"]) / len(runs["on"]) / (sum(runs["off"]) / len(runs["off"]))
    say("  milter: CPU per message with metrics / without: x%.3f (mean of %d rounds each)"
        % (ratio, len(runs["on"])))
    return {"cpu_ms_per_msg": runs, "ratio": ratio}


def stack_part(a, say, work, rounds):
    sys.path.insert(0, os.path.join(a.root, "tests", "e2e"))
    try:
        from harness.postfix_instance import PostfixInstance, postfix_available
    except ImportError as e:
        say("  stack: skipped (no Postfix harness: %s)" % e)
        return None
    smtp_source = shutil.which("smtp-source") or "/usr/sbin/smtp-source"
    if not postfix_available() or not os.access(smtp_source, os.X_OK) or os.geteuid() != 0:
        say("  stack: skipped (needs root, Postfix and smtp-source)")
        return None
    daemons = {"off": Daemon(a.mv, work, "st-off"), "on": Daemon(a.mv, work, "st-on", free_port())}
    postfix = {}
    runs = {"off": [], "on": []}
    rates = {"off": [], "on": []}
    try:
        for name, d in daemons.items():
            if not d.wait():
                say("  stack: the %s daemon did not start" % name)
                return None
            pf = PostfixInstance(os.path.join(work, "pf-" + name), milters="unix:" + d.sock)
            pf.reconfigure(virtual_transport="discard:benchmark", default_process_limit="100",
                           smtpd_peername_lookup="yes")
            pf.start()
            postfix[name] = pf
        for i in range(rounds):
            for name in ("off", "on"):
                d, pf = daemons[name], postfix[name]
                scraper = Scraper(d.metrics_port) if d.metrics_port else None
                if scraper:
                    scraper.start()
                cpu0 = proc_cpu(d.pid)
                t0 = time.monotonic()
                p = subprocess.run([smtp_source, "-s", str(a.stack_sessions), "-m",
                                    str(a.metrics_stack_messages), "-l", "1024", "-f",
                                    "sender@example.net", "-t", "rcpt@example.test",
                                    "127.0.0.1:%d" % pf.smtp_port],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                   timeout=900)
                seconds = time.monotonic() - t0
                time.sleep(0.3)  # the last sessions' close
                cpu = proc_cpu(d.pid) - cpu0
                if scraper:
                    scraper.stop_event.set()
                    scraper.join(10)
                per_msg = cpu / a.metrics_stack_messages * 1000.0
                runs[name].append(per_msg)
                rates[name].append(a.metrics_stack_messages / seconds)
                say("  stack round %d %-3s %.3f ms CPU/msg, %.0f msg/s (smtp-source exit %d)%s"
                    % (i + 1, name, per_msg, rates[name][-1], p.returncode,
                       (", %d scrapes" % scraper.count) if scraper else ""))
    finally:
        for pf in postfix.values():
            pf.stop()
        for d in daemons.values():
            d.stop()
    if not runs["off"] or not runs["on"]:
        return None
    ratio = statistics.mean(runs["on"]) / statistics.mean(runs["off"])
    say("  stack: CPU per message with metrics / without: x%.3f [goal <= 1.02]; "
        "msg/s x%.3f" % (ratio, statistics.mean(rates["on"]) / statistics.mean(rates["off"])))
    return {"cpu_ms_per_msg": runs, "msgs_per_sec": rates, "ratio": ratio}


def callgrind_part(a, say, work, messages=2000):
    """Instructions per message of the daemon (callgrind_count.py), metrics
    off and on: the one figure a busy machine cannot blur. Counted from zero
    after a warm-up run; the "on" daemon is scraped once in the measured
    window (a Prometheus at 15 s sees about one scrape per 7,500 messages at
    500 msg/s)."""
    from callgrind_count import instructions_per_message
    out = {}
    for name, port in (("off", None), ("on", free_port())):
        body = ENVELOPE_POLICY.format(
            metrics=('metrics = "127.0.0.1:%d";' % port) if port else "")

        def ready(deadline, port=port):
            while port and time.monotonic() < deadline:
                try:
                    scrape(port)
                    break
                except OSError:
                    time.sleep(0.5)

        n = instructions_per_message(a, say, work, name, body, messages, warmup=200,
                                     ready=ready, after=(lambda port=port: scrape(port))
                                     if port else None)
        if n is None:
            return None
        out[name] = n
        say("  callgrind %-3s %.0f instructions per message (%d messages%s)"
            % (name, n, messages, ", 1 scrape" if port else ""))
    out["ratio"] = out["on"] / out["off"]
    say("  callgrind: instructions per message with metrics / without: x%.3f [goal <= 1.02]"
        % out["ratio"])
    return out


def big_policy(n):
    out = ['daemon = { log = "stderr"; metrics = "@METRICS@"; };', "rules = ("]
    for i in range(n):
        action = "tempfail" if i % 7 == 3 else "reject"
        monitor = " monitor = true;" if i % 10 == 5 else ""
        out.append('  { name = "rule-%05d"; when = { rcpt = "u%05d@example.test"; }; '
                   'action = "%s";%s }%s' % (i, i, action, monitor, "," if i + 1 < n else ""))
    out.append(");")
    return "\n".join(out) + "\n"


def scrape_part(a, say, work, rules=10000, times=20):
    port = free_port()
    text = big_policy(rules).replace("@METRICS@", "127.0.0.1:%d" % port)
    d = Daemon(a.mv, work, "big", port, config_text=text)
    out = {}
    try:
        t0 = time.monotonic()
        if not d.wait(120):
            say("  scrape: the %d-rule daemon did not start" % rules)
            return None
        say("  scrape: %d-rule policy loaded and listening in %.2f s" % (rules, time.monotonic() - t0))
        for fmt, accept in (("text", None),
                            ("openmetrics", "application/openmetrics-text;version=1.0.0")):
            scrape(port, accept)  # warm-up
            times_s, size = [], 0
            cpu0 = proc_cpu(d.pid)
            for _ in range(times):
                s, body = scrape(port, accept)
                times_s.append(s * 1000.0)
                size = len(body)
            # The daemon's CPU per scrape: what a scrape costs it, less
            # sensitive than wall time to a busy machine.
            cpu_ms = (proc_cpu(d.pid) - cpu0) / times * 1000.0
            series = sum(1 for l in body.decode().splitlines()
                         if l.startswith("milter_verdict_decisions_total")
                         or l.startswith("milter_verdict_monitor_decisions_total"))
            out[fmt] = {"median_ms": statistics.median(times_s), "p90_ms": pct(times_s, 0.9),
                        "max_ms": max(times_s), "bytes": size, "rule_series": series,
                        "daemon_cpu_ms_per_scrape": cpu_ms}
            say("  scrape %-11s %d rule series, %.1f MB: median %.1f ms, p90 %.1f ms, max %.1f ms "
                "[goal <= 50 ms]; daemon CPU %.1f ms per scrape"
                % (fmt, series, size / 1e6, out[fmt]["median_ms"], out[fmt]["p90_ms"],
                   out[fmt]["max_ms"], cpu_ms))
        out["daemon_rss_mib"] = _rss_mib(d.pid)
        say("  scrape: daemon resident memory with %d rules and metrics: %.1f MiB"
            % (rules, out["daemon_rss_mib"]))
    finally:
        d.stop()
    return out


def _rss_mib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except (OSError, ValueError):
        pass
    return -1.0


def run(a, results, say):
    """The part's entry point: True when every measurement ran."""
    say("")
    say("== metrics: cost of the metrics endpoint (envelope-only policy, unix sockets; "
        "on = metrics set and scraped every 1 s)")
    a.root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    a.metrics_messages = 2000 if a.quick else 20000
    a.metrics_stack_messages = 300 if a.quick else 3000
    rounds = 2 if a.quick else 3
    work = tempfile.mkdtemp(prefix="mv-bench-metrics-")
    os.chmod(work, 0o755)
    out = {}
    try:
        out["callgrind"] = callgrind_part(a, say, work)
        out["milter"] = milter_part(a, say, work, rounds)
        out["stack"] = stack_part(a, say, work, rounds)
        out["scrape"] = scrape_part(a, say, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results["metrics"] = out
    return all(out.get(k) for k in ("milter", "stack", "scrape"))


def summary(results, say):
    m = results.get("metrics") or {}
    if m.get("callgrind"):
        say("  metrics callgrind instructions/msg with metrics x%.3f of without [<= 1.02]"
            % m["callgrind"]["ratio"])
    if m.get("milter"):
        say("  metrics milter  CPU/msg with metrics x%.3f of without" % m["milter"]["ratio"])
    if m.get("stack"):
        say("  metrics stack   CPU/msg with metrics x%.3f of without [<= 1.02]" % m["stack"]["ratio"])
    for fmt in ("text", "openmetrics"):
        s = (m.get("scrape") or {}).get(fmt)
        if s:
            say("  metrics scrape  %-11s %d rule series: median %.1f ms, max %.1f ms [<= 50 ms], "
                "daemon CPU %.1f ms per scrape"
                % (fmt, s["rule_series"], s["median_ms"], s["max_ms"],
                   s.get("daemon_cpu_ms_per_scrape", -1)))
