# SPDX-License-Identifier: Apache-2.0
# policy_daemon.py - milter-verdict as a Postfix policy service for one group.
#
# PolicyDaemon(binary, config, workdir, port) runs `binary -f -c CONFIG` (the
# configuration names the sockets: policy_socket = inet:PORT@127.0.0.1, and
# socket = "" for a policy-service-only daemon) in its own session, output in
# a log file, and waits until the policy port listens. The life cycle and the
# log helpers are MilterDaemon's (daemon.py): reload() SIGUSR1, kill()
# SIGKILL, stop() SIGTERM -> exit status; stop() is idempotent. `env`, when
# given, is the daemon's whole environment (e.g. ASAN_OPTIONS for a memory
# measurement).
#
# Errors: start() raises HarnessError with the daemon's log when the daemon
# exits or does not listen within its timeout.
import subprocess
import time

from harness.daemon import MilterDaemon
from harness.net import wait_listening, HarnessError


class PolicyDaemon(MilterDaemon):
    def __init__(self, binary, config, workdir, port, name="mv-policy", env=None):
        super().__init__(binary, config, workdir, name=name)
        self.port = port
        self.env = env

    @property
    def postfix_spec(self):
        """The policy socket as Postfix's check_policy_service names it."""
        return "inet:127.0.0.1:%d" % self.port

    def start(self, timeout=15.0):
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([self.binary, "-f", "-c", self.config],
                                     stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True,
                                     env=self.env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise HarnessError("milter-verdict exited with %d at start:\n%s"
                                   % (self.proc.returncode, self.log()))
            if wait_listening(self.port, 0.2):
                return
        raise HarnessError("milter-verdict did not listen on policy port %d within %.0fs:\n%s"
                           % (self.port, timeout, self.log()))
