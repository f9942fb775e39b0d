#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""restart_window.py - the tempfail window of `systemctl restart` under traffic.

restart_window.py --port PORT --client ADDR --from SENDER --rcpt RCPT
    --start CMD --pre CMD --notify PATH --log FILE --pidfile FILE
    [--workers 4] [--warmup 2] [--after 3] [--pause 0.05] [--restarts 3] [--between 1.5]

Plays systemd for a Type=notify service without systemd as PID 1: binds the
notify socket PATH, starts the daemon with `sh -c CMD` (the unit's ExecStart
as the service user; NOTIFY_SOCKET set; output to FILE; its pid in --pidfile
for the caller's clean-up) and waits for READY=1. Then WORKERS clients send
mail through the Postfix on 127.0.0.1:PORT without a break (EHLO, XCLIENT
ADDR=ADDR, EHLO, MAIL, RCPT, DATA, QUIT, then PAUSE seconds), and after
WARMUP seconds the daemon is restarted as `systemctl restart` does: SIGTERM
and wait for the exit (TimeoutStopSec=30s), ExecStartPre (--pre CMD),
ExecStart, READY=1; RESTARTS times, BETWEEN seconds apart. The clients go on
for AFTER seconds more; then the daemon is stopped.

Prints, for each restart, its phases (stop, check, start to READY=1, in
ms), how many of the transactions around it Postfix answered with a 4xx
(milter_default_action = tempfail while the daemon is away) and the window:
from the start of the first transaction that got a 4xx to the end of the
last one; then the totals (5xx and unanswered transactions too). Last line,
for the caller: "result restart_ms=N (the longest) tempfailed=N (in all)
window_ms=N (the longest) total=N ok_after_ready=N rejected=N errors=N". Exit 1 only when
the daemon never became ready; every wait is bounded.
"""
import argparse
import os
import signal
import smtplib
import socket
import subprocess
import threading
import time


class Daemon:
    def __init__(self, args):
        self.args = args
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if os.path.exists(args.notify):
            os.unlink(args.notify)
        self.notify.bind(args.notify)
        os.chmod(args.notify, 0o666)
        self.proc = None

    def start(self):
        """ExecStart; returns the seconds until READY=1, or None."""
        env = dict(os.environ, NOTIFY_SOCKET=self.args.notify)
        with open(self.args.log, "ab") as log:
            self.proc = subprocess.Popen(["sh", "-c", self.args.start], env=env, stdout=log,
                                         stderr=subprocess.STDOUT)
        with open(self.args.pidfile, "w") as f:
            f.write(f"{self.proc.pid}\n")
        began = time.monotonic()
        deadline = began + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return None
            self.notify.settimeout(0.2)
            try:
                msg = self.notify.recv(4096).decode("utf-8", "replace")
            except socket.timeout:
                continue
            if "READY=1" in msg.split("\n"):
                return time.monotonic() - began
        return None

    def stop(self):
        """SIGTERM, then wait (TimeoutStopSec=30s, then SIGKILL as systemd would)."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def transaction(args, helo):
    """One transaction; returns 'ok', 'tempfail', 'reject' or 'error'."""
    try:
        smtp = smtplib.SMTP(timeout=15)
        code, _ = smtp.connect("127.0.0.1", args.port)
        if code != 220:
            return "tempfail" if 400 <= code < 500 else "error"
        replies = [smtp.ehlo(helo)[0], smtp.docmd("XCLIENT", f"ADDR={args.client} NAME=[UNAVAILABLE]")[0],
                   smtp.ehlo(helo)[0], smtp.docmd("MAIL", f"FROM:<{args.sender}>")[0]]
        if all(c < 400 for c in replies):
            replies.append(smtp.docmd("RCPT", f"TO:<{args.rcpt}>")[0])
        if all(c < 400 for c in replies):
            try:
                replies.append(smtp.data(b"Subject: restart window\r\n\r\nsteady traffic\r\n")[0])
            except smtplib.SMTPDataError as e:
                replies.append(e.smtp_code)
        try:
            smtp.docmd("QUIT")
            smtp.close()
        except (OSError, smtplib.SMTPException):
            pass
    except (OSError, smtplib.SMTPException):
        return "error"
    if any(400 <= c < 500 for c in replies):
        return "tempfail"
    if any(c >= 500 for c in replies):
        return "reject"
    return "ok"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--client", required=True)
    p.add_argument("--from", dest="sender", required=True)
    p.add_argument("--rcpt", required=True)
    p.add_argument("--start", required=True)
    p.add_argument("--pre", required=True)
    p.add_argument("--notify", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--pidfile", required=True)
    p.add_argument("--workers", type=int, default=4)
    p.add_argument("--warmup", type=float, default=2.0)
    p.add_argument("--after", type=float, default=3.0)
    p.add_argument("--pause", type=float, default=0.05)
    p.add_argument("--restarts", type=int, default=3)
    p.add_argument("--between", type=float, default=1.5)
    args = p.parse_args()

    daemon = Daemon(args)
    if daemon.start() is None:
        print("the daemon did not become ready (READY=1) within 20 s")
        print("result restart_ms=-1 tempfailed=0 window_ms=0 total=0 ok_after_ready=0 rejected=0 errors=0")
        return 1

    records = []  # (began, ended, outcome), monotonic seconds
    lock = threading.Lock()
    running = threading.Event()
    running.set()

    def worker(n):
        while running.is_set():
            began = time.monotonic()
            outcome = transaction(args, f"restart-{n}.example")
            with lock:
                records.append((began, time.monotonic(), outcome))
            time.sleep(args.pause)

    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(args.workers)]
    for t in threads:
        t.start()
    time.sleep(args.warmup)

    ms = lambda s: round(s * 1000)  # noqa: E731
    restarts = []  # (t0, t_stopped, t_checked, t_ready or None)
    for n in range(args.restarts):
        if n:
            time.sleep(args.between)
        t0 = time.monotonic()
        daemon.stop()
        t_stopped = time.monotonic()
        subprocess.run(["sh", "-c", args.pre], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=60, check=False)
        t_checked = time.monotonic()
        ready = daemon.start()
        restarts.append((t0, t_stopped, t_checked, time.monotonic() if ready is not None else None))
        if ready is None:
            break
    time.sleep(args.after)
    running.clear()
    for t in threads:
        t.join(timeout=30)
    all_ready = all(r[3] is not None for r in restarts)
    if all_ready:
        daemon.stop()

    total = len(records)
    span = records[-1][1] - records[0][0] if records else 0.0
    print(f"traffic: {args.workers} clients, {total} transactions in {span:.1f} s, "
          f"{len(restarts)} restarts")
    worst_window = 0
    worst_restart = 0
    tempfailed = 0
    for n, (t0, t_stopped, t_checked, t_ready) in enumerate(restarts):
        # The transactions around this restart: begun after the previous
        # restart's READY=1 and before the next restart's SIGTERM.
        lo = restarts[n - 1][3] if n else 0
        hi = restarts[n + 1][0] if n + 1 < len(restarts) else float("inf")
        near = [r for r in records if lo <= r[0] < hi]
        failed = [r for r in near if r[2] == "tempfail"]
        tempfailed += len(failed)
        restart_ms = ms(t_ready - t0) if t_ready is not None else -1
        worst_restart = max(worst_restart, restart_ms) if restart_ms >= 0 else -1
        line = (f"restart {n + 1} as systemctl does: SIGTERM to exit {ms(t_stopped - t0)} ms, "
                f"ExecStartPre (check-config) {ms(t_checked - t_stopped)} ms, ExecStart to READY=1 "
                f"{ms(t_ready - t_checked) if t_ready is not None else 'never'} ms, total {restart_ms} ms; "
                f"{len(failed)} of {len(near)} transactions answered 4xx")
        if failed:
            window = ms(max(r[1] for r in failed) - min(r[0] for r in failed))
            worst_window = max(worst_window, window)
            line += (f", window {window} ms (from {ms(min(r[0] for r in failed) - t0):+d} to "
                     f"{ms(max(r[1] for r in failed) - t0):+d} ms of SIGTERM)")
        print(line)
    rejected = sum(1 for r in records if r[2] == "reject")
    errors = sum(1 for r in records if r[2] == "error")
    last_ready = restarts[-1][3]
    ok_after = sum(1 for r in records if r[2] == "ok" and last_ready is not None and r[0] > last_ready)
    print(f"tempfail window: {tempfailed} transactions answered 4xx (milter_default_action = "
          f"tempfail) over {len(restarts)} restarts, longest window {worst_window} ms; "
          f"{rejected} answered 5xx, {errors} without an answer")
    print(f"result restart_ms={worst_restart if all_ready else -1} tempfailed={tempfailed} "
          f"window_ms={worst_window} total={total} ok_after_ready={ok_after} rejected={rejected} "
          f"errors={errors}")
    return 0 if all_ready else 1


if __name__ == "__main__":
    raise SystemExit(main())
