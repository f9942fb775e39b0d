# SPDX-License-Identifier: Apache-2.0
# unix_socket.py - the daemon on a unix socket, Sendmail attached with the
# packaging file's unix INPUT_MAIL_FILTER line (its path replaced by this
# run's). Sendmail connects to the filter as root here; the socket keeps the
# packaged mode 0660 (configs/unix.conf).
import os

from sm_context import SmScenario, milter_lines

GROUP = "unix-socket"
REJECT_RCPT = ["550 5.7.1 <blocked@example.test>... Recipient blocked@example.test refused "
               "by the e2e policy"]


def run(ctx, results):
    sockdir = os.path.join(ctx.workdir, "sock")
    os.makedirs(sockdir, exist_ok=True)
    path = os.path.join(sockdir, "milter-verdict.sock")
    daemon = None
    try:
        daemon = ctx.start_daemon(ctx.config("unix.conf"), unix_path=path)
        ctx.sendmail.reconfigure(milter_lines("unix:" + path))
        with results.case("%s: sendmail.cf names the unix socket" % GROUP) as r:
            r.expect("\nXmilter-verdict, S=unix:%s, F=T," % path in ctx.sendmail.cf_text(),
                     "no Xmilter-verdict line with S=unix:%s" % path)
        with results.case("%s: recipient rejected 550 5.7.1 through the unix socket" % GROUP) as r:
            SmScenario(rcpts=[("blocked@example.test", REJECT_RCPT),
                              ("ok@example.test", "ok")]).run(ctx, r)
        ctx.stop_daemon(results, GROUP, daemon)
        with results.case("%s: daemon stopped: F=T tempfails at MAIL" % GROUP) as r:
            SmScenario(mail_reply=["451 4.3.2 Please try again later"]).run(ctx, r)
        with results.case("%s: a restart on the same socket path answers again" % GROUP) as r:
            daemon = ctx.start_daemon(ctx.config("unix.conf"), unix_path=path)
            SmScenario(rcpts=[("blocked@example.test", REJECT_RCPT)]).run(ctx, r)
    finally:
        if daemon is not None and daemon.running():
            ctx.stop_daemon(results, GROUP, daemon)
        ctx.sendmail.reconfigure(milter_lines(ctx.milter_socket))
