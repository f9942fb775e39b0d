#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# run_bench.py - `make bench`: every benchmark of milter-verdict in one run.
#
#   python3 tests/bench/run_bench.py --build build --out build/bench [--quick]
#
# 1. engine: mv-engine-bench, the 20-rule policy with lists of 1,000, 100,000
#    and 1,000,000 entries (envelope rules; and with header/body rules when the
#    build supports them), transactions per second and their ratio.
# 2. milter: mv-loadgen (our milter protocol v6 client, N concurrent
#    connections of full transactions, 10 KB body, 8 headers) against the
#    libmilter pass-through floor (mv-floor) and against milter-verdict with
#    an envelope-only policy and with a content policy over three 1,000,000-
#    entry lists, on a unix and an inet socket: messages/s, p50/p99 per
#    stage, milter CPU seconds per 1,000 messages; ratios to the floor.
# 3. stack: a private Postfix on loopback (tests/e2e/harness) fed by Postfix's
#    smtp-source, without a milter, with the floor and with milter-verdict on
#    inet sockets: messages/s, the ratio verdict/floor, and the p99 time from
#    the end of the message (".") to Postfix's reply, measured by a small SMTP
#    probe (a ~40 ms p99 is a Nagle/delayed-ACK stall).
# 4. shapes: every policy shape (envelope-only, HELO-only, header, header+body,
#    DATA-stage, accepted at connect, header-adding) through Postfix on inet
#    and unix, sequential and concurrent, beside Postfix alone and the floor
#    (part_shapes.py).
# 5. dns: the whole stack with a four-zone DNS list policy against a private
#    nsd, cold and warm cache, beside the envelope-only policy, and the
#    latency a client sees with a 5 ms upstream (tests/bench/bench_dns.py).
# 6. metrics: CPU per message with the metrics endpoint on and off (loadgen
#    and whole stack, alternating rounds) and the scrape of a 10,000-rule
#    policy (part_metrics.py).
# 7. policy: the Postfix policy service beside the milter in one daemon
#    (tests/bench/policy_bench.py).
# Everything runs in this one process, one after another (the figures are from
# the same run); it writes OUT/report.txt and OUT/bench.json. Nothing here
# asserts a timing: goals are printed beside the figures, never enforced.
#
# Exit status: 0 when every part ran (whatever the figures), 1 when a part
# could not run (its reason is in the report).
import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
sys.path.insert(0, HERE)
import part_metrics  # noqa: E402  the metrics part (part_metrics.py)

LOG = []

from part_idn import run_idn  # noqa: E402


def say(line=""):
    print(line, flush=True)
    LOG.append(line)


class Proc:
    """A milter process we start and stop (by its own pid only)."""

    def __init__(self, args, log_path):
        self.log = open(log_path, "wb")
        self.p = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT,
                                  start_new_session=True)
        self.pid = self.p.pid

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait(timeout=10)
        self.log.close()


def wait_socket(spec, proc, timeout):
    """Wait until a milter socket accepts connections (or the process died)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.p.poll() is not None:
            return False
        try:
            if spec.startswith("unix:"):
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(spec[5:])
            else:
                port, host = spec[5:].split("@")
                s = socket.create_connection((host, int(port)), timeout=1)
            s.close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def proc_rss_mib(pid):
    """Resident memory of a process in MiB (VmRSS), -1 when unknown."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except (OSError, ValueError, IndexError):
        pass
    return -1.0


