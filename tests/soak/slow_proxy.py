# SPDX-License-Identifier: Apache-2.0
# slow_proxy.py - a TCP proxy on loopback that can hold back, trickle or swell every answer.
#
# SlowProxy(target_port, mode) listens on a free 127.0.0.1 port and forwards
# each connection to 127.0.0.1:target_port (a redis-server). While `delay`
# is above 0 the answers are spoiled as `mode` says:
#   slow     every chunk from the server is sent `delay` seconds after it
#            arrived: a Redis that answers after 2 s;
#   trickle  every chunk is sent one byte every TRICKLE seconds (a peer that
#            keeps each read() short of a per-read timeout: issue 29);
#   huge     the answer is replaced by "$2147483648\r\n" (a 2 GB string)
#            and HUGE_CAP bytes of "x" as fast as the client reads, then the
#            connection says nothing more (issue 29).
# Requests go through at once. When the target does not answer a connect, the client's connection
# is closed (as a stopped Redis would refuse it).
#
# Hand-written rather than a tool (socat, toxiproxy): socat cannot delay a
# stream, toxiproxy is not in Debian 12; this is 80 lines of the standard
# library.
#
# Call order: SlowProxy(port) -> start() -> set_delay(seconds) ... -> stop().
# stop() closes the listener and every connection; the pump threads end with
# their sockets (daemon threads, bounded by the sockets' lifetime).
# ProxyProcess runs the same in a process of its own (main() below): in the
# soak's own process, 200 client threads holding the GIL delayed answers past
# the daemon's timeout_ms with no delay asked for.
import os
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "e2e"))
from harness.net import free_port, wait_listening, HarnessError  # noqa: E402


TRICKLE = 0.3
HUGE_CAP = 64 << 20


class SlowProxy:
    def __init__(self, target_port, mode="slow"):
        if mode not in ("slow", "trickle", "huge"):
            raise ValueError("mode %r" % mode)
        self.mode = mode
        self.target_port = target_port
        self.port = free_port()
        self.delay = 0.0
        self._listener = None
        self._socks = []
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self.connections = 0

    def start(self):
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", self.port))
        self._listener.listen(128)
        threading.Thread(target=self._accept, daemon=True).start()

    def set_delay(self, seconds):
        self.delay = seconds

    def _track(self, *socks):
        with self._lock:
            self._socks.extend(socks)

    def _accept(self):
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=2.0)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            self._track(client, upstream)
            threading.Thread(target=self._pump, args=(client, upstream, False),
                             daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, True),
                             daemon=True).start()

    def _pump(self, src, dst, answers):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if answers and self.delay > 0 and self.mode == "trickle":
                    for i in range(len(data)):
                        dst.sendall(data[i:i + 1])
                        if self._stopped.wait(TRICKLE):
                            break
                    continue
                if answers and self.delay > 0 and self.mode == "huge":
                    dst.sendall(b"$2147483648\r\n")
                    chunk = b"x" * 65536
                    for _ in range(HUGE_CAP // len(chunk)):
                        if self._stopped.is_set():
                            break
                        dst.sendall(chunk)  # raises once the client has closed
                    while not self._stopped.wait(0.5):  # then nothing more
                        if not src.recv(65536):
                            break
                    break
                if answers and self.delay > 0:
                    due = time.monotonic() + self.delay
                    while time.monotonic() < due and not self._stopped.is_set():
                        time.sleep(min(0.05, max(0.0, due - time.monotonic())))
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if answers:  # the server's side ended: both sockets are done
            with self._lock:
                for s in (src, dst):
                    if s in self._socks:
                        self._socks.remove(s)
                    s.close()

    def stop(self):
        self._stopped.set()
        if self._listener:
            self._listener.close()
        with self._lock:
            for s in self._socks:
                try:
                    s.close()
                except OSError:
                    pass
            self._socks = []


class ProxyProcess:
    """SlowProxy in its own process; set_delay(d) with d > 0 turns `mode` on
    (for "slow": answers held `delay` seconds), set_delay(0) off."""

    def __init__(self, target_port, delay=2.0, mode="slow"):
        self.target_port = target_port
        self.port = free_port()
        self.delay = delay
        self.mode = mode
        self.proc = None

    def start(self, timeout=10.0):
        self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__),
                                      str(self.target_port), str(self.port), str(self.delay),
                                      self.mode],
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        if not wait_listening(self.port, timeout):
            self.stop()
            raise HarnessError("slow_proxy did not listen on %d" % self.port)

    def set_delay(self, seconds):
        self.proc.send_signal(signal.SIGUSR1 if seconds > 0 else signal.SIGUSR2)

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


def main():
    """python3 slow_proxy.py TARGET_PORT LISTEN_PORT DELAY [MODE]: a process of its
    own (the soak's client threads would hold the GIL against it). SIGUSR1
    turns MODE on (slow: every answer held DELAY seconds), SIGUSR2 lets the
    answers through at once, SIGTERM ends."""
    target, listen, delay = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    proxy = SlowProxy(target, sys.argv[4] if len(sys.argv) > 4 else "slow")
    proxy.port = listen
    proxy.start()
    done = threading.Event()
    signal.signal(signal.SIGUSR1, lambda *_: proxy.set_delay(delay))
    signal.signal(signal.SIGUSR2, lambda *_: proxy.set_delay(0.0))
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    while not done.wait(1.0):
        pass
    proxy.stop()


if __name__ == "__main__":
    main()
