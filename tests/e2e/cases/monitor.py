# SPDX-License-Identifier: Apache-2.0
# monitor.py - whole-daemon monitor mode: nothing refused, mail delivered and
# marked with the header saying what would have happened.
#
# configs/monitor.conf has `monitor = true` and the same refusing rules as
# replies.conf; its monitor header is the default X-Milter-Verdict.
import re
import time

from harness.scenario import Scenario, OK_MAIL, OK_RCPT
from harness.smtp_client import message

GROUP = "monitor"
HEADER = "X-Milter-Verdict"
# One header per would-be decision: "would <action> <reply> (rule <name>)".
CLIENT = "would reject 550 5.7.1 Client 127.0.0.2 refused by the e2e policy (rule client-refused)"
RCPT = ("would reject 550 5.7.1 Recipient blocked@example.test refused by the e2e policy"
        " (rule recipient-refused)")
CONTENT = "would reject 550 5.7.1 Content refused by the e2e policy (rule content-refused)"
# What enforcement would do (DESIGN.md section 3: a would-be refusal an
# earlier decision overrides is not one): from 127.0.0.2 client-refused
# refuses at connect (delivered at RCPT), so nothing after it is reported;
# from 127.0.0.1 blocked@ is refused at RCPT and the message (ok@ left) at
# end of data. Before issue 24's monitor fix all three were reported for
# 127.0.0.2: that expectation was the bug.
CASES = [
    ("127.0.0.2", "e2e monitor reject-at-eom", [CLIENT]),
    ("127.0.0.1", "e2e monitor rcpt-and-eom", [RCPT, CONTENT]),
]


def run(ctx, results):
    daemon = ctx.start_daemon(ctx.config("monitor.conf"))
    try:
        with results.case("%s: refused recipient, client and content all pass on the wire"
                          % GROUP) as r:
            for source, subject, _ in CASES:
                Scenario(source=source, sender="eom-reject@example.test",
                         rcpts=[("blocked@example.test", OK_RCPT),
                                ("ok@example.test", OK_RCPT)],
                         subject=subject).run(ctx, r)
        with results.case("%s: the message is delivered and carries %s: only what enforcement "
                          "would do" % (GROUP, HEADER)) as r:
            for _, subject, want in CASES:
                ctx.postfix.wait_mailbox(
                    lambda t, subject=subject: t.count("Subject: " + subject) >= 2)
                msgs = ctx.delivered(subject)
                # Two recipients, one mailbox file: one copy per recipient.
                r.expect_equal(len(msgs), 2, "delivered copies of %r (blocked@ and ok@)"
                               % subject)
                for m in msgs:
                    # Header values unfolded: Postfix may fold long lines.
                    values = [" ".join(v.split()) for v in (m.get_all(HEADER) or [])]
                    r.expect(sorted(values) == sorted(want), "%s (%s): %r, expected exactly %r"
                             % (m.get("Delivered-To"), subject, values, want))
        with results.case("%s: the daemon logs what it would have done" % GROUP) as r:
            r.expect("would reject 550 5.7.1" in daemon.log(),
                     "no 'would reject 550 5.7.1' decision in the daemon log:\n%s"
                     % "\n".join(daemon.log().splitlines()[-10:]))
        with results.case("%s: each would-be decision has a decision line naming its rule "
                          "(grep rule=NAME finds it), and only those" % GROUP) as r:
            lines = [l for l in daemon.log().splitlines() if " decision " in l]
            # client-refused decides at connect; delay_reject would refuse
            # each of the two recipients at RCPT: one line per recipient.
            for source, rule, stage, would, n in (
                    ("127.0.0.2", "client-refused", "rcpt", CLIENT, 2),
                    ("127.0.0.1", "recipient-refused", "rcpt", RCPT, 1),
                    ("127.0.0.1", "content-refused", "end-of-data", CONTENT, 1)):
                want = (" stage=%s rule=%s action=continue reply=- monitor=yes would=\"%s\""
                        % (stage, rule, would[len("would "):would.rindex(" (rule ")]))
                mine = [l for l in lines if "[%s]" % source in l]
                r.expect(sum(1 for l in mine if l.endswith(want)) == n,
                         "not exactly %d line(s) ending %r among:\n%s"
                         % (n, want, "\n".join(mine[-8:])))
            from_refused = [l for l in lines if "[127.0.0.2]" in l and " would=" in l]
            r.expect(len(from_refused) == 2,
                     "127.0.0.2 is refused at connect: one would-be decision per recipient "
                     "(enforcement's two 550 replies at RCPT) expected, got:\n%s"
                     % "\n".join(from_refused))
            r.expect(not any(" rule=- action=continue " in l for l in lines),
                     "a monitor decision still logged as rule=- action=continue")
        queue_id_first(ctx, results, daemon)
    finally:
        ctx.stop_daemon(results, GROUP, daemon)


