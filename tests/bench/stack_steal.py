#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# stack_steal.py - whole-system CPU and hypervisor steal per message, through
# the private Postfix, for milter-verdict beside the libmilter floor and
# (optionally) a peer milter, alternated rounds on a unix socket.
#
#   python3 tests/bench/stack_steal.py [ROUNDS]          # from the project root
#   MV_STEAL_PEER='/path/milter-regex -d -u nobody -m 0666 -c RULES -p {socket}'
#
# On a 2-core machine smtp-source, smtpd, cleanup and the milter together keep
# both cores busy, so messages/s is the inverse of the whole system's CPU per
# message; a round whose hypervisor steal (the "steal" column of /proc/stat)
# is not near zero measures the neighbours, not the subject. Not part of
# `make bench` or `make check`: an aid to reading the shapes part's ratios.
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from harness.postfix_instance import PostfixInstance  # noqa: E402

BUILD = os.environ.get("MV_BUILD", os.path.join(ROOT, "build"))
CONF = os.path.join(ROOT, "tests", "e2e", "configs", "shapes", "envelope.conf")
SUBJECTS = {
    "verdict": [os.path.join(BUILD, "milter-verdict"), "-f", "-c", CONF,
                "-p", "{socket}", "-l", "stderr"],
    "floor": [os.path.join(BUILD, "bench", "bin", "mv-floor"), "{socket}"],
}
if os.environ.get("MV_STEAL_PEER"):
    SUBJECTS["peer"] = os.environ["MV_STEAL_PEER"].split()
MSGS = int(os.environ.get("MV_STEAL_MSGS", "2000"))
TICK = os.sysconf("SC_CLK_TCK")


def cpu_ticks():
    """(busy without idle/iowait/steal, steal) of the whole machine."""
    v = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    return v[0] + v[1] + v[2] + v[5] + v[6], v[7]


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    names = list(SUBJECTS)
    work = tempfile.mkdtemp(prefix="mv-steal-")
    os.chmod(work, 0o755)
    pf = PostfixInstance(work, milters="")
    pf.reconfigure(virtual_transport="discard:benchmark", default_process_limit="100")
    pf.start()
    try:
        for r in range(rounds):
            for name in names if r % 2 == 0 else names[::-1]:
                path = os.path.join(work, name + ".sock")
                spec = "unix:" + path
                with open(os.path.join(work, name + ".log"), "w") as log:
                    proc = subprocess.Popen([a.replace("{socket}", spec) for a in SUBJECTS[name]],
                                            stdout=log, stderr=log)
                try:
                    for _ in range(200):
                        if os.path.exists(path):
                            break
                        time.sleep(0.05)
                    time.sleep(0.3)
                    os.chmod(path, 0o666)
                    pf.reconfigure(smtpd_milters=spec)
                    src = ["smtp-source", "-s", "10", "-l", "1024", "-f", "s@example.net",
                           "-t", "rcpt@example.test", "127.0.0.1:%d" % pf.smtp_port]
                    subprocess.run(src[:1] + ["-m", "300"] + src[1:], check=True, timeout=120)
                    b0, s0 = cpu_ticks()
                    t0 = time.monotonic()
                    subprocess.run(src[:1] + ["-m", str(MSGS)] + src[1:], check=True, timeout=600)
                    dt = time.monotonic() - t0
                    b1, s1 = cpu_ticks()
                finally:
                    proc.terminate()
                    proc.wait(timeout=10)
                print("%-8s round %d: %5.0f msg/s, system CPU %.3f ms/msg, steal %.3f ms/msg"
                      % (name, r, MSGS / dt, (b1 - b0) * 1000.0 / TICK / MSGS,
                         (s1 - s0) * 1000.0 / TICK / MSGS), flush=True)
    finally:
        pf.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
