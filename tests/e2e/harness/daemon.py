# SPDX-License-Identifier: Apache-2.0
# daemon.py - run milter-verdict in the foreground for one group of cases.
#
# MilterDaemon(binary, config, workdir) picks a free loopback port (or takes a
# unix socket path), start() runs `binary -f -c CONFIG -p SOCKET` in its own
# session with stdout+stderr in a log file and waits until the socket
# listens. reload() sends SIGUSR1, kill() SIGKILL, stop() SIGTERM and returns
# the exit status (None when it had to be killed). stop() is idempotent and
# is always run from a `finally`, so no daemon outlives the suite.
#
# Errors: start() raises HarnessError with the daemon's log when the daemon
# exits or does not listen within its timeout.
import os
import signal
import subprocess
import time

from harness.net import free_port, wait_listening, wait_unix_listening, HarnessError


class MilterDaemon:
    def __init__(self, binary, config, workdir, unix_path=None, name="mv", extra_args=(),
                 umask=-1):
        self.binary = binary
        self.extra_args = list(extra_args)  # e.g. ["-u", "nobody"]
        self.umask = umask                  # the daemon's umask (-1: ours)
        self.config = config
        self.unix_path = unix_path
        self.port = None if unix_path else free_port()
        self.log_path = os.path.join(workdir, "%s.log" % name)
        self.proc = None
        self._log = None

    @property
    def socket_spec(self):
        """The daemon's -p argument."""
        if self.unix_path:
            return "unix:%s" % self.unix_path
        return "inet:%d@127.0.0.1" % self.port

    @property
    def postfix_spec(self):
        """The same socket as Postfix's smtpd_milters names it."""
        if self.unix_path:
            return "unix:%s" % self.unix_path
        return "inet:127.0.0.1:%d" % self.port

    def start(self, timeout=15.0):
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([self.binary, "-f", "-c", self.config, "-p", self.socket_spec]
                                     + self.extra_args,
                                     stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True,
                                     umask=self.umask)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise HarnessError("milter-verdict exited with %d at start:\n%s"
                                   % (self.proc.returncode, self.log()))
            ok = (wait_unix_listening(self.unix_path, 0.2) if self.unix_path
                  else wait_listening(self.port, 0.2))
            if ok:
                return
        raise HarnessError("milter-verdict did not listen on %s within %.0fs:\n%s"
                           % (self.socket_spec, timeout, self.log()))

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def reload(self):
        self.proc.send_signal(signal.SIGUSR1)

    def kill(self):
        """SIGKILL: the daemon dies without any cleanup."""
        if self.running():
            self.proc.kill()
            self.proc.wait(10)

    def stop(self, timeout=10.0):
        """SIGTERM and wait; returns the exit status, None if it had to be SIGKILLed."""
        if self.proc is None:
            return None
        status = self.proc.poll()
        if status is None:
            self.proc.terminate()
            try:
                status = self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
                status = None
        if self._log:
            self._log.close()
            self._log = None
        return status

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def wait_log(self, text, timeout=10.0, start=0):
        """Wait until `text` appears in the log after offset `start`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log()[start:]:
                return True
            time.sleep(0.1)
        return text in self.log()[start:]
