# SPDX-License-Identifier: Apache-2.0
# immediate.py - delay_reject = false through Sendmail: what the client sees
# for a verdict delivered at connect, HELO, MAIL and DATA
# (tests/sendmail/configs/immediate.conf).
#
# What Sendmail 8.17 does with a milter's answer (srvrsmtp.c), asserted here:
#   connect, reject      greeting "554 <host> ESMTP not accepting messages", then
#                        "550 5.0.0 Command rejected" to MAIL, RCPT, ... (the
#                        milter's text is dropped; EHLO, NOOP, RSET, QUIT work)
#   connect, tempfail    normal greeting, "451 4.3.2 Please try again later" at MAIL
#   connect, 421         "421 4.7.0 <host> closing connection" instead of the
#                        greeting, then the connection is closed
#   HELO, reject/tempfail  EHLO answered 250 (no extensions), then the milter's own
#                        reply, as written, to every later mail command
#   HELO, 421            the milter's 421 answers EHLO; the connection is closed
#   MAIL                 as written; 450/550/553 get "<sender>... " before the text
#   DATA                 as written
import re
import subprocess

from sm_context import SmScenario, GREETING

GROUP = "immediate"
HOST = "mx.example.test"
NULL_EHLO = ["250-%s Hello [127.0.0.2], pleased to meet you" % HOST, "250 ENHANCEDSTATUSCODES"]
LOCAL_EHLO = ["250-%s Hello localhost [127.0.0.1], pleased to meet you" % HOST,
              "250 ENHANCEDSTATUSCODES"]
COMMAND_REJECTED = ["550 5.0.0 Command rejected"]
TRY_LATER = ["451 4.3.2 Please try again later"]
HELO_REJECT = ["550 5.7.1 HELO name refused by the e2e policy"]
HELO_TEMPFAIL = ["451 4.7.1 HELO name deferred by the e2e policy"]
HELO_CLOSED = ["421 4.7.0 HELO closed by the e2e policy"]
MAIL_TEMPFAIL = ["451 4.7.1 Sender deferred by the e2e policy"]
MAIL_REJECT = ["550 5.7.1 <refuse@example.test>... Sender refused by the e2e policy"]
DATA_REJECT = ["554 5.7.1 DATA refused by the e2e policy"]


def commands(ctx, r, source, helo, steps, greeting=GREETING):
    """One session: the greeting, then (command, expected reply) pairs."""
    with ctx.session(source) as s:
        r.expect_equal(s.greeting, greeting, "greeting")
        r.expect_equal(s.cmd("EHLO " + helo), steps[0], "reply to EHLO")
        for line, want in steps[1:]:
            r.expect_equal(s.cmd(line), want, "reply to " + line)
        s.quit()


def check_config_warns(ctx, r):
    """check-config --mta sendmail names the connect refusals whose text Sendmail drops."""
    p = subprocess.run([ctx.mv_bin, "check-config", "--mta", "sendmail", "-c",
                        ctx.config("immediate.conf")], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=60)
    out = p.stdout.decode("utf-8", "replace")
    r.expect_equal(p.returncode, 0, "check-config exit status")
    for rule in ("client-refused", "client-deferred", "client-closed"):
        r.expect(re.search(r"immediate\.conf:\d+: warning: rule '%s': under Sendmail a refusal "
                           r"at connect" % rule, out),
                 "no Sendmail warning for %s:\n%s" % (rule, out))
    r.expect(out.count("[--mta sendmail]") == 3, "Sendmail warnings:\n%s" % out)


