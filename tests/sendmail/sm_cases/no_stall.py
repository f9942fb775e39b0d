# SPDX-License-Identifier: Apache-2.0
# no_stall.py - the Postfix suite's no-stall check (tests/e2e/cases/no_stall.py)
# through Sendmail: the same shapes, 20 sequential messages each on the unix
# socket of packaging/sendmail/milter-verdict.mc, beside a second Sendmail
# without milters (the MTA alone), one session of each in turn; the replies
# to EHLO, MAIL, RCPT, DATA and the final "." are held to the MTA alone's
# median and stall band as the Postfix suite's are.
#
# Why not inet: Sendmail writes the macros of each stage (SMFIC_MACRO, which
# gets no reply) apart from the command that follows them, and Debian's
# Sendmail is built without MILTER_NO_NAGLE, so on a TCP socket the
# command's write waits for the macro packet's ACK, which the milter host
# delays ~40 ms. That is Sendmail's write, whatever the milter: measured
# through this suite's Sendmail, milter-regex stalls at EHLO, MAIL and RCPT,
# milter-verdict (connect, HELO and MAIL negotiated without a reply) at RCPT
# and DATA. README.md (Sendmail) says so and gives the cures: the unix
# socket, or a "quickack 1" route to the loopback address. The inet figures
# are measured and printed here, not asserted.
import os

from cases import no_stall
from harness.sendmail_instance import SendmailInstance
from sm_context import milter_lines

GROUP = "no-stall"
SHAPES = ["envelope", "helo", "header", "header-body", "data-stage"]
ACCEPTED = "250 2.0.0 "  # then the queue id and "Message accepted for delivery"


def run(ctx, results):
    sockdir = os.path.join(ctx.workdir, "sock-no-stall")
    os.makedirs(sockdir, exist_ok=True)
    path = os.path.join(sockdir, "milter-verdict.sock")
    alone = SendmailInstance(os.path.join(ctx.workdir, "sendmail-alone"), ctx.sendmail_root, "")
    try:
        alone.start()
        try:
            ctx.sendmail.reconfigure(milter_lines("unix:" + path))
            for shape in SHAPES:
                config = ctx.config(os.path.join("shapes", shape + ".conf"))
                daemon = ctx.start_daemon(config, unix_path=path)
                try:
                    with results.case(no_stall.CASE % (
                            GROUP, shape, "unix", no_stall.MEDIAN_MARGIN_MS,
                            no_stall.SESSIONS * no_stall.PER_SESSION)) as r:
                        no_stall.check(ctx, r, shape, "unix", alone.smtp_port, queued=ACCEPTED)
                finally:
                    ctx.stop_daemon(results, GROUP, daemon)
        finally:
            ctx.sendmail.reconfigure(milter_lines(ctx.milter_socket))
        # Sendmail's own stall on inet is also the check's positive control:
        # the findings printed here are what a stalling milter would fail with.
        print("    on inet (measured, not asserted: Sendmail's own Nagle stall, see above):")
        for shape in SHAPES:
            daemon = ctx.start_daemon(ctx.config(os.path.join("shapes", shape + ".conf")))
            try:
                _, findings = no_stall.measure_once(ctx, shape, "inet", ACCEPTED, alone.smtp_port)
                print("    %s on inet: %s" % (shape, "; ".join(findings) or "no stall signature"))
            finally:
                ctx.stop_daemon(results, GROUP, daemon)
    finally:
        alone.stop()
