# SPDX-License-Identifier: Apache-2.0
# metrics.py - the metrics endpoint and the JSON decision log of a running daemon.
#
# One daemon on a copy of configs/metrics.conf with `metrics` set to a free
# loopback port and log_format = "json". A known set of SMTP transactions
# goes through the private Postfix; then the scrape must show exactly those
# counts (3 refusals by recipient-refused with 550 5.7.1 at RCPT, ...), be
# accepted by `promtool check metrics` and by a real Prometheus server
# scraping it (which asks for OpenMetrics), and every daemon log line must be
# one JSON object. Then: hostile values through the raw milter client, 1,000
# distinct senders (no new series), `milter-verdict stats`, the Grafana
# dashboard's queries against the families exported, a reload (a kept rule
# keeps its count, a removed one disappears, a broken file is counted), and
# hostile HTTP clients (slowloris, 10 MB of headers, 1,000 connections), each
# while the milter keeps answering.
#
# Every loop is bounded in count and time; every process started here is
# stopped by its pid in a `finally`.
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import time
import urllib.request

from harness.milter_client import MilterClient
from harness.net import free_port, wait_listening
from harness.prometheus_server import PrometheusServer
from harness.scenario import Scenario, OK_RCPT

GROUP = "metrics"
HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(os.path.dirname(HERE))
DASHBOARD = os.path.join(ROOT, "packaging", "grafana", "milter-verdict.json")

REFUSED = ["550 5.7.1 Recipient blocked@example.test refused by the e2e policy"]
DEFERRED = ["450 4.7.1 Recipient deferred by the e2e policy"]
CONTENT = ["550 5.7.1 Content refused by the e2e policy"]
OM_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8"
TEXT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


# -- reading the endpoint -------------------------------------------------------

def scrape(port, accept=None, timeout=10.0):
    """(content type, body) of GET /metrics."""
    req = urllib.request.Request("http://127.0.0.1:%d/metrics" % port)
    if accept:
        req.add_header("Accept", accept)
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.headers.get("Content-Type"), r.read().decode()


LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def samples(text):
    out = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = LINE.match(line)
        if not m:
            raise ValueError("unreadable exposition line %r" % line)
        labels = {k: v.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")
                  for k, v in LABEL.findall(m.group(3) or "")}
        out.append((m.group(1), labels, float(m.group(4))))
    return out


def value(text, name, **labels):
    """The value of the one sample with exactly these labels, None when absent."""
    for n, l, v in samples(text):
        if n == name and l == labels:
            return v
    return None


def families(text):
    """name -> type, from the # TYPE lines."""
    return {m.group(1): m.group(2) for m in re.finditer(r"^# TYPE (\S+) (\S+)$", text, re.M)}


def decision(rule, action, stage, code="", enhanced=""):
    return dict(front_end="milter", rule=rule, action=action, stage=stage, code=code,
                enhanced=enhanced)


D = "milter_verdict_decisions_total"
W = "milter_verdict_monitor_decisions_total"
FE = {"front_end": "milter"}


def wait_value(port, name, want, timeout=10.0, **labels):
    """Scrape until `name{labels}` == want (Postfix closes milter connections
    a moment after the SMTP session); returns the last value seen."""
    deadline = time.monotonic() + timeout
    while True:
        got = value(scrape(port)[1], name, **labels)
        if got == want or time.monotonic() > deadline:
            return got
        time.sleep(0.2)


def daemon_pid(daemon):
    return daemon.proc.pid


