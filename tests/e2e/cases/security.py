# SPDX-License-Identifier: Apache-2.0
# security.py - what the daemon refuses, and what it gives up, at start.
#
# Group "security":
#   * started as root with -u nobody -g nogroup, the daemon answers through
#     Postfix and runs with no capability left: CapEff, CapPrm and CapInh of
#     /proc/PID/status are all zero, Uid and Gid are nobody's;
#   * a unix socket without socket_mode, the daemon started with umask 000:
#     the socket is never writable by others, from the moment it exists;
#   * socket_mode = "0666" is refused at start (exit 78) with its reason;
#   * a Redis password in a configuration file every user can read is
#     refused at start (exit 78), and accepted once the file is 0640.
import os
import pwd
import stat
import subprocess
import threading
import time

from harness.daemon import MilterDaemon
from harness.scenario import Scenario

GROUP = "security"
REJECT_RCPT = ["550 5.7.1 Recipient blocked@example.test refused by the e2e policy"]

RULE = """rules = ( { name = "recipient-refused"; when = { rcpt = "blocked@example.test"; };
  action = "reject";
  reply = { code = 550; enhanced = "5.7.1"; text = "Recipient ${rcpt} refused by the e2e policy"; }; } );
"""


def status_fields(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key, _, value = line.partition(":")
            out[key] = value.strip()
    return out


def write(path, text, mode):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def start_fails(ctx, conf):
    """Run the daemon in the foreground on `conf`; (exit status, output) when it exits."""
    p = subprocess.run([ctx.mv_bin, "-f", "-c", conf, "-p", "inet:%d@127.0.0.1" % ctx.milter_port],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def run(ctx, results):
    nobody = pwd.getpwnam("nobody")
    conf = os.path.join(ctx.workdir, "security.conf")
    write(conf, 'daemon = { log = "stderr"; };\n' + RULE, 0o644)

    daemon = None
    try:
        with results.case("%s: after dropping to nobody the daemon runs with no capabilities"
                          % GROUP) as r:
            daemon = MilterDaemon(ctx.mv_bin, conf, ctx.workdir, name="mv-security",
                                  extra_args=["-u", "nobody", "-g", "nogroup"])
            daemon.port = ctx.milter_port
            ctx.daemons.append(daemon)
            daemon.start()
            Scenario(rcpts=[("blocked@example.test", REJECT_RCPT)]).run(ctx, r)
            f = status_fields(daemon.proc.pid)
            for cap in ("CapEff", "CapPrm", "CapInh", "CapAmb"):
                r.expect_equal(f.get(cap), "0000000000000000", cap + " in /proc/PID/status")
            r.expect_equal(f.get("Uid", "").split(), [str(nobody.pw_uid)] * 4, "Uid line")
            r.expect_equal(f.get("Gid", "").split(), [str(nobody.pw_gid)] * 4, "Gid line")
            r.expect_equal(f.get("Groups"), str(nobody.pw_gid), "supplementary groups")
        ctx.stop_daemon(results, GROUP, daemon)

        with results.case("%s: a unix socket is never writable by others, even with umask 000 "
                          "and no socket_mode" % GROUP) as r:
            sockdir = os.path.join(ctx.workdir, "security-sock")
            os.makedirs(sockdir, exist_ok=True)
            path = os.path.join(sockdir, "mv.sock")
            modes = []
            stop = threading.Event()

            def watch():  # every mode the socket has from its first moment
                while not stop.is_set():
                    try:
                        modes.append(stat.S_IMODE(os.stat(path).st_mode))
                    except FileNotFoundError:
                        pass
                    time.sleep(0.0005)

            t = threading.Thread(target=watch, daemon=True)
            t.start()
            daemon = MilterDaemon(ctx.mv_bin, conf, ctx.workdir, unix_path=path,
                                  name="mv-security-unix", umask=0)
            ctx.daemons.append(daemon)
            daemon.start()
            time.sleep(0.2)
            stop.set()
            t.join(5)
            r.expect(modes, "the socket was never seen")
            wide = sorted({oct(m) for m in modes if m & 0o007})
            r.expect(not wide, "modes open to others seen: %r" % wide)
            r.expect_equal(oct(stat.S_IMODE(os.stat(path).st_mode)), oct(0o660), "socket mode")
        ctx.stop_daemon(results, GROUP, daemon)

        with results.case("%s: socket_mode 0666 is refused at start (exit 78)" % GROUP) as r:
            wide = os.path.join(ctx.workdir, "security-wide.conf")
            write(wide, 'daemon = { log = "stderr"; socket_mode = "0666"; };\n' + RULE, 0o644)
            code, out = start_fails(ctx, wide)
            r.expect_equal(code, 78, "exit status")
            r.expect("bad socket_mode '0666': every local user could connect" in out,
                     "the reason is printed: %r" % out[-300:])

        with results.case("%s: a Redis password in a file every user can read is refused at "
                          "start (exit 78); mode 0640 is accepted" % GROUP) as r:
            secret = os.path.join(ctx.workdir, "security-redis.conf")
            text = ('daemon = { log = "stderr"; };\nstate = { backend = "redis";\n'
                    '  redis = { port = 1; password = "s3cret"; }; };\n'
                    'rules = ( { name = "r"; when = { rate_limit = { key = "sender"; '
                    'count = "message"; limit = "5/1m"; }; }; action = "tempfail"; } );\n')
            write(secret, text, 0o644)
            code, out = start_fails(ctx, secret)
            r.expect_equal(code, 78, "exit status with mode 0644")
            r.expect("redis password in %s, which every local user can read (mode 0644)"
                     % secret in out, "the reason is printed: %r" % out[-300:])
            os.chmod(secret, 0o640)
            p = subprocess.run([ctx.mv_bin, "-t", "-c", secret], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=30)
            r.expect_equal(p.returncode, 0, "-t exit status with mode 0640 (%s)"
                           % p.stdout.decode("utf-8", "replace").strip()[-200:])
    finally:
        if daemon is not None and daemon.running():
            ctx.stop_daemon(results, GROUP, daemon)
