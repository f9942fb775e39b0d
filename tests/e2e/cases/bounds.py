# SPDX-License-Identifier: Apache-2.0
# bounds.py - oversized and malformed input on the milter socket, sent raw
# (harness/milter_client.py) where miltertest cannot: values over the
# daemon's bounds, headers the daemon negotiated away, a packet over
# libmilter's size limit, NUL bytes inside values.
#
# The contract (plugin/policy/transaction.hpp, Limits): a value over its
# bound is refused with a temporary failure, never truncated silently; the
# daemon never crashes; the next connection gets policy answers. After each
# case healthy.lua (miltertest) checks the daemon still answers.
from harness.milter_client import MilterClient, MilterClosed

GROUP = "bounds"
BIG = "A" * 60000  # over the 4096-octet bound, under libmilter's 64 KiB packet limit


def temporary(reply):
    """A temporary refusal: SMFIR_TEMPFAIL or SMFIR_REPLYCODE with a 4xx code."""
    if reply is None:
        return False
    code, data = reply
    return code == "t" or (code == "y" and data[:1] == b"4")


def session(daemon):
    c = MilterClient(daemon.port)
    c.negotiate()
    c.macro("C", [("j", "mx.example.test")])
    c.connect_info()
    return c


def header_flood(daemon, r):
    c = session(daemon)
    try:
        c.helo("client.example.test")
        c.mail("sender@example.test")
        c.rcpt("ok@example.test")
        c.data()
        negotiated_away = bool(c.protocol & 0x20)
        bad = []
        for i in range(5000):
            rep = c.header("X-Flood-%d" % i, "value %d" % i)
            if rep is not None and rep[0] not in "ct":
                bad.append((i, rep))
                break
        r.expect(not bad, "unexpected reply to a header: %r" % bad)
        c.eoh()
        final = c.eom()
        if not negotiated_away:
            # It asked for headers: 5000 is over its bound, so no silent accept.
            r.expect(temporary(final), "eom after 5000 headers: %r, expected a tempfail" % (final,))
        else:
            r.expect(final[0] in "acty", "eom after 5000 headers: %r" % (final,))
        c.quit()
    except MilterClosed:
        r.expect(False, "daemon closed the connection during the header flood")


def huge_values(daemon, r):
    """One connection per oversized value: after a refusal an MTA sends no more."""
    try:
        c = session(daemon)
        rep = c.helo(BIG + ".example.test")
        # A HELO verdict may be held until MAIL/RCPT (delay_reject).
        if rep is not None and rep[0] == "c":
            rep = c.mail("sender@example.test")
            if rep is not None and rep[0] == "c":
                rep = c.rcpt("ok@example.test")
        r.expect(temporary(rep), "60000-octet HELO: first refusal %r, expected a tempfail"
                 % (rep,))
        c.quit()

        c = session(daemon)
        c.helo("client.example.test")
        rep = c.mail(BIG + "@example.test")
        r.expect(temporary(rep), "MAIL with a 60000-octet sender: %r, expected a tempfail"
                 % (rep,))
        c.quit()

        c = session(daemon)
        c.helo("client.example.test")
        c.mail("sender@example.test")
        rep = c.rcpt(BIG + "@example.test")
        r.expect(temporary(rep), "RCPT with a 60000-octet recipient: %r, expected a tempfail"
                 % (rep,))
        c.quit()
    except MilterClosed:
        r.expect(False, "daemon closed the connection on values under libmilter's limit")


def oversized_packet(daemon, r):
    c = session(daemon)
    try:
        c.helo("B" * 200000)  # libmilter drops a packet over its size limit
        rep = c.mail("sender@example.test")
        r.expect(rep is None or rep[0] in "cty", "after a 200000-octet packet: %r" % (rep,))
    except MilterClosed:
        pass  # the expected outcome: libmilter closes that connection
    finally:
        c.close()


def nul_bytes(daemon, r):
    c = session(daemon)
    try:
        for what, rep in (("HELO", c.helo(b"nul\0helo.example.test")),
                          ("MAIL", c.mail(b"nul\0sender@example.test".decode())),
                          ("RCPT", c.rcpt("ok@example.test")),
                          ("header", c.header("X-Nul", b"before\0after")),
                          ("body", c.body(b"body\0with\0nuls\r\n"))):
            r.expect(rep is None or rep[0] in "ctyr", "%s with NUL bytes: %r" % (what, rep))
        final = c.eom()
        r.expect(final[0] in "actyr", "eom: %r" % (final,))
        c.quit()
    except MilterClosed:
        r.expect(False, "daemon closed the connection on NUL bytes")


CASES = [
    ("5000 headers sent even if negotiated away: answered, never a silent accept of a "
     "message it asked to read", header_flood),
    ("60000-octet HELO, sender and recipient: refused with a tempfail, not truncated",
     huge_values),
    ("a 200000-octet packet (over libmilter's limit) drops only that connection", oversized_packet),
    ("NUL bytes inside HELO, sender, header and body values", nul_bytes),
]


def run_cases(ctx, results, daemon, healthy):
    for name, fn in CASES:
        with results.case("%s: %s; the daemon stays up and answers the next connection"
                          % (GROUP, name)) as r:
            fn(daemon, r)
            r.expect(daemon.running(), "daemon died; log tail:\n" +
                     "\n".join(daemon.log().splitlines()[-15:]))
            if daemon.running():
                status, out = healthy()
                r.expect_equal(status, 0, "next connection (healthy.lua); output:\n" + out)