def fd_count(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def json_lines(daemon):
    """Every non-empty line of the daemon's log, parsed; (objects, unparsable lines)."""
    objs, bad = [], []
    for line in daemon.log().splitlines():
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            if not isinstance(obj, dict):
                raise ValueError("not an object")
            objs.append(obj)
        except ValueError:
            bad.append(line)
    return objs, bad


def refused(ctx, r, rcpt, want):
    Scenario(rcpts=[(rcpt, want)]).run(ctx, r)


# -- the cases ---------------------------------------------------------------------

def traffic(ctx, results):
    with results.case("%s: known transactions through Postfix get their replies" % GROUP) as r:
        for _ in range(3):
            refused(ctx, r, "blocked@example.test", REFUSED)
        for _ in range(2):
            refused(ctx, r, "later@example.test", DEFERRED)
        for i in range(2):
            Scenario(sender="trial@example.test", rcpts=[("ok@example.test", OK_RCPT)],
                     subject="e2e metrics trial %d" % i).run(ctx, r)
        Scenario(sender="eom-reject@example.test", rcpts=[("ok@example.test", OK_RCPT)],
                 subject="e2e metrics content", final_reply=CONTENT).run(ctx, r)
        Scenario(rcpts=[("postmaster@example.test", OK_RCPT)],
                 subject="e2e metrics postmaster").run(ctx, r)


def exact_counts(ctx, results, port):
    with results.case("%s: the scrape shows exactly the decisions of those transactions"
                      % GROUP) as r:
        # 9 SMTP sessions, one milter connection and one MAIL each.
        r.expect_equal(wait_value(port, "milter_verdict_connections_active", 0, **FE), 0,
                       "connections open after the sessions")
        text = scrape(port)[1]
        r.expect_equal(value(text, D, **decision("recipient-refused", "reject", "rcpt", "550",
                                                 "5.7.1")), 3, "refusals by recipient-refused")
        r.expect_equal(value(text, D, **decision("recipient-deferred", "tempfail", "rcpt", "450",
                                                 "4.7.1")), 2, "tempfails by recipient-deferred")
        r.expect_equal(value(text, D, **decision("content-refused", "reject", "end-of-data",
                                                 "550", "5.7.1")), 1, "content-refused at eod")
        r.expect_equal(value(text, D, **decision("postmaster", "accept", "rcpt")), 1,
                       "recipients accepted by postmaster")
        # Messages that went through: the two trial ones at end of data (their
        # monitor mark is added there), the postmaster one at DATA (every
        # recipient accepted by a rule: the daemon settles it there).
        r.expect_equal(value(text, D, **decision("-", "accept", "end-of-data")), 2,
                       "messages passed at end of data")
        r.expect_equal(value(text, D, **decision("-", "accept", "data")), 1,
                       "messages passed at DATA")
        r.expect_equal(value(text, W, front_end="milter", rule="trial-sender", action="reject",
                             code="550", enhanced="5.7.1"), 2, "would-be refusals of trial-sender")
        r.expect_equal(value(text, "milter_verdict_transactions_total", **FE), 9, "transactions")
        r.expect_equal(value(text, "milter_verdict_connections_total", **FE), 9, "connections")
        r.expect_equal(value(text, "milter_verdict_transactions_active", **FE), 0,
                       "transactions open")
        rcpt = dict(front_end="milter", stage="rcpt")
        # 3 + 2 refused, 2 trial, 1 content, 1 postmaster: 9 RCPT commands evaluated.
        r.expect_equal(value(text, "milter_verdict_decision_duration_seconds_count", **rcpt), 9,
                       "RCPT stages timed")
        r.expect_equal(value(text, "milter_verdict_decision_duration_seconds_bucket",
                             le="+Inf", **rcpt), 9, "+Inf bucket of the RCPT histogram")
        r.expect_equal(value(text, "milter_verdict_policy_rules"), 5, "rules loaded")
        r.expect_equal(value(text, "milter_verdict_policy_last_reload_successful"), 1,
                       "last load ok")
        r.expect(value(text, "process_open_fds") > 0, "process_open_fds exported")
        r.expect(value(text, "process_resident_memory_bytes") > 0, "resident memory exported")


def formats(ctx, results, port, workdir):
    with results.case("%s: promtool check metrics accepts the text exposition" % GROUP) as r:
        ctype, text = scrape(port)
        r.expect_equal(ctype, TEXT_TYPE, "Content-Type without an Accept header")
        p = subprocess.run(["promtool", "check", "metrics"], input=text, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        r.expect_equal((p.returncode, p.stdout.strip()), (0, ""), "promtool exit status, output")
    with results.case("%s: OpenMetrics when asked, ending with # EOF" % GROUP) as r:
        ctype, om = scrape(port, "application/openmetrics-text;version=1.0.0,"
                                 "text/plain;version=0.0.4;q=0.5")
        r.expect_equal(ctype, OM_TYPE, "Content-Type")
        r.expect(om.endswith("# EOF\n"), "no # EOF at the end")
        r.expect("# TYPE milter_verdict_decisions counter\n" in om, "counter family named without _total")
        r.expect("# TYPE milter_verdict_build info\n" in om, "build_info is an info family")
    prom = PrometheusServer(workdir, "127.0.0.1:%d" % port)
    try:
        with results.case("%s: a real Prometheus scrapes the endpoint (OpenMetrics) and reads "
                          "the counts" % GROUP) as r:
            prom.start()
            deadline = time.monotonic() + 30
            got, targets = [], []
            while time.monotonic() < deadline:
                targets = prom.targets()
                got = prom.query('milter_verdict_decisions_total{rule="recipient-refused"}')
                if got and targets and targets[0].get("health") == "up":
                    break
                time.sleep(0.5)
            r.expect(targets and targets[0].get("health") == "up"
                     and targets[0].get("lastError") == "", "target not healthy: %r" % targets)
            r.expect_equal([s["value"][1] for s in got], ["3"], "recipient-refused in Prometheus")
            # "info" exists only in OpenMetrics: Prometheus parsed that format.
            meta = prom.metadata("milter_verdict_build")
            r.expect_equal([m.get("type") for m in meta], ["info"], "metadata of milter_verdict_build")
    finally:
        prom.stop()


def dashboard(ctx, results, port):
    with results.case("%s: every query of the Grafana dashboard names an exported metric"
                      % GROUP) as r:
        with open(DASHBOARD) as f:
            dash = json.load(f)
        exported = families(scrape(port)[1])
        for key in ("title", "uid", "panels", "schemaVersion", "templating"):
            r.expect(key in dash, "dashboard has no %r" % key)
        ids = [p.get("id") for p in dash["panels"]]
        r.expect(len(ids) == len(set(ids)), "panel ids not unique: %r" % ids)
        variables = {v["name"] for v in dash["templating"]["list"]}
        queries = 0
        for p in dash["panels"]:
            r.expect(all(k in p for k in ("id", "type", "title", "gridPos")),
                     "panel %r lacks id/type/title/gridPos" % p.get("title"))
            if p["type"] == "row":
                continue
            r.expect(p.get("targets"), "panel %r has no query" % p["title"])
            for t in p.get("targets", []):
                queries += 1
                expr = t.get("expr", "")
                r.expect(t.get("refId"), "panel %r: a target without refId" % p["title"])
                names = re.findall(r"\b((?:milter_verdict|process)_[a-z0-9_]+)\b", expr)
                r.expect(names, "panel %r: query names no metric: %r" % (p["title"], expr))
                for n in names:
                    base = re.sub(r"_(bucket|sum|count)$", "", n)
                    ok = exported.get(n) in ("counter", "gauge") or \
                        exported.get(base) == "histogram"
                    r.expect(ok, "panel %r: %s is not a metric the daemon exports" % (p["title"], n))
                for var in re.findall(r"\$(\w+)", expr):
                    r.expect(var in variables or var.startswith("__"),
                             "panel %r: unknown variable $%s" % (p["title"], var))
        r.expect(queries >= 20, "only %d queries in the dashboard" % queries)


def stats(ctx, results, port):
    with results.case("%s: milter-verdict stats prints the per-rule table" % GROUP) as r:
        p = subprocess.run([ctx.mv_bin, "stats", "-m", "127.0.0.1:%d" % port],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
        r.expect_equal(p.returncode, 0, "exit status (output %r)" % p.stdout[-500:])
        rows = {line.split()[0]: line.split()[1:] for line in p.stdout.splitlines()
                if line and not line.startswith(("http", "milter-verdict", "policy", "traffic",
                                                 "rule ", "state"))
                and len(line.split()) >= 6}
        r.expect_equal(rows.get("recipient-refused", [])[:5], ["3", "0", "0", "0", "0"],
                       "row of recipient-refused (reject tempfail accept other monitor)")
        r.expect_equal(rows.get("trial-sender", [])[:5], ["0", "0", "0", "0", "2"],
                       "row of trial-sender")
        r.expect("traffic  milter: 9 connections (0 open), 9 transactions (0 open)" in p.stdout,
                 "traffic line missing:\n" + p.stdout)
        bad = subprocess.run([ctx.mv_bin, "stats", "-m", "127.0.0.1:%d" % free_port()],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
        r.expect_equal(bad.returncode, 1, "exit status with nothing listening")
        r.expect("Connection refused" in bad.stdout, "reason: %r" % bad.stdout)


def json_log(ctx, results, daemon):
    with results.case("%s: every daemon log line is one JSON object; decisions match the "
                      "traffic" % GROUP) as r:
        objs, bad = json_lines(daemon)
        r.expect(not bad, "lines that are not one JSON object:\n" + "\n".join(bad[:5]))
        dec = [o for o in objs if o.get("event") == "decision"]
        refusals = [o for o in dec if o.get("rule") == "recipient-refused"]
        r.expect_equal(len(refusals), 3, "decision objects of recipient-refused")
        for o in refusals:
            r.expect_equal((o.get("action"), o.get("stage"), o.get("reply"), o.get("recipients"),
                            o.get("front_end"), o.get("monitor")),
                           ("reject", "rcpt", REFUSED[0], ["blocked@example.test"], "milter",
                            False), "a refusal object")
            r.expect(isinstance(o.get("latency_us"), int), "latency_us: %r" % o.get("latency_us"))
            r.expect(o.get("queue") is None or isinstance(o.get("queue"), str), "queue")
        # Issue 25 point 6: every line has an RFC 3339 UTC time, the host and
        # the level; each decision names its connection; a refusal gives its
        # codes and the recipient as fields, and its rule line its rule.
        rfc3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$")
        r.expect(all(isinstance(o.get("time"), str) and rfc3339.match(o["time"]) for o in objs),
                 "a line without an RFC 3339 time: %r"
                 % [o for o in objs if not rfc3339.match(str(o.get("time")))][:2])
        r.expect(all(o.get("host") == socket.gethostname() for o in objs),
                 "host is not %r" % socket.gethostname())
        r.expect(all(o.get("level") in ("error", "warning", "info", "debug") for o in objs),
                 "a line without a level")
        r.expect(all(re.match(r"^conn-[0-9a-f]{10}$", str(o.get("conn"))) for o in dec),
                 "a decision without its connection id")
        for o in refusals:
            r.expect_equal((o.get("reply_code"), o.get("reply_enhanced"), o.get("recipient"),
                            o.get("sasl_username"), o.get("client_addr")),
                           (int(REFUSED[0][:3]), REFUSED[0].split()[1], "blocked@example.test",
                            None, "127.0.0.1"), "a refusal's fields")
        rule_lines = [o for o in objs if o.get("event") == "rule"
                      and o.get("rule") == "recipient-refused"]
        r.expect_equal(len(rule_lines), 3, "rule lines of recipient-refused")
        r.expect(all(o.get("action") == "reject" and o.get("recipient") == "blocked@example.test"
                     and o.get("message", "").startswith("rule #") and o.get("conn")
                     for o in rule_lines), "rule line fields: %r" % rule_lines[:1])
        would = [o for o in dec if o.get("monitor")]
        r.expect_equal([(o.get("rule"), o.get("action"), (o.get("would") or {}).get("action"),
                         (o.get("would") or {}).get("reply")) for o in would],
                       [("trial-sender", "continue", "reject",
                         "550 5.7.1 Sender trial@example.test would be refused")] * 2,
                       "monitor objects")
        passed = [o for o in dec if o.get("rule") is None and o.get("action") == "accept"]
        r.expect_equal(sorted(o.get("stage") for o in passed), ["data", "end-of-data", "end-of-data"],
                       "stages where the messages passed")
        r.expect(all(o.get("queue") for o in passed), "the passing decisions carry the queue id")


def hostile_values(ctx, results, daemon):
    with results.case("%s: hostile HELO, sender and client values keep every line valid "
                      "JSON and read back" % GROUP) as r:
        start = len(daemon.log())
        helo = b'evil"\\{}\x01\x1b\x7f\xff\xfe' + "\u2028".encode() + b'"},{"event":"decision'
        sender = b'"a\\"b\\\\c"@example.test'
        client = b'host"\\name.example'
        c = MilterClient(daemon.port)
        try:
            c.negotiate()
            c.connect_info(hostname=client.decode("latin-1"), addr="192.0.2.77")
            c.helo(helo)
            c.mail(sender.decode("latin-1"))
            code, _ = c.rcpt("blocked@example.test")
            r.expect_equal(code, "y", "the refused recipient gets a reply code")
            c.abort()
        finally:
            c.quit()
        deadline = time.monotonic() + 10
        found = None
        while time.monotonic() < deadline and found is None:
            for line in daemon.log()[start:].splitlines():
                if '"client_addr":"192.0.2.77"' in line and '"event":"decision"' in line:
                    found = line
            time.sleep(0.1)
        r.expect(found is not None, "no decision line for the hostile session")
        if found:
            o = json.loads(found)
            want_helo = helo.decode("utf-8", "replace")
            r.expect_equal(o.get("helo"), want_helo, "helo read back")
            r.expect_equal(o.get("sender"), sender.decode(), "sender read back")
            r.expect_equal(o.get("client_name"), client.decode(), "client name read back")
            r.expect_equal(o.get("rule"), "recipient-refused", "rule")
        objs, bad = json_lines(daemon)
        r.expect(not bad, "lines that are not one JSON object:\n" + "\n".join(bad[:5]))


def distinct_senders(ctx, results, daemon, port, n=1000):
    with results.case("%s: %d distinct senders and clients add no series" % (GROUP, n)) as r:
        before = scrape(port)[1]
        refused0 = value(before, D, **decision("recipient-refused", "reject", "rcpt", "550", "5.7.1"))
        deadline = time.monotonic() + 300
        sent = 0
        for i in range(n):
            if time.monotonic() > deadline:
                break
            c = MilterClient(daemon.port)
            try:
                c.negotiate()
                c.connect_info(hostname="h%d.example" % i,
                               addr="198.51.%d.%d" % (i // 256, i % 256))
                c.helo("helo%d.example" % i)
                c.mail("sender%d@domain%d.example" % (i, i))
                c.rcpt("blocked@example.test")
                c.abort()
            finally:
                c.quit()
            sent += 1
        r.expect_equal(sent, n, "sessions sent within 300 s")
        after = scrape(port)[1]
        r.expect_equal(value(after, D, **decision("recipient-refused", "reject", "rcpt", "550",
                                                  "5.7.1")), refused0 + n, "refusals counted")
        names = lambda t: sorted((s[0], tuple(sorted(s[1].items()))) for s in samples(t))
        r.expect_equal(len(names(after)), len(names(before)), "series in the scrape")
        r.expect_equal(names(after), names(before), "the same series before and after")


def reload(ctx, results, daemon, port, conf, template_text):
    with results.case("%s: reload: a kept rule keeps its count, a removed rule disappears, "
                      "a new one starts at 0" % GROUP) as r:
        text = scrape(port)[1]
        kept = value(text, D, **decision("recipient-refused", "reject", "rcpt", "550", "5.7.1"))
        new_text = template_text.replace('name = "recipient-deferred";', 'name = "new-rule";')
        tmp = conf + ".new"
        with open(tmp, "w") as f:
            f.write(new_text)
        os.replace(tmp, conf)
        mark = len(daemon.log())
        daemon.reload()
        r.expect(daemon.wait_log("reloaded ", start=mark), "no 'reloaded' in the log")
        r.expect_equal(wait_value(port, D, None, **decision("recipient-deferred", "tempfail", "rcpt",
                                                            "450", "4.7.1")), None,
                       "recipient-deferred after the reload")
        text = scrape(port)[1]
        r.expect_equal(value(text, D, **decision("recipient-refused", "reject", "rcpt", "550",
                                                 "5.7.1")), kept, "recipient-refused kept its count")
        r.expect_equal(value(text, D, **decision("new-rule", "tempfail", "rcpt", "450", "4.7.1")),
                       0, "new-rule at 0")
        r.expect_equal(value(text, "milter_verdict_policy_reloads_total", result="success"), 1,
                       "successful reloads")
        refused(ctx, r, "blocked@example.test", REFUSED)
        r.expect_equal(wait_value(port, D, kept + 1, **decision("recipient-refused", "reject", "rcpt",
                                                                "550", "5.7.1")), kept + 1,
                       "recipient-refused counts on after the reload")
    with results.case("%s: a broken reload is counted and the policy stays" % GROUP) as r:
        with open(conf + ".new", "w") as f:
            f.write("rules = ( { name = ; } );\n")
        os.replace(conf + ".new", conf)
        mark = len(daemon.log())
        daemon.reload()
        r.expect(daemon.wait_log("reload failed", start=mark), "no 'reload failed' in the log")
        text = scrape(port)[1]
        r.expect_equal(value(text, "milter_verdict_policy_reloads_total", result="failure"), 1,
                       "failed reloads")
        r.expect_equal(value(text, "milter_verdict_policy_last_reload_successful"), 0,
                       "last load ok")
        r.expect_equal(value(text, "milter_verdict_policy_rules"), 5, "rules in force")
        refused(ctx, r, "blocked@example.test", REFUSED)


def slowloris(ctx, results, port):
    with results.case("%s: a slowloris client is cut off; scrapes and mail go on meanwhile"
                      % GROUP) as r:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        t0 = time.monotonic()
        closed_after = None
        try:
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
            checked = False
            while time.monotonic() - t0 < 20:
                try:
                    s.sendall(b"X")
                    s.settimeout(0.5)
                    s.recv(4096)  # an answer (408, 400) or the end: cut off either way
                    closed_after = time.monotonic() - t0
                    break
                except socket.timeout:
                    pass
                except OSError:
                    closed_after = time.monotonic() - t0
                    break
                if not checked:
                    checked = True
                    r.expect_equal(scrape(port)[0], TEXT_TYPE, "a scrape during the slowloris")
                    refused(ctx, r, "blocked@example.test", REFUSED)
        finally:
            s.close()
        r.expect(closed_after is not None and closed_after < 12,
                 "the slow request was not cut off within 12 s (request timeout 5 s): %r"
                 % closed_after)


def big_headers(ctx, results, daemon, port):
    with results.case("%s: 10 MB of request headers are refused without growing the daemon"
                      % GROUP) as r:
        pid = daemon_pid(daemon)
        rss0 = rss_kib(pid)
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        answer = b""
        sent = 0
        try:
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
            chunk = b"X-Pad: " + b"a" * 65000 + b"\r\n"
            while sent < 10 * 1024 * 1024:
                try:
                    s.sendall(chunk)
                    sent += len(chunk)
                except OSError:
                    break
            try:
                s.settimeout(5)
                answer = s.recv(4096)
            except OSError:
                pass
        finally:
            s.close()
        r.expect(b" 200 " not in answer[:20], "answered 200 to a 10 MB request: %r" % answer[:80])
        r.expect(answer == b"" or answer[:12] in (b"HTTP/1.0 400", b"HTTP/1.1 400",
                                                  b"HTTP/1.0 413", b"HTTP/1.1 413"),
                 "answer %r" % answer[:80])
        grew = rss_kib(pid) - rss0
        r.expect(grew < 8 * 1024, "resident memory grew by %d KiB" % grew)
        r.expect_equal(scrape(port)[0], TEXT_TYPE, "a scrape afterwards")
        refused(ctx, r, "blocked@example.test", REFUSED)


def many_connections(ctx, results, daemon, port, n=1000):
    with results.case("%s: %d connections cost a bounded number of descriptors; mail goes on"
                      % (GROUP, n)) as r:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < n + 200:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 500), hard))
        pid = daemon_pid(daemon)
        base = fd_count(pid)
        socks = []
        try:
            for _ in range(n):
                s = socket.socket()
                s.setblocking(False)
                s.connect_ex(("127.0.0.1", port))
                socks.append(s)
            time.sleep(1.0)
            peak = fd_count(pid)
            # 4 workers + 16 queued + the listener's margin; the rest waits in the kernel.
            r.expect(peak - base <= 40, "descriptors grew from %d to %d" % (base, peak))
            refused(ctx, r, "blocked@example.test", REFUSED)
        finally:
            for s in socks:
                s.close()
        deadline = time.monotonic() + 30
        ok = False
        while time.monotonic() < deadline and not ok:
            try:
                ok = scrape(port, timeout=5)[0] == TEXT_TYPE
            except OSError:
                time.sleep(0.5)
        r.expect(ok, "the endpoint did not answer within 30 s after the flood")


def run(ctx, results):
    port = free_port()
    template = open(ctx.config("metrics.conf")).read()
    template_text = template.replace('"127.0.0.1:9809"', '"127.0.0.1:%d"' % port)
    if template_text == template:
        raise RuntimeError("configs/metrics.conf has no metrics = \"127.0.0.1:9809\" to replace")
    conf = os.path.join(ctx.workdir, "metrics.conf")
    with open(conf, "w") as f:
        f.write(template_text)
    daemon = ctx.start_daemon(conf)
    try:
        with results.case("%s: the endpoint listens on the configured loopback port" % GROUP) as r:
            r.expect(wait_listening(port, 10), "nothing listens on 127.0.0.1:%d" % port)
        traffic(ctx, results)
        exact_counts(ctx, results, port)
        formats(ctx, results, port, ctx.workdir)
        dashboard(ctx, results, port)
        stats(ctx, results, port)
        json_log(ctx, results, daemon)
        hostile_values(ctx, results, daemon)
        distinct_senders(ctx, results, daemon, port)
        reload(ctx, results, daemon, port, conf, template_text)
        slowloris(ctx, results, port)
        big_headers(ctx, results, daemon, port)
        many_connections(ctx, results, daemon, port)
    finally:
        ctx.stop_daemon(results, GROUP, daemon)
