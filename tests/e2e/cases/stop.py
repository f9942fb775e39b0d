# SPDX-License-Identifier: Apache-2.0
# stop.py - an idle daemon exits at once on SIGTERM.
#
# The defect (issue 25 point 6): libmilter's listener holds its mutex while
# it polls the listening socket for up to 5 s (MI_CHK_TIME), and SIGTERM's
# handler in libmilter waits for that mutex, so an idle daemon took 2-5 s to
# stop (2018, 2023, 2032 ms; 3.5 s here) and every restart was that long a
# window of Postfix tempfails. plugin/milter/stop_waker.hpp wakes the
# listener. Each socket kind is measured RUNS times, SIGTERM sent 0.5 s after
# the daemon listens (inside the listener's 5 s poll, so the defect would
# cost at least 4 s); the case asserts every exit status is 0 and the median
# under LIMIT_S: the defect's own signature, not a tight bound a loaded
# machine could miss (the contract's 200 ms is printed, not asserted).
import os
import statistics
import time

GROUP = "stop"
RUNS = 3
LIMIT_S = 1.0


def _once(ctx, unix_path):
    d = ctx.start_daemon(ctx.config("replies.conf"), unix_path=unix_path)
    time.sleep(0.5)
    start = time.monotonic()
    status = d.stop(timeout=15.0)
    return time.monotonic() - start, status


def run(ctx, results):
    sockdir = os.path.join(ctx.workdir, "sock-stop")
    os.makedirs(sockdir, exist_ok=True)
    os.chmod(sockdir, 0o755)
    for kind in ("inet", "unix"):
        path = os.path.join(sockdir, "mv.sock") if kind == "unix" else None
        runs = [_once(ctx, path) for _ in range(RUNS)]
        times = [t for t, _ in runs]
        median = statistics.median(times)
        print("    %s: SIGTERM to exit %s ms (median %.0f ms; the contract's goal 200 ms)"
              % (kind, ", ".join("%.0f" % (t * 1000) for t in times), median * 1000))
        with results.case("%s: an idle daemon on %s exits 0 within %.1f s of SIGTERM "
                          "(median of %d runs; libmilter's 5 s listener poll held it 2-5 s)"
                          % (GROUP, kind, LIMIT_S, RUNS)) as r:
            r.expect(all(s == 0 for _, s in runs), "exit statuses %s"
                     % [s for _, s in runs])
            r.expect(median < LIMIT_S, "median %.2f s from SIGTERM to exit" % median)
