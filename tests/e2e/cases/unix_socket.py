# unix_socket.py - the daemon on a unix socket, as with Debian's Postfix.
#
# Postfix's smtpd runs as `postfix`, so the socket must be writable by it:
# configs/unix.conf sets socket_mode 0660 and socket_group postfix, the set-up
# the packaging documents. Postfix is pointed at the socket for this group
# only (postconf + reload) and pointed back at the inet socket afterwards.
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
        with results.case("%s: recipient rejected 550 5.7.1 through unix:%s" % (GROUP, "...sock")) as r:
            Scenario(rcpts=[("blocked@example.test", REJECT_RCPT),
                            ("ok@example.test", OK_RCPT)]).run(ctx, r)
        with results.case("%s: the socket is not world-writable" % GROUP) as r:
            mode = os.stat(path).st_mode & 0o777
            r.expect(mode & 0o002 == 0, "socket mode %o is world-writable" % mode)
    finally:
        ctx.postfix.reconfigure(smtpd_milters=ctx.milter_inet)
        if daemon is not None:
            ctx.stop_daemon(results, GROUP, daemon)
            with results.case("%s: the socket file is removed on SIGTERM" % GROUP) as r:
                r.expect(not os.path.exists(path), "%s left behind" % path)