# "milter-verdict[PID]: LEVEL: " (the stderr form, milter-verdict(8) LOGGING).
STDERR_HEAD = re.compile(r"^milter-verdict\[\d+\]: (?:error|warning|info|debug): ")
CONN_ID = re.compile(r"^conn-[0-9a-f]{10}$")


def queue_id_first(ctx, results, daemon):
    """Issue 25 point 6: the daemon's lines of one message start with the
    queue id Postfix gave it (its "queued as" reply, its own log), as
    Postfix's lines do; the lines before Postfix sent one (connect) start
    with one connection id, which the message's decision line names
    (conn=); no line has queue=. From 127.0.0.2, client-refused (monitor)
    writes a rule line and a would-be decision at connect."""
    with results.case("%s: a message's lines start with its Postfix queue id, the lines "
                      "before it with one connection id" % GROUP) as r:
        start = len(daemon.log())
        s = ctx.session("127.0.0.2")
        final = None
        try:
            s.cmd("EHLO client.example.test")
            r.expect_equal(s.cmd("MAIL FROM:<eom-reject@example.test>"), OK_MAIL, "MAIL")
            r.expect_equal(s.cmd("RCPT TO:<ok@example.test>"), OK_RCPT, "RCPT")
            _, final = s.data(message("eom-reject@example.test", "ok@example.test",
                                      "e2e monitor queue id"))
            s.quit()
        finally:
            s.close()
        m = re.match(r"^250 2\.0\.0 Ok: queued as ([0-9A-Za-z]+)$", (final or [""])[0])
        r.expect(m is not None, "no 'queued as' reply: %r" % final)
        if not m:
            return
        qid = m.group(1)
        # Postfix's own log names the message by the same id, first on its lines.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and ": %s: " % qid not in ctx.postfix.log():
            time.sleep(0.1)
        r.expect(": %s: " % qid in ctx.postfix.log(),
                 "queue id %s not in Postfix's log%s" % (qid, ctx.postfix.log_tail()))
        r.expect(daemon.wait_log("%s: decision " % qid, 10, start),
                 "no '%s: decision' line in the daemon log:\n%s" % (qid, daemon.log()[start:]))
        lines = [STDERR_HEAD.sub("", l) for l in daemon.log()[start:].splitlines()]
        window = "\n".join(lines)
        r.expect(all(STDERR_HEAD.sub("", l) != l for l in daemon.log()[start:].splitlines()
                     if l.strip()), "a line without the stderr head:\n" + window)
        r.expect("queue=" not in window, "a line with queue=:\n" + window)
        mine = [l for l in lines if qid in l]
        r.expect(mine and all(l.startswith(qid + ": ") for l in mine),
                 "lines naming %s that do not start with it:\n%s" % (qid, "\n".join(mine)))
        eod = [l for l in mine if l.startswith(qid + ": decision ")
               and " stage=end-of-data rule=- action=accept reply=-" in l]
        r.expect_equal(len(eod), 1, "end-of-data decisions of %s:\n%s" % (qid, window))
        if len(eod) != 1:
            return
        c = re.search(r" conn=(\S+) client=\S+\[127\.0\.0\.2\] ", eod[0])
        r.expect(c is not None and CONN_ID.match(c.group(1)) is not None,
                 "no conn=conn-<10 hex digits> on the decision line: " + eod[0])
        if not c:
            return
        conn = c.group(1)
        early = [l for l in lines if l.startswith(conn + ": ")]
        r.expect(any(l.startswith(conn + ": rule #1 client-refused (monitor) would reject ")
                     for l in early)
                 and any(l.startswith(conn + ": decision client=") and "[127.0.0.2] " in l
                         and " stage=rcpt rule=client-refused action=continue " in l
                         for l in early),
                 "the connect lines do not start with %s:\n%s" % (conn, window))
        # Every line of this window is this connection's: its id or the queue id first.
        r.expect(all(l.startswith((conn + ": ", qid + ": ")) for l in lines if l.strip()),
                 "a line with neither %s nor %s first:\n%s" % (conn, qid, window))
