# SPDX-License-Identifier: Apache-2.0
# context.py - what every case group shares: the binary, the temp dir, the
# private Postfix instance and the daemons started for the groups.
#
# Call order: Context(mv_bin, workdir) -> start_postfix() -> per group:
# start_daemon(config) ... stop_daemon(results, group) -> close().
# close() stops every daemon still running and Postfix, whatever happened
# before; e2e.py runs it from a `finally` and from its signal handlers.
#
# The daemon always listens on the same loopback port (milter_port), so
# Postfix's smtpd_milters never changes between groups and no Postfix reload
# is needed, except for the unix-socket group, which reconfigures it.
import mailbox
import os

from harness.daemon import MilterDaemon
from harness.net import free_port
from harness.postfix_instance import PostfixInstance
from harness.smtp_client import SmtpSession

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIGS = os.path.join(HERE, "configs")
MILTERTEST_DIR = os.path.join(HERE, "miltertest")


class Context:
    def __init__(self, mv_bin, workdir):
        self.mv_bin = mv_bin
        self.workdir = workdir
        self.milter_port = free_port()
        self.postfix = None
        self.daemons = []
        self._n = 0

    @property
    def milter_inet(self):
        return "inet:127.0.0.1:%d" % self.milter_port

    def config(self, name):
        return os.path.join(CONFIGS, name)

    def start_postfix(self, **extra):
        self.postfix = PostfixInstance(os.path.join(self.workdir, "postfix"),
                                       milters=self.milter_inet, **extra)
        self.postfix.start()

    def start_daemon(self, config, unix_path=None):
        self._n += 1
        d = MilterDaemon(self.mv_bin, config, self.workdir, unix_path=unix_path,
                         name="mv-%d" % self._n)
        if not unix_path:
            d.port = self.milter_port
        self.daemons.append(d)
        d.start()
        return d

    def stop_daemon(self, results, group, daemon):
        """SIGTERM the daemon; a case asserts it exits 0 within 10 s."""
        with results.case("%s: daemon exits 0 on SIGTERM" % group) as r:
            status = daemon.stop()
            r.expect_equal(status, 0, "exit status after SIGTERM (None = had to be killed)")
            if status != 0:
                r.expect(False, "daemon log tail:\n" + "\n".join(daemon.log().splitlines()[-15:]))

    def session(self, source="127.0.0.1"):
        return SmtpSession(self.postfix.smtp_port, source=source)

    def messages(self):
        """Messages delivered so far (the instance's mbox), as email.message objects."""
        path = os.path.join(self.postfix.mail_dir, "mbox")
        if not os.path.exists(path):
            return []
        box = mailbox.mbox(path, create=False)
        try:
            return list(box)
        finally:
            box.close()

    def delivered(self, subject):
        return [m for m in self.messages() if m.get("Subject") == subject]

    def close(self):
        for d in self.daemons:
            try:
                d.stop(timeout=5)
            except Exception:
                pass
        if self.postfix:
            self.postfix.stop()
