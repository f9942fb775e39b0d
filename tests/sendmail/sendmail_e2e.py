# SPDX-License-Identifier: Apache-2.0
# sendmail_e2e.py - end-to-end suite: milter-verdict behind a private, real
# Sendmail (Debian's sendmail-bin, unpacked by scripts/fetch-sendmail.sh into
# MV_SENDMAIL_ROOT). Run by run.sh (env MV_BIN, MV_SENDMAIL_ROOT).
#
# Order: preflight (binary, root, unpacked tree, m4, unshare) -> one private
# Sendmail attached with packaging/sendmail/milter-verdict.mc's lines -> each
# group in GROUPS, each with its own daemon(s) -> teardown in `finally` (also
# on SIGTERM/SIGINT/SIGHUP) -> one summary line "sendmail: N passed, M
# failed"; exit 1 on any failure.
#
# MV_SENDMAIL_GROUPS=replies,killed runs only the named groups;
# MV_SENDMAIL_KEEP=1 keeps the temp dir (Sendmail's log, queue, the daemons'
# logs) for a post-mortem.
import os
import re
import shutil
import signal
import sys
import tempfile
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))
sys.path.insert(0, HERE)

from harness.results import Results  # noqa: E402
from harness.sendmail_instance import sendmail_tree_ok  # noqa: E402
from sm_context import MILTER_MC, TOP, SmContext  # noqa: E402
from sm_cases import (replies, immediate, macros, content, monitor, reload,  # noqa: E402
                      killed, unix_socket, no_stall)

GROUPS = [
    ("replies", replies),
    ("immediate", immediate),
    ("macros", macros),
    ("content", content),
    ("monitor", monitor),
    ("reload", reload),
    ("killed", killed),
    ("unix-socket", unix_socket),
    ("no-stall", no_stall),
]

# Lines the killed groups provoke on purpose (the filter gone mid-session),
# and Sendmail's notes about clients that skip HELO.
EXPECTED_LOG = ["Milter (milter-verdict): ", "Milter: ", "didn't use HELO protocol"]


def root_is_mount_point():
    """True when / is the root of a mount (a machine or a container), False
    in a chroot into a plain directory, where the mounts outside the root
    are hidden from /proc/self/mountinfo and none is mounted at /."""
    try:
        with open("/proc/self/mountinfo") as f:
            return any(line.split()[4] == "/" for line in f if len(line.split()) > 4)
    except OSError:
        return True


def docs_quote_the_mc(r):
    with open(MILTER_MC) as f:
        active = [line for line in f.read().splitlines() if line and not line.startswith("dnl")]
    with open(os.path.join(TOP, "README.md")) as f:
        readme = f.read()
    with open(os.path.join(TOP, "man", "milter-verdict.8")) as f:
        man = f.read()
    r.expect(len(active) == 5, "milter-verdict.mc: %d active lines, expected 5" % len(active))
    for line in active:
        r.expect("\n    " + line + "\n" in readme, "README.md does not quote: %s" % line)
    spec = re.search(r"`S=[^']*'", active[0] if active else "")
    r.expect(spec and spec.group(0) in man,
             "milter-verdict(8) does not give the filter's %s" % (spec.group(0) if spec else "S="))


def _raise_exit(signum, _frame):
    raise SystemExit(128 + signum)


def main():
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, _raise_exit)
    results = Results(suite="sendmail")
    mv = os.environ.get("MV_BIN", "")
    root = os.environ.get("MV_SENDMAIL_ROOT", "")
    wanted = [g for g in os.environ.get("MV_SENDMAIL_GROUPS", "").split(",") if g]
    groups = [(n, m) for n, m in GROUPS if not wanted or n in wanted]

    if not (mv and os.access(mv, os.X_OK)):
        results.fail("preflight: MV_BIN is an executable", "MV_BIN=%r" % mv)
        return results.summary()
    if os.geteuid() != 0:
        results.fail("preflight: running as root",
                     "a private Sendmail (own mount namespace, queue owned by root) needs root")
        return results.summary()
    if not sendmail_tree_ok(root):
        results.fail("preflight: Sendmail unpacked", "MV_SENDMAIL_ROOT=%r: no sendmail binary "
                     "or cf/m4 (scripts/fetch-sendmail.sh)" % root)
        return results.summary()
    for tool in ("m4", "unshare", "mount"):
        if not shutil.which(tool):
            results.fail("preflight: %s installed" % tool,
                         "install it: scripts/install-deps.sh test")
            return results.summary()
    if not root_is_mount_point():
        results.fail("preflight: / is a mount point",
                     "Sendmail runs in a private mount namespace (unshare --propagation "
                     "private, then mounts over /dev and /etc), which needs / to be a mount "
                     "point; this looks like a chroot into a plain directory (bind-mount the "
                     "root onto itself before chroot, or run on a machine or container)")
        return results.summary()

    workdir = tempfile.mkdtemp(prefix="mv-sendmail-")
    os.chmod(workdir, 0o755)
    ctx = SmContext(mv, workdir, root)
    try:
        failed_before = results.failed
        with results.case("setup: private Sendmail built from a .mc with the packaged milter "
                          "lines listens on loopback") as r:
            ctx.start_sendmail()
            cf = ctx.sendmail.cf_text()
            r.expect("\nXmilter-verdict, S=%s, F=T, T=C:30s;S:30s;R:30s;E:5m\n"
                     % ctx.milter_socket in cf, "sendmail.cf lacks the filter line (X...)")
            r.expect("O Milter.macros.connect=j, _, {daemon_name}" in cf,
                     "sendmail.cf lacks the confMILTER_MACROS_CONNECT line")
        if results.failed != failed_before:
            return results.summary()
        with results.case("setup: README.md and milter-verdict(8) give the lines the tests use "
                          "(packaging/sendmail/milter-verdict.mc)") as r:
            docs_quote_the_mc(r)
        for name, module in groups:
            try:
                module.run(ctx, results)
            except Exception as e:  # a group that cannot start fails once
                results.fail("%s: group set-up" % name, "".join(
                    traceback.format_exception_only(type(e), e)).strip())
        with results.case("teardown: no SYSERR, panic or unexpected milter error in "
                          "Sendmail's log") as r:
            log = ctx.sendmail.log() if ctx.sendmail else ""
            odd = [line for line in log.splitlines()
                   if re.search(r"SYSERR|panic|[Ee]rror|[Ww]arning", line)
                   and not any(ok in line for ok in EXPECTED_LOG)]
            r.expect(not odd, "\n".join(odd[:10]))
    except SystemExit as e:
        results.fail("suite interrupted", "signal %d; the remaining groups did not run"
                     % (e.code - 128 if isinstance(e.code, int) else 0))
    finally:
        ctx.close()
        if os.environ.get("MV_SENDMAIL_KEEP") == "1":
            print("sendmail: kept %s" % workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return results.summary()


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
