# SPDX-License-Identifier: Apache-2.0
# part_shapes.py - `make bench` part "shapes": every policy shape users run,
# through a real Postfix, beside Postfix alone and the pass-through floor.
#
# For each milter socket (inet, unix), one private Postfix (tests/e2e/harness,
# deliveries discarded) is pointed in turn at: no milter ("none", Postfix
# alone), mv-floor (a libmilter milter that answers continue to everything,
# the "floor"), and milter-verdict with each policy shape of
# tests/e2e/configs/shapes/ (envelope-only - a recipient rule and nothing at
# DATA or later -, HELO-only, header-only, header+body, a rule at the DATA
# command, accepted at connect, and one that adds a header). For each it
# measures, in the same run, in ROUNDS rounds (every subject once per round,
# so that the machine's drifting load hits all of them alike):
#   sequential  SEQ messages a round, one SMTP session each (10 KB, 8
#               headers): the time from "." to the reply, p50 and p99 over
#               every round, and how many took over 30 ms (a Nagle/delayed-ACK
#               stall is ~40 ms);
#   concurrent  smtp-source, 10 sessions, 1 KiB messages: messages/s, and
#               per message the CPU of the milter (/proc/PID/stat), of
#               smtp-source (getrusage of the reaped child) and of the whole
#               machine, and the hypervisor steal (/proc/stat), each round.
# CPU per message is compared in units of smtp-source's CPU per message of
# the same round. smtp-source does the same work whatever the milter, yet its
# CPU per message moves by a quarter between rounds on this shared machine
# (the host's load changes how fast a CPU second is), and the milter's and
# Postfix's move with it; the quotient stays within a few per cent from round
# to round, so subjects measured minutes apart compare.
# The order of the subjects is reversed every other round. It prints, per
# shape, p99 minus Postfix alone's p99 (goal: within 1 ms), messages/s divided
# by the floor's of the same round (the median of those per-round ratios, and
# their range; the reference: milter-regex 3.1 at 1.23x on inet and
# 1.27-1.34x on unix) and the milter's and the whole stack's CPU per message
# (in smtp-source units, median of the rounds) divided by the floor's. A round in
# which the hypervisor stole more than STEAL_MS of CPU per message from the
# subject or from the floor is marked "steal" and left out of the median (it
# measures the neighbours, not the subject); on 2 cores the stack keeps both
# cores busy, so messages/s is about the inverse of the whole machine's CPU
# per message, and steal lowers it directly.
#
# The private Postfix's queue is on tmpfs (/dev/shm) unless --shape-disk-queue
# is given: cleanup fsyncs every queue file before Postfix answers ".", and on
# a shared virtual disk that fsync is the largest and most erratic part of the
# reply time of every subject alike, which hides the milter's own part in the
# p99 comparison.
#
# Peers: MV_BENCH_PEERS="name=command;name2=command2" adds milters of the
# user's own to the same run (nothing of theirs is in this repository); the
# command holds {socket} where the libmilter socket spec goes, for example
#   MV_BENCH_PEERS='milter-regex=/tmp/milter-regex -d -u nobody -m 0666 -c /tmp/rules -p {socket}'
#
# Asserts nothing; returns False when a case could not run.
import os
import resource
import shutil
import socket
import statistics
import subprocess
import tempfile
import time

SHAPES = ["envelope", "helo", "header", "header-body", "data-stage", "connect-accept", "tagged"]
HERE = os.path.dirname(os.path.abspath(__file__))
SHAPE_DIR = os.path.join(os.path.dirname(HERE), "e2e", "configs", "shapes")
STEAL_MS = 0.1  # hypervisor steal per message above which a round is marked
TICK_MS = 1000.0 / os.sysconf("SC_CLK_TCK")

BODY = ("Subject: probe\r\nFrom: <probe@example.net>\r\nTo: <rcpt@example.test>\r\n"
        "Message-ID: <probe@example.net>\r\nDate: Wed, 02 Dec 2026 10:00:00 +0000\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain\r\nX-Mailer: bench\r\n\r\n"
        + "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod t\r\n" * 135)


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, max(0, int(round(p * len(v))) - 1))] if v else float("nan")


