# SPDX-License-Identifier: Apache-2.0
# hostile_redis.py - a fake Redis on loopback that answers too slowly or too much.
#
# HostileRedis(mode) listens on a free 127.0.0.1 port and answers the first
# bytes of every connection, whatever the command:
#   "trickle"  `reply` one byte every `interval` seconds (a peer that keeps
#              every read() short of a per-read timeout);
#   "huge"     "$2147483648\r\n" (a 2 GB string), then b"x" as fast as the
#              client reads, at most `cap` bytes, then silence.
# Each connection has a daemon thread; stop() closes the listener and every
# connection and joins the threads (bounded: each loop wakes every 50 ms).
# `connections` and `sent` count what it did. It never reads more than 64 KB
# at a time and never keeps what it reads.
#
# Used by cases/hostile_redis.py and the soak's "trickling" and "oversized"
# fault phases (tests/soak/soak.py).
import select
import socket
import threading
import time

HUGE_HEADER = b"$2147483648\r\n"


class HostileRedis:
    def __init__(self, mode, reply=b"+PONG" + b"G" * 200 + b"\r\n", interval=0.3,
                 cap=128 << 20):
        if mode not in ("trickle", "huge"):
            raise ValueError("mode %r" % mode)
        self.mode = mode
        self.reply = reply
        self.interval = interval
        self.cap = cap
        self.connections = 0
        self.sent = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = []
        self._socks = []
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port = self._listener.getsockname()[1]
        self._acceptor = threading.Thread(target=self._accept, daemon=True)
        self._acceptor.start()

    def _accept(self):
        while not self._stop.is_set():
            ready, _, _ = select.select([self._listener], [], [], 0.05)
            if not ready:
                continue
            try:
                conn, _ = self._listener.accept()
            except OSError:
                continue
            t = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            with self._lock:
                self.connections += 1
                self._socks.append(conn)
                self._threads.append(t)
            t.start()

    def _send(self, conn, data):
        view = memoryview(data)
        while view and not self._stop.is_set():
            _, ready, _ = select.select([], [conn], [], 0.05)
            if not ready:
                continue
            try:
                n = conn.send(view)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                return False  # the client closed or reset
            with self._lock:
                self.sent += n
            view = view[n:]
        return not self._stop.is_set()

    def _serve(self, conn):
        try:
            conn.setblocking(False)
            while not self._stop.is_set():  # the command, whatever it is
                ready, _, _ = select.select([conn], [], [], 0.05)
                if ready:
                    if not conn.recv(65536):
                        return
                    break
            if self.mode == "trickle":
                for i in range(len(self.reply)):
                    if not self._send(conn, self.reply[i:i + 1]) or self._stop.wait(self.interval):
                        return
            else:
                if not self._send(conn, HUGE_HEADER):
                    return
                chunk = b"x" * 65536
                done = 0
                while done < self.cap:
                    if not self._send(conn, chunk):
                        return
                    done += len(chunk)
            while not self._stop.is_set():  # silence until the client goes
                ready, _, _ = select.select([conn], [], [], 0.05)
                if ready:
                    try:
                        if not conn.recv(65536):
                            return
                    except OSError:
                        return
        except OSError:
            return
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def stop(self):
        self._stop.set()
        self._acceptor.join(5)
        self._listener.close()
        with self._lock:
            threads = list(self._threads)
        for t in threads:
            t.join(5)


def wait_until(predicate, timeout, step=0.05):
    """True as soon as predicate() is; False after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()
