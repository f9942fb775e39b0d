# SPDX-License-Identifier: Apache-2.0
# unix_socket.py - the daemon on a unix socket, as with Debian's Postfix.
#
# Postfix's smtpd runs as `postfix`, so the socket must be writable by it:
# configs/unix.conf sets socket_mode 0660 and socket_group postfix, the set-up
# the packaging documents. Postfix is pointed at the socket for this group
# only (postconf + reload) and pointed back at the inet socket afterwards.
import grp
import os

from harness.scenario import Scenario, OK_RCPT

GROUP = "unix-socket"
REJECT_RCPT = ["550 5.7.1 Recipient blocked@example.test refused by the e2e policy"]


def run(ctx, results):
    sockdir = os.path.join(ctx.workdir, "sock")
    os.makedirs(sockdir, exist_ok=True)
    os.chmod(sockdir, 0o755)
    path = os.path.join(sockdir, "milter-verdict.sock")
    daemon = None
    try:
        daemon = ctx.start_daemon(ctx.config("unix.conf"), unix_path=path)
        ctx.postfix.reconfigure(smtpd_milters="unix:" + path)
        with results.case("%s: recipient rejected 550 5.7.1 through the unix socket" % GROUP) as r:
            Scenario(rcpts=[("blocked@example.test", REJECT_RCPT),
                            ("ok@example.test", OK_RCPT)]).run(ctx, r)
        with results.case("%s: the socket has socket_mode 0660 and socket_group postfix"
                          % GROUP) as r:
            st = os.stat(path)
            r.expect_equal(oct(st.st_mode & 0o777), oct(0o660), "socket mode")
            r.expect_equal(grp.getgrgid(st.st_gid).gr_name, "postfix", "socket group")
        # SIGTERM may leave the socket file behind (libmilter does not always
        # unlink it); what matters is that a restart on the same path works.
        ctx.stop_daemon(results, GROUP, daemon)
        with results.case("%s: a restart on the same socket path answers again" % GROUP) as r:
            daemon = ctx.start_daemon(ctx.config("unix.conf"), unix_path=path)
            Scenario(rcpts=[("blocked@example.test", REJECT_RCPT)]).run(ctx, r)
    finally:
        ctx.postfix.reconfigure(smtpd_milters=ctx.milter_inet)
        if daemon is not None and daemon.running():
            ctx.stop_daemon(results, GROUP, daemon)