def sequential(port, count):
    """`count` SMTP sessions of one message each: ms from "." to the reply."""
    times = []
    for i in range(count):
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        f = s.makefile("rb")

        def reply():
            while True:
                line = f.readline()
                if not line:
                    raise OSError("connection closed")
                if line[3:4] != b"-":
                    return line

        reply()
        for cmd in (b"EHLO probe.example.net", b"MAIL FROM:<probe%d@example.net>" % i,
                    b"RCPT TO:<rcpt@example.test>", b"DATA"):
            s.sendall(cmd + b"\r\n")
            reply()
        s.sendall(BODY.encode())
        t0 = time.monotonic()
        s.sendall(b".\r\n")
        last = reply()
        times.append((time.monotonic() - t0) * 1000.0)
        if not last.startswith(b"250"):
            raise OSError("end of data answered %r" % last)
        s.sendall(b"QUIT\r\n")
        s.close()
    return times


def summarise(times):
    return {"count": len(times), "p50_ms": pct(times, 0.5), "p99_ms": pct(times, 0.99),
            "over_30ms": sum(1 for t in times if t > 30.0)}


def subjects(a):
    out = [("none", None), ("floor", [os.path.join(a.bin, "mv-floor"), "{socket}"])]
    for shape in SHAPES:
        out.append(("verdict-" + shape, [a.mv, "-f", "-c", os.path.join(SHAPE_DIR, shape + ".conf"),
                                         "-p", "{socket}", "-l", "stderr"]))
    for peer in filter(None, os.environ.get("MV_BENCH_PEERS", "").split(";")):
        name, _, cmd = peer.partition("=")
        out.append((name.strip(), cmd.split()))
    wanted = [w for w in getattr(a, "shapes", "").split(",") if w]
    return [s for s in out if not wanted or s[0] in wanted]


