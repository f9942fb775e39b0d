# SPDX-License-Identifier: Apache-2.0
# replies.py - the exact reply lines Sendmail sends for milter-verdict's
# verdicts, with the Postfix suite's policy (configs/replies.conf,
# delay_reject = true).
#
# Sendmail passes a milter's reply through its own message formatter
# (usrerr/fmtmsg): for basic codes 450, 550 and 553 at MAIL and RCPT it puts
# the address in front of the text of the first line, "550 5.7.1
# <rcpt>... text"; 421, 451, 452, 552 and 554, and every reply at DATA and end
# of message, go out as the daemon wrote them. The expected lines below say
# so case by case.
import time

from sm_context import ACCEPTED, DATA_OK, SmScenario, rcpt_ok

GROUP = "replies"

REJECT_RCPT = ["550 5.7.1 <blocked@example.test>... Recipient blocked@example.test refused "
               "by the e2e policy"]
TEMPFAIL_RCPT = ["450 4.7.1 <later@example.test>... Recipient deferred by the e2e policy"]
CLIENT_REJECT = ["550 5.7.1 <ok@example.test>... Client 127.0.0.2 refused by the e2e policy"]
HELO_REJECT = ["550 5.7.1 <ok@example.test>... HELO name refused by the e2e policy"]
MULTI = ["550-5.7.1 <multi@example.test>... Recipient refused by the e2e policy.",
         "550-5.7.1 This is the second line of the reply (100% sure),",
         "550 5.7.1 and this is the last one."]
DISCONNECT = ["421 4.7.0 Closing the session, e2e policy"]
EOM_REJECT = ["550 5.7.1 Content refused by the e2e policy"]
EOM_TEMPFAIL = ["451 4.7.1 Content deferred by the e2e policy"]
# Sendmail checks the HELO argument itself; '%' is not valid in a host name.
BAD_HELO = ["501 5.0.0 Invalid domain name"]


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.2)
    return predicate()


def pipelined(ctx, r):
    """PIPELINING: one write, then every reply in order, a refusal in the middle."""
    with ctx.session() as s:
        s.cmd("EHLO client.example.test")
        s.sock.sendall(b"MAIL FROM:<sender@example.test>\r\n"
                       b"RCPT TO:<blocked@example.test>\r\n"
                       b"RCPT TO:<ok@example.test>\r\n"
                       b"DATA\r\n")
        got = [s.read_reply() for _ in range(4)]
        r.expect_equal(got, [["250 2.1.0 <sender@example.test>... Sender ok"], REJECT_RCPT,
                             rcpt_ok("ok@example.test"), DATA_OK], "pipelined replies")
        queue_id = None
        if got[3] == DATA_OK:
            s.sock.sendall(b"Subject: e2e pipelined\r\n\r\nhello\r\n.\r\n")
            final = s.read_reply()
            m = ACCEPTED.match(final[0])
            r.expect(m, "end of data: %r" % final)
            queue_id = m.group(1) if m else None
        s.cmd("QUIT")
    ctx.sendmail.wait_mailbox(lambda t: "e2e pipelined" in t)
    r.expect_equal(len(ctx.delivered("e2e pipelined")), 1, "delivered copies of the message")
    # Every recipient goes to the one mbox file: Sendmail's delivery line says
    # for whom (it is logged right after the mbox is written).
    if queue_id:
        ctx.sendmail.wait_log("%s: to=" % queue_id, 5.0)
    log = ctx.sendmail.log()
    deliveries = [line for line in log.splitlines()
                  if queue_id and "%s: to=" % queue_id in line and "mailer=*file*" in line]
    r.expect(len(deliveries) == 1 and "ctladdr=<ok@example.test>" in deliveries[0],
             "Sendmail's delivery lines for %s: %r" % (queue_id, deliveries))


