# SPDX-License-Identifier: Apache-2.0
# dns_server.py - a private authoritative DNS server (nsd) and a delaying proxy.
#
# Nsd(workdir, zones) writes an nsd.conf and one zone file per entry of
# `zones` ({"bl.dns.test": "zone file text"}) under workdir/nsd, picks a free
# loopback port and start() runs `nsd -d -c CONF` (foreground, its own
# session, no chroot, no user change, no remote control, IPv4 only) and
# waits until it answers a query. DnsProxy(workdir, upstream, rules,
# delay_ms) runs harness/dns_proxy.py the same way (drop or delay names by
# suffix). stop() sends SIGTERM and waits (SIGKILL after 10 s); both are
# idempotent and run from a `finally`. query() asks for an A record directly
# (for the harness's own checks, never for what the tests assert).
#
# Errors: start() raises HarnessError when nsd is missing
# (scripts/install-deps.sh test), exits, or does not answer in time.
import os
import shutil
import socket
import struct
import subprocess
import sys
import time

from harness.net import free_port, HarnessError

HERE = os.path.dirname(os.path.abspath(__file__))

NSD_CONF = """\
server:
    ip-address: 127.0.0.1
    port: {port}
    do-ip6: no
    username: ""
    chroot: ""
    zonesdir: "{dir}"
    zonelistfile: "{dir}/zone.list"
    database: ""
    xfrdfile: "{dir}/xfrd.state"
    xfrdir: "{dir}"
    pidfile: "{dir}/nsd.pid"
    logfile: "{dir}/nsd.log"
    server-count: 1
    verbosity: 1
    hide-version: yes
remote-control:
    control-enable: no
"""


def query(port, name, qtype=1, timeout=1.0):
    """(rcode, answer count) of one UDP query, or None without an answer."""
    q = struct.pack(">HHHHHH", 0x4d56, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\0" + struct.pack(">HH", qtype, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.sendto(q, ("127.0.0.1", port))
        r = s.recv(4096)
    except OSError:
        return None
    finally:
        s.close()
    if len(r) < 12:
        return None
    return r[3] & 0x0F, struct.unpack(">H", r[6:8])[0]


class _Process:
    def __init__(self, log_path):
        self.log_path = log_path
        self.proc = None
        self._log = None

    def _spawn(self, args):
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def stop(self, timeout=10.0):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if self._log:
            self._log.close()
            self._log = None

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""


class Nsd(_Process):
    def __init__(self, workdir, zones):
        self.dir = os.path.join(workdir, "nsd")
        os.makedirs(self.dir, exist_ok=True)
        super().__init__(os.path.join(self.dir, "nsd.out"))
        self.port = free_port()
        self.zones = zones
        conf = NSD_CONF.format(port=self.port, dir=self.dir)
        for name, text in zones.items():
            with open(os.path.join(self.dir, name + ".zone"), "w") as f:
                f.write(text)
            conf += "zone:\n    name: %s\n    zonefile: %s.zone\n" % (name, name)
        self.conf = os.path.join(self.dir, "nsd.conf")
        with open(self.conf, "w") as f:
            f.write(conf)

    def start(self, timeout=20.0):
        binary = shutil.which("nsd") or "/usr/sbin/nsd"
        if not os.access(binary, os.X_OK):
            raise HarnessError("nsd not installed (scripts/install-deps.sh test)")
        check = subprocess.run([shutil.which("nsd-checkconf") or "/usr/sbin/nsd-checkconf",
                                self.conf], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
        if check.returncode != 0:
            raise HarnessError("nsd-checkconf: " + check.stdout)
        self._spawn([binary, "-d", "-c", self.conf])
        probe = next(iter(self.zones))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise HarnessError("nsd exited with %d:\n%s" % (self.proc.returncode, self.log()))
            if query(self.port, probe, qtype=6, timeout=0.2) is not None:
                return
            time.sleep(0.1)
        raise HarnessError("nsd did not answer on 127.0.0.1:%d within %.0fs:\n%s"
                           % (self.port, timeout, self.log()))

    def log(self):
        text = super().log()
        try:
            with open(os.path.join(self.dir, "nsd.log")) as f:
                text += f.read()
        except OSError:
            pass
        return text


class DnsProxy(_Process):
    def __init__(self, workdir, upstream, rules=(), delay_ms=0, name="proxy"):
        super().__init__(os.path.join(workdir, "%s.log" % name))
        self.port = free_port()
        self.upstream = upstream
        self.rules = list(rules)
        self.delay_ms = delay_ms

    def start(self, timeout=10.0, probe=None):
        args = [sys.executable, os.path.join(HERE, "dns_proxy.py"), "--listen", str(self.port),
                "--upstream", str(self.upstream), "--delay-ms", str(self.delay_ms)]
        for r in self.rules:
            args += ["--rule", r]
        self._spawn(args)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise HarnessError("dns_proxy exited with %d:\n%s"
                                   % (self.proc.returncode, self.log()))
            if "listening" in self.log():
                return
            time.sleep(0.05)
        raise HarnessError("dns_proxy did not start:\n" + self.log())
