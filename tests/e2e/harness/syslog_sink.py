# SPDX-License-Identifier: Apache-2.0
# syslog_sink.py - a private syslog receiver: a datagram unix socket whose
# messages are appended, one per line, to a log file.
#
# Sendmail logs only through syslog(3), which writes to /dev/log. The
# Sendmail instance runs in a mount namespace of its own in which /dev/log
# is a link to this socket (sendmail_instance.py), so its log lands in the
# test's temp dir and nothing reaches (or needs) the machine's syslog.
#
# Call order: SyslogSink(socket_path, log_path) -> start() -> text() ... ->
# stop(). stop() is idempotent; the reader thread polls (0.2 s) for it and is
# a daemon thread. Each message keeps its "<PRI>" prefix and timestamp as
# sent; a trailing NUL or newline is dropped.
import os
import socket
import threading

MAX_MESSAGE = 64 * 1024


class SyslogSink:
    def __init__(self, socket_path, log_path):
        self.socket_path = socket_path
        self.log_path = log_path
        self._sock = None
        self._thread = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    def start(self):
        if self._sock is not None:
            return
        try:
            os.unlink(self.socket_path)
        except FileNotFoundError:
            pass
        os.makedirs(os.path.dirname(self.log_path), exist_ok=True)
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.bind(self.socket_path)
        self._sock.settimeout(0.2)  # the reader checks for stop() this often
        # Sendmail's delivery agents run as the default user, not root.
        os.chmod(self.socket_path, 0o666)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        sock = self._sock
        with open(self.log_path, "ab", buffering=0) as out:
            while not self._stopping.is_set():
                try:
                    data = sock.recv(MAX_MESSAGE)
                except socket.timeout:
                    continue
                except OSError:
                    return
                with self._lock:
                    out.write(data.rstrip(b"\0\n") + b"\n")

    def text(self):
        with self._lock:
            try:
                with open(self.log_path, "rb") as f:
                    return f.read().decode("utf-8", "replace")
            except FileNotFoundError:
                return ""

    def stop(self):
        if self._sock is None:
            return
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(5)
        self._sock.close()
        self._sock = None
        try:
            os.unlink(self.socket_path)
        except FileNotFoundError:
            pass
