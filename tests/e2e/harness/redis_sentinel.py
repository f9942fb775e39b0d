# SPDX-License-Identifier: Apache-2.0
# redis_sentinel.py - a private Redis master, its replica and three Sentinels on loopback.
#
# RedisNode(workdir, name, replica_of=None) is one redis-server on a free
# 127.0.0.1 port (--save '' --appendonly no), optionally a replica of another
# node; start() waits (10 s at most) until it answers PING, kill() sends
# SIGKILL (a crash: no shutdown, no last write), stop() SIGTERM. start()
# after kill() reuses the port and the arguments.
#
# SentinelGroup(workdir, master, name, count=3) writes one configuration file
# per sentinel (quorum 2, down-after-milliseconds 1000, failover-timeout 3000,
# so a failover takes a few seconds) and runs redis-sentinel on free ports.
# wait_ready() waits until every sentinel sees the master and its replica;
# master_port() asks the sentinels where the master is now; wait_master(port)
# waits until a sentinel names that port.
#
# cli(port, *args) runs one redis-cli command and returns its output.
#
# Call order: nodes start() -> SentinelGroup.start() -> ... -> stop_all()
# from a `finally` (every process is stopped by its pid, SIGKILL after 10 s).
#
# Errors: HarnessError when a binary is missing (scripts/install-deps.sh test
# installs redis-server and redis-sentinel) or a process does not come up.
import os
import shutil
import signal
import subprocess
import time

from harness.net import free_port, wait_listening, wait_not_listening, HarnessError


def cli(port, *args, timeout=5):
    p = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(port)] + [str(a) for a in args],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout, text=True)
    return p.stdout.strip()


def _binary(name):
    path = shutil.which(name)
    if not path:
        raise HarnessError("%s not installed (scripts/install-deps.sh test)" % name)
    return path


class _Process:
    def __init__(self):
        self.proc = None

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def _stop(self, sig, timeout=10.0):
        if not self.running():
            return
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


class RedisNode(_Process):
    def __init__(self, workdir, name, replica_of=None):
        super().__init__()
        self.name = name
        self.port = free_port()
        self.dir = os.path.join(workdir, name)
        os.makedirs(self.dir, exist_ok=True)
        self.log_path = os.path.join(self.dir, "redis.log")
        self.replica_of = replica_of

    def start(self, timeout=10.0):
        args = [_binary("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", self.dir,
                "--logfile", self.log_path]
        if self.replica_of is not None:
            args += ["--replicaof", "127.0.0.1", str(self.replica_of.port)]
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise HarnessError("redis-server %s exited with %d at start"
                                   % (self.name, self.proc.returncode))
            if wait_listening(self.port, 0.2) and cli(self.port, "PING") == "PONG":
                return
        raise HarnessError("redis-server %s did not answer within %.0fs" % (self.name, timeout))

    def role(self):
        out = cli(self.port, "ROLE").splitlines()
        return out[0] if out else ""

    def kill(self):
        """SIGKILL: the server vanishes as in a crash."""
        self._stop(signal.SIGKILL)
        wait_not_listening(self.port, 5.0)

    def stop(self):
        self._stop(signal.SIGTERM)
        wait_not_listening(self.port, 5.0)


SENTINEL_CONF = """\
port {port}
bind 127.0.0.1
daemonize no
dir {dir}
logfile {log}
sentinel resolve-hostnames no
sentinel monitor {name} 127.0.0.1 {master_port} 2
sentinel down-after-milliseconds {name} 1000
sentinel failover-timeout {name} 3000
sentinel parallel-syncs {name} 1
"""


class Sentinel(_Process):
    def __init__(self, workdir, index, master, name):
        super().__init__()
        self.port = free_port()
        self.dir = os.path.join(workdir, "sentinel-%d" % index)
        os.makedirs(self.dir, exist_ok=True)
        self.conf = os.path.join(self.dir, "sentinel.conf")
        # Sentinel rewrites its file (it records what it learns): a copy per run.
        with open(self.conf, "w") as f:
            f.write(SENTINEL_CONF.format(port=self.port, dir=self.dir, name=name,
                                         log=os.path.join(self.dir, "sentinel.log"),
                                         master_port=master.port))

    def start(self, timeout=10.0):
        self.proc = subprocess.Popen([_binary("redis-sentinel"), self.conf],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        if not wait_listening(self.port, timeout):
            raise HarnessError("redis-sentinel on %d did not listen" % self.port)

    def stop(self):
        self._stop(signal.SIGTERM)


class SentinelGroup:
    def __init__(self, workdir, master, name="mvmaster", count=3):
        self.name = name
        self.sentinels = [Sentinel(workdir, i + 1, master, name) for i in range(count)]

    @property
    def addresses(self):
        return ["127.0.0.1:%d" % s.port for s in self.sentinels]

    def start(self):
        for s in self.sentinels:
            s.start()

    def master_port(self):
        """Where the sentinels say the master is (the first that answers), or None."""
        for s in self.sentinels:
            if not s.running():
                continue
            out = cli(s.port, "SENTINEL", "get-master-addr-by-name", self.name).splitlines()
            if len(out) == 2 and out[1].isdigit():
                return int(out[1])
        return None

    def wait_ready(self, replicas=1, timeout=30.0):
        """Every sentinel knows the master, its replicas and the other sentinels."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ok = True
            for s in self.sentinels:
                info = cli(s.port, "SENTINEL", "master", self.name).splitlines()
                fields = dict(zip(info[0::2], info[1::2]))
                if (fields.get("num-slaves") != str(replicas) or
                        fields.get("num-other-sentinels") != str(len(self.sentinels) - 1)):
                    ok = False
            if ok:
                return True
            time.sleep(0.2)
        return False

    def wait_master(self, port, timeout=30.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.master_port() == port:
                return True
            time.sleep(0.1)
        return False

    def stop(self):
        for s in self.sentinels:
            s.stop()