def run(ctx, results):
    with results.case("%s: check-config --mta sendmail warns about the three connect refusals"
                      % GROUP) as r:
        check_config_warns(ctx, r)
    daemon = ctx.start_daemon(ctx.config("immediate.conf"))
    try:
        with results.case("%s: connect reject: 554 greeting, then 550 5.0.0 Command rejected "
                          "(Sendmail drops the milter's text)" % GROUP) as r:
            commands(ctx, r, "127.0.0.2", "client.example.test",
                     [NULL_EHLO, ("NOOP", ["250 2.0.0 OK"]),
                      ("MAIL FROM:<sender@example.test>", COMMAND_REJECTED),
                      ("RCPT TO:<ok@example.test>", COMMAND_REJECTED)],
                     greeting=["554 %s ESMTP not accepting messages" % HOST])
            # Sendmail knows the queue id (macro i) from the connection on.
            # The line starts with it, as Sendmail's own lines do.
            r.expect(re.search(r": \w{14}: decision conn=conn-[0-9a-f]{10} "
                               r"client=unknown\[127\.0\.0\.2\] helo=- "
                               r"stage=connect rule=client-refused action=reject", daemon.log()),
                     "no connect decision with Sendmail's queue id in the daemon log:\n%s"
                     % "\n".join(daemon.log().splitlines()[-5:]))
        with results.case("%s: connect tempfail: 220, then 451 4.3.2 Please try again later "
                          "at MAIL" % GROUP) as r:
            with ctx.session("127.0.0.3") as s:
                r.expect_equal(s.greeting, GREETING, "greeting")
                s.cmd("EHLO client.example.test")
                r.expect_equal(s.cmd("MAIL FROM:<sender@example.test>"), TRY_LATER, "MAIL")
                s.quit()
        with results.case("%s: connect disconnect: 421 4.7.0 <host> closing connection, "
                          "closed" % GROUP) as r:
            s = ctx.session("127.0.0.4")
            try:
                r.expect_equal(s.greeting, ["421 4.7.0 %s closing connection" % HOST], "greeting")
                r.expect(s.is_closed(), "connection still open after the 421 greeting")
            finally:
                s.close()
        with results.case("%s: HELO reject: EHLO 250, then the milter's 550 5.7.1 text to every "
                          "command" % GROUP) as r:
            commands(ctx, r, "127.0.0.1", "bad-helo.example.test",
                     [LOCAL_EHLO, ("MAIL FROM:<sender@example.test>", HELO_REJECT),
                      ("RCPT TO:<ok@example.test>", HELO_REJECT), ("DATA", HELO_REJECT)])
        with results.case("%s: HELO tempfail: EHLO 250, then the milter's 451 4.7.1 text"
                          % GROUP) as r:
            commands(ctx, r, "127.0.0.1", "later-helo.example.test",
                     [LOCAL_EHLO, ("MAIL FROM:<sender@example.test>", HELO_TEMPFAIL),
                      ("RCPT TO:<ok@example.test>", HELO_TEMPFAIL)])
        with results.case("%s: HELO disconnect: the milter's 421 answers EHLO, closed"
                          % GROUP) as r:
            SmScenario(helo="bye-helo.example.test", helo_reply=HELO_CLOSED,
                       closed_after="EHLO").run(ctx, r)
        with results.case("%s: MAIL tempfail 451 4.7.1 as written" % GROUP) as r:
            SmScenario(sender="defer@example.test", mail_reply=MAIL_TEMPFAIL).run(ctx, r)
        with results.case("%s: MAIL reject 550 5.7.1 with <sender>... before the text"
                          % GROUP) as r:
            SmScenario(sender="refuse@example.test", mail_reply=MAIL_REJECT).run(ctx, r)
        with results.case("%s: DATA reject defaults to 554 5.7.1, as written" % GROUP) as r:
            SmScenario(sender="data-refuse@example.test", rcpts=[("ok@example.test", "ok")],
                       subject="e2e data refused", data_reply=DATA_REJECT).run(ctx, r)
        with results.case("%s: other clients and senders pass" % GROUP) as r:
            SmScenario(rcpts=[("ok@example.test", "ok")], subject="e2e immediate clean").run(
                ctx, r)
            ctx.sendmail.wait_mailbox(lambda t: "e2e immediate clean" in t)
            r.expect_equal(len(ctx.delivered("e2e immediate clean")), 1, "delivered copies")
    finally:
        ctx.stop_daemon(results, GROUP, daemon)
