# configs.py - the e2e configurations themselves: every one the cases run
# loads cleanly with `check-config --strict`, and the broken one used by the
# reload cases is refused with exit 78, so a reload failure in reload.py
# means what it says.
import os
import subprocess

from harness.context import CONFIGS

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
