# SPDX-License-Identifier: Apache-2.0
# policy_bench.py - the policy-service part of `make bench` (run_bench.py --parts policy).
#
# milter-verdict runs the benchmark's envelope policy (bench_policy.hpp: 20
# rules, three lists of a.large entries, 1,000,000 by default) with both
# listeners in one process: the Postfix policy service and the milter. Then:
# 1. mv-policy-loadgen with 1, 10 and 100 persistent connections of RCPT
#    requests (3 recipients per message, 2 messages per SMTP session, one
#    request in ~7 refused by a list entry), each connection asking again as
#    soon as it has its answer (saturation): requests/s, latency p50/p99 from
#    the write of a request to its answer, service CPU per 1,000 requests;
#    then 100 connections offering 20,000 and 50,000 requests/s together
#    (each smtpd asking at its own pace): the latency of the service itself,
#    which at saturation is mostly queueing (100 connections / throughput);
# 2. mv-loadgen on the milter socket of the same process with the same
#    connection counts and the same shape (3 recipients, 2 messages per
#    connection, 10 KB body): messages/s, RCPT-stage p50/p99, CPU per message;
# 3. the daemon's resident memory after each part.
# Figures only: goals are printed beside them, never asserted.
import json
import os
import subprocess
import time


def _last_json(path):
    try:
        with open(path) as f:
            lines = f.read().strip().splitlines()
        return json.loads(lines[-1]) if lines else None
    except (OSError, ValueError):
        return None


def _run(h, args, timeout=900):
    h.say("$ " + " ".join(args))
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=timeout)
    for line in p.stdout.splitlines():
        h.say("  " + line)
    return p.returncode, p.stdout


def run(a, results, h):
    """h: say, Proc, free_port, wait_socket, proc_rss_mib (run_bench.py's helpers)."""
    h.say("")
    h.say("== policy: the Postfix policy service (mv-policy-loadgen) beside the milter "
          "(mv-loadgen), one daemon, envelope policy with lists of %d entries" % a.large)
    out = {"entries": a.large}
    results["policy"] = out
    loadgen = os.path.join(a.bin, "mv-policy-loadgen")
    rc, text = _run(h, [loadgen, "--write-policy", a.lists, "--entries", str(a.large)])
    if rc != 0:
        out["error"] = "mv-policy-loadgen --write-policy exited %d" % rc
        return False
    policy_file = text.strip().splitlines()[-1]
    ppol, pmil = h.free_port(), h.free_port()
    conf = os.path.join(a.lists, "policy-service-bench.conf")
    with open(policy_file) as f:
        body = f.read()
    with open(conf, "w") as f:
        f.write('daemon = { socket = "inet:%d@127.0.0.1"; policy_socket = "inet:%d@127.0.0.1"; '
                'log = "stderr"; policy_max_connections = 1000; };\n' % (pmil, ppol) + body)
    proc = h.Proc([a.mv, "-f", "-c", conf, "-l", "stderr"],
                  os.path.join(a.out, "logs", "policy-service.log"))
    ok = True
    try:
        if not h.wait_socket("inet:%d@127.0.0.1" % ppol, proc, 180):
            h.say("  milter-verdict did not open its policy socket (log: logs/policy-service.log)")
            out["error"] = "daemon did not start"
            return False
        out["rss_mib_idle"] = h.proc_rss_mib(proc.pid)
        runs = {}
        for c in (1, 10, 100):
            jp = os.path.join(a.out, "policy-%d.json" % c)
            if os.path.exists(jp):
                os.remove(jp)
            rc, _ = _run(h, [loadgen, "--socket", "inet:%d@127.0.0.1" % ppol, "--connections",
                             str(c), "--requests", str(a.policy_requests), "--warmup", "3000",
                             "--entries", str(a.large), "--pid", str(proc.pid),
                             "--label", "policy/inet/%d" % c, "--json", jp])
            r = _last_json(jp)
            if rc != 0 or r is None:
                ok = False
            runs[str(c)] = r
        for rate in (20000, 50000):
            jp = os.path.join(a.out, "policy-100-at-%d.json" % rate)
            if os.path.exists(jp):
                os.remove(jp)
            rc, _ = _run(h, [loadgen, "--socket", "inet:%d@127.0.0.1" % ppol, "--connections",
                             "100", "--rate", str(rate), "--requests",
                             str(min(a.policy_requests, rate * 4)), "--warmup", "3000",
                             "--entries", str(a.large), "--pid", str(proc.pid),
                             "--label", "policy/inet/100 at %d/s" % rate, "--json", jp])
            r = _last_json(jp)
            if rc != 0 or r is None:
                ok = False
            runs["100@%d" % rate] = r
        out["runs"] = runs
        out["rss_mib_after_policy"] = h.proc_rss_mib(proc.pid)
        milter = {}
        for c in (1, 10, 100):
            jp = os.path.join(a.out, "policy-milter-%d.json" % c)
            if os.path.exists(jp):
                os.remove(jp)
            rc, _ = _run(h, [os.path.join(a.bin, "mv-loadgen"), "--socket",
                             "inet:%d@127.0.0.1" % pmil, "--connections", str(c), "--messages",
                             str(a.policy_messages), "--per-connection", "2", "--recipients", "3",
                             "--warmup", "200", "--pid", str(proc.pid),
                             "--label", "milter/inet/%d" % c, "--json", jp])
            r = _last_json(jp)
            if rc != 0 or r is None:
                ok = False
            milter[str(c)] = r
        out["milter"] = milter
        out["rss_mib_after_milter"] = h.proc_rss_mib(proc.pid)
    finally:
        proc.stop()
    h.say("")
    h.say("  resident memory of the daemon: %.1f MiB idle with the policy loaded, %.1f MiB after "
          "the policy-service runs, %.1f MiB after the milter runs"
          % (out.get("rss_mib_idle", -1), out.get("rss_mib_after_policy", -1),
             out.get("rss_mib_after_milter", -1)))
    summary(out, h.say)
    return ok


