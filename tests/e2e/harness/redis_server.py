# SPDX-License-Identifier: Apache-2.0
# redis_server.py - a private redis-server on a loopback port for the state cases.
#
# RedisServer(workdir) picks a free port once; start() runs
# `redis-server --port P --bind 127.0.0.1 --save '' --appendonly no` in its own
# session and waits (10 s at most) until it listens; stop() sends SIGTERM and
# waits (SIGKILL after 10 s). start() after stop() reuses the port, so a case
# can stop Redis mid-test and bring it back. stop() is idempotent and is run
# from a `finally`.
#
# Errors: start() raises HarnessError when redis-server is missing, exits, or
# does not listen in time (the group then fails: it never skips).
import os
import shutil
import subprocess
import time

from harness.net import free_port, wait_listening, wait_not_listening, HarnessError


class RedisServer:
    def __init__(self, workdir):
        self.port = free_port()
        self.log_path = os.path.join(workdir, "redis.log")
        self.proc = None

    def start(self, timeout=10.0):
        binary = shutil.which("redis-server")
        if not binary:
            raise HarnessError("redis-server not installed (scripts/install-deps.sh test)")
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--daemonize", "no", "--logfile", self.log_path],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise HarnessError("redis-server exited with %d at start" % self.proc.returncode)
            if wait_listening(self.port, 0.2):
                return
        raise HarnessError("redis-server did not listen on %d within %.0fs" % (self.port, timeout))

    def stop(self, timeout=10.0):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        wait_not_listening(self.port, 5.0)