def proc_cpu(pid):
    """utime+stime in seconds of a process and its reaped children."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks
    except (OSError, IndexError, ValueError):
        return -1.0


# -- 1. engine ---------------------------------------------------------------

def run_engine(a, results):
    say("== engine: policy::Session with the 20-rule policy")
    out = {}
    for content in (False, True):
        json_path = os.path.join(a.out, "engine-%s.json" % ("content" if content else "envelope"))
        if os.path.exists(json_path):
            os.remove(json_path)
        args = [os.path.join(a.bin, "mv-engine-bench"), "--sizes", a.sizes,
                "--seconds", str(a.engine_seconds), "--dir", a.lists, "--json", json_path]
        if content:
            args.append("--content")
        say("$ " + " ".join(args))
        p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=600)
        for line in p.stdout.splitlines():
            say("  " + line)
        key = "content" if content else "envelope"
        if p.returncode != 0:
            out[key] = {"error": "mv-engine-bench exited %d" % p.returncode}
            if content:
                say("  (content rules: not supported by this build's policy language)")
                continue
            results["engine"] = out
            return False
        with open(json_path) as f:
            out[key] = json.loads(f.read().strip().splitlines()[-1])
    results["engine"] = out
    return True


# -- 2. milter ---------------------------------------------------------------

def loadgen(a, spec, pid, label, json_path, messages=None):
    args = [os.path.join(a.bin, "mv-loadgen"), "--socket", spec, "--connections",
            str(a.connections), "--messages", str(messages or a.messages), "--warmup", "300",
            "--pid", str(pid), "--label", label, "--json", json_path]
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=900)
    for line in p.stdout.splitlines():
        say("  " + line)
    with open(json_path) as f:
        lines = f.read().strip().splitlines()
    return json.loads(lines[-1]) if lines else None


def start_subject(a, subject, spec, tmp):
    """Starts the floor or milter-verdict on `spec`; returns Proc or None."""
    log = os.path.join(a.out, "logs", "%s-%s.log" % (subject, spec.split(":")[0]))
    if subject == "floor":
        proc = Proc([os.path.join(a.bin, "mv-floor"), spec], log)
    else:
        conf = subject_config(a, subject)
        proc = Proc([a.mv, "-f", "-c", conf, "-p", spec, "-l", "stderr"], log)
    if not wait_socket(spec, proc, 120):
        proc.stop()
        say("  %s did not open %s (log: %s)" % (subject, spec, log))
        return None
    return proc


def subject_config(a, subject):
    # envelope: 18 envelope rules + 2 log rules, lists of 1,000 entries.
    # content: the same with header and body rules, three 1,000,000-entry lists.
    if subject == "verdict-envelope":
        return os.path.join(a.lists, "envelope-%s.conf" % a.small)
    return os.path.join(a.lists, "content-%s.conf" % a.large)


def run_milter(a, results):
    say("")
    say("== milter: mv-loadgen, %d connections, %d messages (10 KB body, 8 headers) per run"
        % (a.connections, a.messages))
    tmp = tempfile.mkdtemp(prefix="mv-bench-")
    os.chmod(tmp, 0o755)
    subjects = ["floor", "verdict-envelope"]
    if results.get("engine", {}).get("content", {}).get("sizes"):
        subjects.append("verdict-content")
    else:
        say("  (verdict-content skipped: the content policy does not load in this build)")
    out = {}
    ok = True
    try:
        for kind in ("unix", "inet"):
            for subject in subjects:
                spec = ("unix:%s/%s.sock" % (tmp, subject) if kind == "unix"
                        else "inet:%d@127.0.0.1" % free_port())
                proc = start_subject(a, subject, spec, tmp)
                if proc is None:
                    ok = False
                    continue
                try:
                    jp = os.path.join(a.out, "loadgen-%s-%s.json" % (subject, kind))
                    if os.path.exists(jp):
                        os.remove(jp)
                    r = loadgen(a, spec, proc.pid, "%s/%s" % (subject, kind), jp)
                    if r is not None:
                        r["milter_rss_mib"] = proc_rss_mib(proc.pid)
                        say("  %s/%s: milter resident memory %.1f MiB"
                            % (subject, kind, r["milter_rss_mib"]))
                    out["%s/%s" % (subject, kind)] = r
                finally:
                    proc.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    ratios = {}
    for kind in ("unix", "inet"):
        floor = out.get("floor/%s" % kind)
        for subject in subjects[1:]:
            r = out.get("%s/%s" % (subject, kind))
            if not floor or not r or floor["cpu_s_per_1000"] <= 0:
                continue
            ratios["%s/%s" % (subject, kind)] = {
                "cpu_vs_floor": r["cpu_s_per_1000"] / floor["cpu_s_per_1000"],
                "throughput_vs_floor": r["msgs_per_sec"] / floor["msgs_per_sec"],
            }
    results["milter"] = {"runs": out, "ratios": ratios}
    say("")
    say("  milter-verdict against the floor (same run):")
    goals = {"verdict-envelope": 0.8, "verdict-content": 1.1}
    for k, v in sorted(ratios.items()):
        g = goals[k.split("/")[0]]
        say("    %-24s CPU/msg x%.2f of the floor (goal <= %.1f), messages/s x%.2f (goal >= 0.95)"
            % (k, v["cpu_vs_floor"], g, v["throughput_vs_floor"]))
    return ok


# -- 3. whole stack ----------------------------------------------------------

def smtp_probe(port, count, sender_of):
    """Sequential SMTP sessions; the time from sending "." to the reply, in ms."""
    times = []
    groups = {}  # p99 per kind of sender: "plain", "monitor" (header edit)
    body = ("Subject: probe\r\nFrom: <probe@example.net>\r\nTo: <rcpt@example.test>\r\n\r\n"
            + ("Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod t\r\n"
               * 135))
    replies = {}
    for i in range(count):
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        f = s.makefile("rb")

        def reply():
            lines = []
            while True:
                line = f.readline()
                if not line:
                    raise OSError("connection closed")
                lines.append(line)
                if line[3:4] != b"-":
                    return lines[-1]

        reply()
        sender, group = sender_of(i)
        for cmd in (b"EHLO probe.example.net", b"MAIL FROM:<%s>" % sender.encode(),
                    b"RCPT TO:<rcpt@example.test>", b"DATA"):
            s.sendall(cmd + b"\r\n")
            reply()
        s.sendall(body.encode())
        t0 = time.monotonic()
        s.sendall(b".\r\n")
        last = reply()
        times.append((time.monotonic() - t0) * 1000.0)
        groups.setdefault(group, []).append(times[-1])
        code = last[:3].decode()
        replies[code] = replies.get(code, 0) + 1
        s.sendall(b"QUIT\r\n")
        try:
            reply()
        except OSError:
            pass
        s.close()
    def pct(values, p):
        v = sorted(values)
        return v[min(len(v) - 1, max(0, int(round(p * len(v))) - 1))]
    return {"count": len(times), "p50_ms": pct(times, 0.5), "p99_ms": pct(times, 0.99),
            "max_ms": max(times), "replies": replies,
            # A Nagle/delayed-ACK stall costs ~40 ms: count the replies that late.
            "stalls_over_30ms": sum(1 for t in times if t > 30.0),
            "p99_ms_by_sender": {g: pct(v, 0.99) for g, v in groups.items()}}


def run_stack(a, results):
    say("")
    say("== stack: smtp-source -> private Postfix on 127.0.0.1 -> milter (inet and unix)")
    try:
        from harness.postfix_instance import PostfixInstance, postfix_available
    except ImportError as e:
        say("  skipped: the Postfix harness (tests/e2e/harness) is missing: %s" % e)
        results["stack"] = {"error": "no harness"}
        return False
    smtp_source = shutil.which("smtp-source") or "/usr/sbin/smtp-source"
    if not postfix_available() or not os.access(smtp_source, os.X_OK) or os.geteuid() != 0:
        say("  skipped: needs root, Postfix and smtp-source (Debian package postfix)")
        results["stack"] = {"error": "postfix, smtp-source or root missing"}
        return False
    subjects = ["floor", "verdict-envelope"]
    if "verdict-content/inet" in results.get("milter", {}).get("runs", {}):
        subjects.append("verdict-content")
    cases = [("none", None, None)]
    for kind in ("inet", "unix"):
        cases += [("%s/%s" % (subject, kind), subject, kind) for subject in subjects]
    out = {}
    ok = True
    for name, subject, kind in cases:
        work = tempfile.mkdtemp(prefix="mv-bench-pf-")
        os.chmod(work, 0o755)
        proc = None
        pf = None
        try:
            milters = ""
            if subject:
                if kind == "inet":
                    port = free_port()
                    spec = "inet:%d@127.0.0.1" % port
                    milters = "inet:127.0.0.1:%d" % port
                else:
                    # The private Postfix is not chrooted: an absolute path works.
                    spec = "unix:%s/milter.sock" % work
                    milters = "unix:%s/milter.sock" % work
                proc = start_subject(a, subject, spec, work)
                if proc is None:
                    ok = False
                    continue
                if kind == "unix":
                    os.chmod(spec[5:], 0o666)  # smtpd runs as postfix
            pf = PostfixInstance(work, milters=milters)
            # Deliveries are not what we measure: drop them after queueing.
            # Reverse lookups on, as in production (loopback resolves from
            # /etc/hosts): with them off Postfix reports {client_resolve} as
            # TEMP and the policy's reverse-DNS rule would refuse everything.
            pf.reconfigure(virtual_transport="discard:benchmark", default_process_limit="100",
                           smtpd_peername_lookup="yes")
            pf.start()
            cpu0 = proc_cpu(proc.pid) if proc else -1
            t0 = time.monotonic()
            args = [smtp_source, "-s", str(a.stack_sessions), "-m", str(a.stack_messages),
                    "-l", "10240", "-f", "sender@example.net", "-t", "rcpt@example.test",
                    "127.0.0.1:%d" % pf.smtp_port]
            p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, timeout=900)
            seconds = time.monotonic() - t0
            time.sleep(0.2)
            cpu1 = proc_cpu(proc.pid) if proc else -1
            rate = a.stack_messages / seconds
            # Half the probe messages come from a sender the monitor rule
            # matches, so milter-verdict also answers with a header edit.
            probe = smtp_probe(pf.smtp_port, a.probe_messages,
                               lambda i: ("bounce-%d@example.net" % i, "monitor") if i % 2
                               else ("probe%d@example.net" % i, "plain"))
            r = {"messages": a.stack_messages, "sessions": a.stack_sessions,
                 "seconds": seconds, "msgs_per_sec": rate, "smtp_source_exit": p.returncode,
                 "eom_reply": probe}
            if proc:
                r["milter_cpu_s_per_1000"] = (cpu1 - cpu0) / a.stack_messages * 1000.0
            out[name] = r
            say("  %-22s %6.0f msg/s (%d msgs, %d sessions, %.1f s)%s; end-of-message reply "
                "p50 %.2f ms, p99 %.2f ms (plain senders %.2f, monitor-rule senders %.2f), "
                "max %.2f ms %s"
                % (name, rate, a.stack_messages, a.stack_sessions, seconds,
                   (", milter CPU %.3f s/1000 msgs" % r["milter_cpu_s_per_1000"]) if proc else "",
                   probe["p50_ms"], probe["p99_ms"], probe["p99_ms_by_sender"]["plain"],
                   probe["p99_ms_by_sender"]["monitor"], probe["max_ms"], probe["replies"]))
            if p.returncode != 0:
                say("    smtp-source exit %d: %s" % (p.returncode, p.stdout.strip()[-300:]))
                ok = False
        except Exception as e:  # report and go on with the next case
            say("  %s: failed: %s" % (name, e))
            ok = False
        finally:
            if pf:
                pf.stop()
            if proc:
                proc.stop()
            shutil.rmtree(work, ignore_errors=True)
    ratios = {}
    for name in out:
        floor = out.get("floor/" + name.split("/")[-1])
        if name.startswith("verdict") and floor:
            ratios[name] = out[name]["msgs_per_sec"] / floor["msgs_per_sec"]
    results["stack"] = {"runs": out, "verdict_vs_floor": ratios}
    for k, v in sorted(ratios.items()):
        say("  %s / floor of the same socket: messages/s x%.2f (goal >= 0.95); p99 end-of-message reply %.2f ms "
            "(goal <= 3 ms)" % (k, v, out[k]["eom_reply"]["p99_ms"]))
    return ok


# -- 5. DNS (tests/bench/bench_dns.py) ----------------------------------------

def run_dns_part(a, results):
    import bench_dns

    def start_conf(label, conf, spec):
        log = os.path.join(a.out, "logs", "dns-%s.log" % label)
        proc = Proc([a.mv, "-f", "-c", conf, "-p", spec, "-l", "stderr"], log)
        proc.log_path = log
        if not wait_socket(spec, proc, 120):
            proc.stop()
            say("  %s did not open %s (log: %s)" % (label, spec, log))
            return None
        return proc

    a.free_port = free_port
    return bench_dns.run_dns(a, results, say, start_conf, proc_cpu)


def summary(results):
    """The ratios of the issue's goals, side by side, from this run."""
    say("")
    say("== summary (goals in brackets; figures from this run only)")
    eng = results.get("engine", {})
    for key in ("envelope", "content"):
        e = eng.get(key, {})
        if e.get("sizes"):
            s0, s1 = e["sizes"][0], e["sizes"][-1]
            say("  engine %-8s %8.0f tx/s with %d entries, %8.0f with %d: ratio %.2f [<= 1.5]"
                % (key, s0["tps"], s0["entries"], s1["tps"], s1["entries"],
                   e["ratio_smallest_to_largest"]))
    goals = {"verdict-envelope": 0.8, "verdict-content": 1.1}
    for k, v in sorted(results.get("milter", {}).get("ratios", {}).items()):
        say("  milter %-22s CPU/msg x%.2f of the floor [<= %.1f], msg/s x%.2f [>= 0.95]"
            % (k, v["cpu_vs_floor"], goals[k.split("/")[0]], v["throughput_vs_floor"]))
    st = results.get("stack", {})
    base = st.get("runs", {}).get("none")
    if base:
        # Postfix alone: what the machine's noise does to the p99, for comparison.
        say("  stack  %-22s p99 end-of-message reply %.2f ms (Postfix alone, no milter), "
            "replies over 30 ms: %d" % ("none", base["eom_reply"]["p99_ms"],
                                        base["eom_reply"]["stalls_over_30ms"]))
    for k, v in sorted(st.get("verdict_vs_floor", {}).items()):
        eom = st["runs"][k]["eom_reply"]
        say("  stack  %-22s msg/s x%.2f of the floor [>= 0.95], p99 end-of-message reply "
            "%.2f ms [<= 3 ms], replies over 30 ms: %d of %d [0]"
            % (k, v, eom["p99_ms"], eom["stalls_over_30ms"], eom["count"]))
    if "dns" in results:
        import bench_dns
        bench_dns.summary_lines(results, say)
    part_metrics.summary(results, say)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--out", default="build/bench")
    ap.add_argument("--quick", action="store_true", help="small runs, to try the tooling")
    ap.add_argument("--parts", default="engine,milter,stack,shapes,dns,metrics,idn,policy")
    ap.add_argument("--shapes", default="",
                    help="part shapes: only these subjects (comma-separated, for example "
                         "none,floor,verdict-envelope,milter-regex); default all")
    ap.add_argument("--shape-rounds", type=int, default=0, help="part shapes: rounds")
    ap.add_argument("--shape-seq", type=int, default=0,
                    help="part shapes: sequential messages per subject and round")
    ap.add_argument("--shape-msgs", type=int, default=0,
                    help="part shapes: smtp-source messages per subject and round")
    ap.add_argument("--shape-disk-queue", action="store_true",
                    help="part shapes: keep the private Postfix's queue on the disk "
                         "(default: tmpfs, /dev/shm)")
    a = ap.parse_args()
    a.bin = os.path.abspath(os.path.join(a.build, "bench", "bin"))
    a.mv = os.path.abspath(os.path.join(a.build, "milter-verdict"))
    a.out = os.path.abspath(a.out)
    a.lists = os.path.join(a.out, "lists")
    os.makedirs(os.path.join(a.out, "logs"), exist_ok=True)
    os.makedirs(a.lists, exist_ok=True)
    a.small, a.large = 1000, 1000000
    a.sizes = "1000,100000,1000000"
    a.engine_seconds = 3
    a.connections = 8
    a.messages = 20000
    a.stack_messages = 3000
    a.stack_sessions = 8
    a.probe_messages = 500
    a.policy_requests = 200000
    a.policy_messages = 5000
    shape_seq, shape_msgs, shape_rounds = 90, 1500, 5
    a.dns_messages, a.dns_sessions, a.dns_latency_messages, a.dns_rounds = 2000, 8, 300, 3
    if a.quick:
        a.policy_requests = 20000
        a.policy_messages = 1000
        shape_seq, shape_msgs, shape_rounds = 20, 200, 1
        a.dns_messages, a.dns_latency_messages, a.dns_rounds = 200, 50, 1
        a.large = 100000
        a.sizes = "1000,100000"
        a.engine_seconds = 1
        a.messages = 2000
        a.stack_messages = 300
        a.probe_messages = 50
    a.shape_rounds = a.shape_rounds or shape_rounds
    a.shape_seq = a.shape_seq or shape_seq
    a.shape_msgs = a.shape_msgs or shape_msgs

    started = time.time()
    results = {"started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
               "host": {"cpus": os.cpu_count(), "kernel": os.uname().release,
                        "load_before": os.getloadavg()}}
    say("milter-verdict benchmark, %s, %d CPUs, load %.2f"
        % (results["started"], os.cpu_count(), os.getloadavg()[0]))
    parts = a.parts.split(",")
    ok = True
    # The load average before each part: on a shared machine it explains noise.
    import types
    import part_shapes
    import policy_bench  # tests/bench/policy_bench.py, beside this file
    helpers = types.SimpleNamespace(say=say, Proc=Proc, wait_socket=wait_socket,
                                    free_port=free_port, proc_cpu=proc_cpu,
                                    proc_rss_mib=proc_rss_mib)
    for name, fn in (("engine", run_engine), ("milter", run_milter), ("stack", run_stack),
                     ("shapes", lambda a, r: part_shapes.run(a, r, helpers)),
                     ("dns", run_dns_part),
                     ("metrics", lambda a, r: part_metrics.run(a, r, say)),
                     ("idn", lambda a, r: run_idn(a, r, say)),  # tests/bench/part_idn.py
                     ("policy", lambda a, r: policy_bench.run(a, r, helpers))):
        if name in parts:
            results.setdefault("load_before_part", {})[name] = os.getloadavg()[0]
            ok = fn(a, results) and ok
    say("")
    say("load average before each part: %s; at the end: %.2f"
        % (", ".join("%s %.2f" % kv for kv in results.get("load_before_part", {}).items()),
           os.getloadavg()[0]))
    summary(results)
    if results.get("policy", {}).get("runs"):
        policy_bench.summary(results["policy"], say)
    results["seconds"] = time.time() - started
    say("")
    say("benchmark took %.0f s; report %s, figures %s"
        % (results["seconds"], os.path.join(a.out, "report.txt"),
           os.path.join(a.out, "bench.json")))
    with open(os.path.join(a.out, "report.txt"), "w") as f:
        f.write("\n".join(LOG) + "\n")
    with open(os.path.join(a.out, "bench.json"), "w") as f:
        json.dump(results, f, indent=2, sort_keys=True)
        f.write("\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
