# SPDX-License-Identifier: Apache-2.0
# odd_macros.py - SMFIC_MACRO packets whose names and values do not pair up
# (issue 29, point 1), sent raw (harness/milter_client.py) to the running daemon.
#
# libmilter stores such a packet as an argv with an odd number of strings and
# smfi_getsymval() then reads past that array: one packet ("D" "Cj\0") killed
# the daemon (docs/upstream/libmilter-odd-macro-oob-read.md). The daemon's
# guard (plugin/milter/macro_guard.hpp) must end that one connection before
# libmilter stores the packet, log "malformed macro packet", and go on
# serving: after every case the daemon is running and answers a whole
# transaction with its policy (healthy.lua, and a raw transaction whose
# recipients get replies.conf's answers). Well-formed packets next to them
# (a stage with no macros, pairs) must not be refused.
from harness.milter_client import MilterClient, MilterClosed

GROUP = "protocol"

# The steps of one transaction: (stage byte of the macros sent before it, step).
STEPS = [
    ("C", lambda c: c.connect_info()),
    ("H", lambda c: c.helo("client.example.test")),
    ("M", lambda c: c.mail("sender@example.test")),
    ("R", lambda c: c.rcpt("ok@example.test")),
    ("T", lambda c: c.data()),
    (None, lambda c: c.header("Subject", "odd macros")),
    ("N", lambda c: c.eoh()),
    (None, lambda c: c.body(b"hello\r\n")),
    ("E", lambda c: c.eom()),
]

# (what, stage, payload after the stage byte); each has an odd number of NULs
# or does not end in one.
MALFORMED = [
    ("one name without a value (\"D\" \"Cj\\0\")", "C", b"j\0"),
    ("three strings", "C", b"j\0mx.example.test\0i\0"),
    ("a value without its NUL (\"Cj\\0v\")", "C", b"j\0v"),
    ("no NUL at all", "C", b"junk"),
    ("one name at HELO", "H", b"{tls_version}\0"),
    ("one name at MAIL", "M", b"{mail_addr}\0"),
    ("one name at RCPT", "R", b"{rcpt_addr}\0"),
    ("one name at DATA", "T", b"i\0"),
    ("one name at end of headers", "N", b"i\0"),
    ("one name at end of message", "E", b"i\0"),
]

WELL_FORMED = [
    ("a stage with no macros (\"D\" \"C\")", "C", b""),
    ("one name and its value", "C", b"j\0mx.example.test\0"),
    ("an empty name and an empty value", "C", b"\0\0"),
]


def play(daemon, stage, payload):
    """A transaction with `payload` sent as stage `stage`'s macros. Returns
    (closed, replies): closed is the step at which the daemon closed the
    connection (None when the transaction completed)."""
    c = MilterClient(daemon.port)
    replies = []
    try:
        c.negotiate()
        for step_stage, step in STEPS:
            if step_stage == stage:
                c._send("D", stage.encode() + payload)
            elif step_stage == "C":
                c.macro("C", [("j", "mx.example.test")])
            try:
                replies.append(step(c))
            except MilterClosed:
                return step_stage or "?", replies
        return None, replies
    finally:
        c.close()


def healthy_transaction(daemon, r):
    """A raw transaction: replies.conf accepts ok@ and refuses blocked@ at RCPT."""
    c = MilterClient(daemon.port)
    try:
        c.negotiate()
        c.macro("C", [("j", "mx.example.test")])
        c.connect_info()
        c.helo("client.example.test")
        c.mail("sender@example.test")
        ok = c.rcpt("ok@example.test")
        r.expect(ok is None or ok[0] == "c", "RCPT ok@example.test: %r" % (ok,))
        refused = c.rcpt("blocked@example.test")
        r.expect(refused is not None and refused[0] == "y" and
                 refused[1].startswith(b"550 5.7.1 Recipient ") and
                 b"blocked@example.test" in refused[1] and
                 b"refused by the e2e policy" in refused[1],
                 "RCPT blocked@example.test: want 550 5.7.1 from recipient-refused, got %r"
                 % (refused,))
        c.quit()
    except MilterClosed as e:
        r.expect(False, "ordinary transaction after the odd packets: %s" % e)


def run_cases(ctx, results, daemon, healthy):
    for what, stage, payload in MALFORMED:
        with results.case("%s: malformed macro packet, %s: that connection is closed, the "
                          "daemon stays up and answers the next connection" % (GROUP, what)) as r:
            warnings = daemon.log().count("malformed macro packet")
            closed, _ = play(daemon, stage, payload)
            r.expect(closed is not None,
                     "the transaction went on to its end after the malformed packet")
            r.expect(closed == stage,
                     "closed at step %r, want at the step the macros were for (%r)"
                     % (closed, stage))
            r.expect(daemon.running(), "daemon died; log tail:\n" +
                     "\n".join(daemon.log().splitlines()[-15:]))
            if daemon.running():
                r.expect(daemon.log().count("malformed macro packet") == warnings + 1,
                         "one 'malformed macro packet' warning in the log; tail:\n" +
                         "\n".join(daemon.log().splitlines()[-5:]))
                healthy_transaction(daemon, r)
                status, out = healthy()
                r.expect_equal(status, 0, "next connection (healthy.lua); output:\n" + out)
    for what, stage, payload in WELL_FORMED:
        with results.case("%s: well-formed macro packet, %s: the transaction completes"
                          % (GROUP, what)) as r:
            closed, replies = play(daemon, stage, payload)
            r.expect(closed is None, "closed at step %r" % (closed,))
            r.expect(replies and replies[-1] is not None and replies[-1][0] in "acdrty",
                     "end of message reply: %r" % (replies[-1:],))