def machine_ticks():
    """(busy, steal) clock ticks of the whole machine: busy is user, nice, system,
    irq and softirq; idle, iowait and steal are not busy."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return v[0] + v[1] + v[2] + v[5] + v[6], v[7]


def measure_one(a, t, pf, work, kind, name, cmd, key, acc, smtp_source, rnd):
    """One subject, one round: sequential probe, then smtp-source. False on failure."""
    v = acc.setdefault(key, {"times": [], "rates": {}, "milter_ms": {}, "source_ms": {},
                             "system_ms": {}, "steal_ms": {}})
    proc = None
    try:
        milters = ""
        if cmd:
            if kind == "inet":
                port = t.free_port()
                spec, milters = "inet:%d@127.0.0.1" % port, "inet:127.0.0.1:%d" % port
            else:
                path = os.path.join(work, "%s.sock" % name)
                spec, milters = "unix:" + path, "unix:" + path
            log = os.path.join(a.out, "logs", "shapes-%s-%s.log" % (name, kind))
            proc = t.Proc([c.replace("{socket}", spec) for c in cmd], log)
            if not t.wait_socket(spec, proc, 120):
                t.say("  %s: the milter did not open %s (log %s)" % (key, spec, log))
                return False
            if kind == "unix":
                os.chmod(spec[5:], 0o666)  # smtpd runs as postfix
        pf.reconfigure(smtpd_milters=milters)
        v["times"] += sequential(pf.smtp_port, a.shape_seq)
        cpu0 = t.proc_cpu(proc.pid) if proc else -1
        busy0, steal0 = machine_ticks()
        src0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.monotonic()
        p = subprocess.run([smtp_source, "-s", "10", "-m", str(a.shape_msgs), "-l", "1024",
                            "-f", "sender@example.net", "-t", "rcpt@example.test",
                            "127.0.0.1:%d" % pf.smtp_port], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=900)
        seconds = time.monotonic() - t0
        busy1, steal1 = machine_ticks()
        src1 = resource.getrusage(resource.RUSAGE_CHILDREN)  # smtp-source, just reaped
        time.sleep(0.2)
        if proc:
            v["milter_ms"][rnd] = (t.proc_cpu(proc.pid) - cpu0) * 1000.0 / a.shape_msgs
        v["source_ms"][rnd] = (src1.ru_utime + src1.ru_stime - src0.ru_utime -
                               src0.ru_stime) * 1000.0 / a.shape_msgs
        v["rates"][rnd] = a.shape_msgs / seconds
        v["system_ms"][rnd] = (busy1 - busy0) * TICK_MS / a.shape_msgs
        v["steal_ms"][rnd] = (steal1 - steal0) * TICK_MS / a.shape_msgs
        if p.returncode != 0:
            t.say("    %s: smtp-source exit %d: %s" % (key, p.returncode, p.stdout[-300:]))
            return False
        return True
    except Exception as e:  # report, go on with the next subject
        t.say("  %s: failed: %s" % (key, e))
        return False
    finally:
        if proc:
            proc.stop()


def run(a, results, t):
    """t: the runner's helpers (say, Proc, wait_socket, free_port, proc_cpu)."""
    say = t.say
    say("")
    say("== shapes: policy shapes through Postfix, %d rounds of sequential (%d messages) and "
        "concurrent (smtp-source -s 10 -m %d -l 1024) runs, inet and unix"
        % (a.shape_rounds, a.shape_seq, a.shape_msgs))
    from harness.postfix_instance import PostfixInstance
    smtp_source = shutil.which("smtp-source") or "/usr/sbin/smtp-source"
    queue_parent = None if a.shape_disk_queue or not os.path.isdir("/dev/shm") else "/dev/shm"
    say("  the private Postfix's queue is on %s"
        % ("tmpfs (/dev/shm)" if queue_parent else "the disk (%s)" % tempfile.gettempdir()))
    out = {}
    ok = True
    for kind in ("inet", "unix"):
        work = tempfile.mkdtemp(prefix="mv-bench-shapes-", dir=queue_parent)
        os.chmod(work, 0o755)
        pf = PostfixInstance(work, milters="")
        acc = {}  # key -> {"times": [ms, ...], "rates" and the CPU figures: {round: value}}
        try:
            pf.reconfigure(virtual_transport="discard:benchmark", default_process_limit="100")
            pf.start()
            for rnd in range(a.shape_rounds):
                order = subjects(a)
                for name, cmd in order if rnd % 2 == 0 else order[::-1]:
                    key = "%s/%s" % (name, kind)
                    if not measure_one(a, t, pf, work, kind, name, cmd, key, acc, smtp_source,
                                       rnd):
                        ok = False
                say("  %s round %d of %d done" % (kind, rnd + 1, a.shape_rounds))
        finally:
            pf.stop()
            shutil.rmtree(work, ignore_errors=True)
        for key, v in acc.items():
            if not v["rates"]:
                continue
            rounds = sorted(v["rates"])
            per_round = {}
            for n in rounds:
                src = v["source_ms"][n]
                x = {"msgs_per_sec": v["rates"][n], "system_cpu_ms_per_msg": v["system_ms"][n],
                     "steal_ms_per_msg": v["steal_ms"][n], "smtp_source_cpu_ms_per_msg": src}
                if src > 0:
                    x["system_cpu_in_source_units"] = v["system_ms"][n] / src
                if n in v["milter_ms"]:
                    x["milter_cpu_ms_per_msg"] = v["milter_ms"][n]
                    if src > 0:
                        x["milter_cpu_in_source_units"] = v["milter_ms"][n] / src
                per_round[str(n)] = x
            r = {"sequential": summarise(v["times"]),
                 "msgs_per_sec": statistics.median(v["rates"].values()),
                 "rounds": len(rounds), "per_round": per_round}
            for field in ("milter_cpu_ms_per_msg", "milter_cpu_in_source_units",
                          "system_cpu_in_source_units"):
                got = [x[field] for x in per_round.values() if field in x]
                if got:
                    r[field] = statistics.median(got)
            out[key] = r
            seq = r["sequential"]
            say("  %-28s eod p50 %5.2f ms p99 %6.2f ms (over 30 ms: %d of %d); median "
                "%5.0f msg/s%s" % (key, seq["p50_ms"], seq["p99_ms"], seq["over_30ms"],
                                   seq["count"], r["msgs_per_sec"],
                                   (", milter CPU %.3f ms/msg" % r["milter_cpu_ms_per_msg"])
                                   if "milter_cpu_ms_per_msg" in r else ""))
            say("  %-28s   per round: %s" % ("", "; ".join(
                "%.0f msg/s, CPU ms/msg: machine %.2f, smtp-source %.3f%s, steal %.2f" % (
                    x["msgs_per_sec"], x["system_cpu_ms_per_msg"],
                    x["smtp_source_cpu_ms_per_msg"],
                    (", milter %.3f" % x["milter_cpu_ms_per_msg"])
                    if "milter_cpu_ms_per_msg" in x else "", x["steal_ms_per_msg"])
                for x in per_round.values())))
    ratios = {}
    for key, r in out.items():
        name, kind = key.rsplit("/", 1)
        alone, floor = out.get("none/" + kind), out.get("floor/" + kind)
        if name in ("none", "floor") or not alone or not floor:
            continue
        paired, stolen = [], []
        for n, x in r["per_round"].items():
            f = floor["per_round"].get(n)
            if not f:
                continue
            ratio = x["msgs_per_sec"] / f["msgs_per_sec"]
            if max(x["steal_ms_per_msg"], f["steal_ms_per_msg"]) > STEAL_MS:
                stolen.append(ratio)
            else:
                paired.append(ratio)
        x = {"p99_minus_postfix_ms": r["sequential"]["p99_ms"] - alone["sequential"]["p99_ms"],
             "msgs_per_sec_vs_floor": statistics.median(paired) if paired else float("nan"),
             "msgs_per_sec_vs_floor_rounds": sorted(paired),
             "msgs_per_sec_vs_floor_steal_rounds": sorted(stolen)}
        for field, name_out in (("milter_cpu_in_source_units", "cpu_vs_floor"),
                                ("system_cpu_in_source_units", "stack_cpu_vs_floor")):
            if floor.get(field, 0) > 0 and field in r:
                x[name_out] = r[field] / floor[field]
        ratios[key] = x
    results["shapes"] = {"runs": out, "ratios": ratios, "steal_ms_limit": STEAL_MS,
                         "queue_on_tmpfs": bool(queue_parent)}
    say("")
    say("  against Postfix alone and the floor, same run [goals: p99 within 1 ms of Postfix "
        "alone; envelope msg/s >= milter-regex's 1.23x (inet) / 1.27-1.34x (unix) of the floor]:")
    say("  (msg/s: the median of the per-round ratios to the floor of the same round, the range "
        "in brackets; rounds with steal over %.1f ms/msg are left out and listed. CPU: the "
        "milter's, and the whole machine's (stack), per message in units of smtp-source's own "
        "CPU per message of the same round, median of the rounds, divided by the floor's)"
        % STEAL_MS)
    for key in sorted(ratios):
        x = ratios[key]
        pr = x["msgs_per_sec_vs_floor_rounds"]
        say("    %-28s p99 %+6.2f ms vs Postfix alone, msg/s %s of the floor%s%s%s%s"
            % (key, x["p99_minus_postfix_ms"],
               ("x%.2f" % x["msgs_per_sec_vs_floor"]) if pr else "(every round had steal)",
               (" [x%.2f-%.2f]" % (pr[0], pr[-1])) if len(pr) > 1 else "",
               (", CPU/msg x%.2f" % x["cpu_vs_floor"]) if "cpu_vs_floor" in x else "",
               (", stack CPU/msg x%.2f" % x["stack_cpu_vs_floor"])
               if "stack_cpu_vs_floor" in x else "",
               (", steal rounds: %s" % " ".join("x%.2f" % q for q in
                                                x["msgs_per_sec_vs_floor_steal_rounds"]))
               if x["msgs_per_sec_vs_floor_steal_rounds"] else ""))
    return ok
