# SPDX-License-Identifier: Apache-2.0
# configs.py - the e2e configurations themselves: every one the cases run
# loads cleanly with `check-config --strict`, and the broken one used by the
# reload cases is refused with exit 78, so a reload failure in reload.py
# means what it says; the daemon itself refuses to start on it.
import os
import subprocess

from harness.context import CONFIGS
from harness.net import free_port

GROUP = "configs"
BROKEN = "reload-broken.conf"


def check_config(ctx, name):
    p = subprocess.run([ctx.mv_bin, "check-config", "--strict", "-c", os.path.join(CONFIGS, name)],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def run(ctx, results):
    for name in sorted(os.listdir(CONFIGS)):
        if not name.endswith(".conf"):
            continue
        want = 78 if name == BROKEN else 0
        with results.case("%s: check-config --strict %s exits %d" % (GROUP, name, want)) as r:
            status, out = check_config(ctx, name)
            r.expect_equal(status, want, "exit status; output:\n" + out)

    with results.case("%s: the daemon refuses to start on %s: exit 78, error at file:line"
                      % (GROUP, BROKEN)) as r:
        port = free_port()
        p = subprocess.Popen([ctx.mv_bin, "-f", "-c", os.path.join(CONFIGS, BROKEN),
                              "-p", "inet:%d@127.0.0.1" % port],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            out, _ = p.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()
            out, _ = p.communicate()
        r.expect_equal(p.returncode, 78, "exit status; output:\n" + out.decode("utf-8", "replace"))
        r.expect(b"reload-broken.conf:15: error:" in out, "the error is not reported as file:line")