def summary(out, say):
    """The figures side by side (also printed by run_bench.py's summary)."""
    runs, milter = out.get("runs", {}), out.get("milter", {})
    for c in ("1", "10", "100"):
        r, m = runs.get(c), milter.get(c)
        line = "  policy %-3s conn" % c
        if r:
            line += " %7.0f req/s, p50 %.3f ms, p99 %.3f ms, CPU %.3f ms/request" % (
                r["req_per_sec"], r["p50_ms"], r["p99_ms"], r["cpu_s_per_1000"])
        if m:
            rc = m.get("stages", {}).get("rcpt", {})
            line += "; milter %5.0f msg/s (3 RCPT each), RCPT p50 %.3f ms, p99 %.3f ms, CPU %.3f " \
                    "ms/msg" % (m["msgs_per_sec"], rc.get("p50_ms", -1), rc.get("p99_ms", -1),
                                m["cpu_s_per_1000"])
        say(line)
    for rate in (20000, 50000):
        r = runs.get("100@%d" % rate)
        if r:
            say("  policy 100 conn offering %d req/s: %.0f req/s answered, p50 %.3f ms, p99 %.3f ms"
                % (rate, r["req_per_sec"], r["p50_ms"], r["p99_ms"]))
    r, p = runs.get("100"), runs.get("100@50000")
    if r:
        say("  policy at 100 connections: %.0f req/s at saturation [goal >= 50,000]; p99 %.3f ms "
            "offering 50,000 req/s [goal <= 1 ms]" % (r["req_per_sec"], p["p99_ms"] if p else -1))
    m = milter.get("100")
    if r and m and m["cpu_s_per_1000"] > 0 and r["cpu_s_per_1000"] > 0:
        say("  same run, 100 connections: CPU per RCPT decision, policy service %.3f ms vs milter "
            "%.3f ms (a third of a message): x%.2f"
            % (r["cpu_s_per_1000"], m["cpu_s_per_1000"] / 3,
               (m["cpu_s_per_1000"] / 3) / r["cpu_s_per_1000"]))