def run(ctx, results):
    daemon = ctx.start_daemon(ctx.config("replies.conf"))
    try:
        cases = {
            "recipient rejected 550 5.7.1 with custom text (Sendmail puts <rcpt>... before it); "
            "the next recipient is accepted":
                SmScenario(rcpts=[("blocked@example.test", REJECT_RCPT),
                                  ("ok@example.test", "ok")]),
            "tempfail without a code defaults to 450 4.7.1 at RCPT":
                SmScenario(rcpts=[("later@example.test", TEMPFAIL_RCPT)]),
            "client-address rule (127.0.0.2) delivered at RCPT, MAIL accepted first":
                SmScenario(source="127.0.0.2", rcpts=[("ok@example.test", CLIENT_REJECT)]),
            "HELO rule delivered at RCPT (delay_reject), EHLO and MAIL accepted first":
                SmScenario(helo="bad-helo.example.test",
                           rcpts=[("ok@example.test", HELO_REJECT)]),
            "HELO with '%' is refused by Sendmail itself (501 5.0.0), before the milter":
                SmScenario(helo="evil%s%n%%.example.test", helo_reply=BAD_HELO,
                           rcpts=[("ok@example.test", "ok")]),
            "multi-line reply: every line with code, enhanced code and mark, '%' intact":
                SmScenario(rcpts=[("multi@example.test", MULTI)]),
            "421 4.7.0 disconnect at RCPT closes the connection":
                SmScenario(rcpts=[("bye@example.test", DISCONNECT)],
                           closed_after="RCPT bye@example.test"),
            "end-of-message reject 550 5.7.1 after DATA, as written":
                SmScenario(sender="eom-reject@example.test", rcpts=[("ok@example.test", "ok")],
                           subject="e2e reject-at-eom", final_reply=EOM_REJECT),
            "tempfail at end of message defaults to 451 4.7.1":
                SmScenario(sender="eom-tempfail@example.test",
                           rcpts=[("ok@example.test", "ok")],
                           subject="e2e tempfail-at-eom", final_reply=EOM_TEMPFAIL),
            "discard: the client sees 250 at every step":
                SmScenario(sender="discard-me@example.test", rcpts=[("ok@example.test", "ok")],
                           subject="e2e discarded"),
        }
        for name, sc in cases.items():
            with results.case("%s: %s" % (GROUP, name)) as r:
                sc.run(ctx, r)

        clean_id = None
        with results.case("%s: clean message accepted; the daemon logs Sendmail's queue id"
                          % GROUP) as r:
            clean_id = SmScenario(rcpts=[("ok@example.test", "ok")], subject="e2e clean").run(
                ctx, r)
            r.expect(clean_id and daemon.wait_log(": %s: decision conn=conn-" % clean_id, 5.0),
                     "no '%s: decision' line in the daemon log (macro i):\n%s"
                     % (clean_id, "\n".join(daemon.log().splitlines()[-5:])))

        quarantine_id = None
        with results.case("%s: quarantine: 250 at every step, the message stays in Sendmail's "
                          "quarantine (hf file, q line and mailq -qQ give the reason)"
                          % GROUP) as r:
            quarantine_id = SmScenario(sender="quarantine-me@example.test",
                                       rcpts=[("ok@example.test", "ok")],
                                       subject="e2e quarantined").run(ctx, r)
            if quarantine_id:
                hf = "hf" + quarantine_id
                r.expect(wait_for(lambda: hf in ctx.sendmail.queue_files()),
                         "no %s in the queue: %r" % (hf, ctx.sendmail.queue_files()))
                if hf in ctx.sendmail.queue_files():
                    lines = ctx.sendmail.queue_file(hf).splitlines()
                    r.expect("qheld by the e2e policy" in lines,
                             "the hf file has no 'qheld by the e2e policy' line")
                listing = ctx.sendmail.mailq(quarantined=True)
                r.expect(quarantine_id in listing and "held by the e2e policy" in listing,
                         "mailq -qQ does not list %s with its reason:\n%s"
                         % (quarantine_id, listing))
                r.expect(wait_for(lambda: "quarantine=held by the e2e policy"
                                  in ctx.sendmail.log()),
                         "Sendmail did not log quarantine=held by the e2e policy"
                         + ctx.sendmail.log_tail(8))

        with results.case("%s: delivery matches the verdicts (clean delivered once, refused, "
                          "discarded and quarantined not)" % GROUP) as r:
            ctx.sendmail.wait_mailbox(lambda t: "e2e clean" in t)
            r.expect_equal(len(ctx.delivered("e2e clean")), 1, "copies of the clean message")
            time.sleep(1.5)  # a queue run (-q1s) would deliver anything wrongly queued
            for subject in ("e2e reject-at-eom", "e2e tempfail-at-eom", "e2e discarded",
                            "e2e quarantined"):
                r.expect(not ctx.delivered(subject), "message %r delivered" % subject)
        with results.case("%s: discard is logged by Sendmail (Milter: data, discard)" % GROUP) as r:
            r.expect(wait_for(lambda: "Milter: data, discard" in ctx.sendmail.log()),
                     "no 'Milter: data, discard' line" + ctx.sendmail.log_tail(8))
        if quarantine_id:
            ctx.sendmail.remove_queue_files(quarantine_id)  # later groups expect an empty queue
        with results.case("%s: pipelined MAIL, RCPT, RCPT, DATA get their replies in order"
                          % GROUP) as r:
            pipelined(ctx, r)
    finally:
        ctx.stop_daemon(results, GROUP, daemon)
