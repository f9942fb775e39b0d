# SPDX-License-Identifier: Apache-2.0
# net.py - loopback ports and "is it listening yet" checks without side effects.
#
# free_port() picks an unused 127.0.0.1 port below the ephemeral range. wait_listening()
# and wait_unix_listening() poll /proc/net/tcp and /proc/net/unix instead of
# connecting, so a probe never becomes a spurious milter or SMTP session in
# the logs under test. Every wait has a timeout and returns False on expiry.
#
# Errors: HarnessError is the harness's own failure (a tool or an instance
# that cannot start), reported as a failed case, never as a crash.
import os
import random
import socket
import time


class HarnessError(Exception):
    pass


_handed_out = set()
_rng = random.Random(os.getpid() ^ time.time_ns())


def _ephemeral_low():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port():
    """An unused 127.0.0.1 port below the kernel's ephemeral range.

    A port the kernel hands out for bind(0) comes from the ephemeral range,
    the same range every outgoing connection takes its source port from: on
    a busy machine (or in this suite's own parallel sessions) a client could
    take it between this pick and the server's bind, and the server fails
    with "Address already in use". Ports below the range are never taken
    that way; each is handed out once per process."""
    high = min(_ephemeral_low(), 65536) - 1
    low = max(10000, high - 12000)
    for _ in range(500):
        port = _rng.randint(low, high)
        if port in _handed_out:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tcp_listening(port):
    want = ":%04X" % port
    for table in ("/proc/net/tcp",):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    cols = line.split()
                    # local_address 0100007F:PORT, state 0A = LISTEN
                    if cols[1].endswith(want) and cols[3] == "0A":
                        return True
        except OSError:
            pass
    return False


def _unix_listening(path):
    try:
        with open("/proc/net/unix") as f:
            next(f)
            for line in f:
                cols = line.split()
                # Flags 00010000 = __SO_ACCEPTCON (listening); path is the last column.
                if len(cols) >= 8 and cols[-1] == path and cols[3] == "00010000":
                    return True
    except OSError:
        pass
    return False


def _wait(check, timeout, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return check()


def wait_listening(port, timeout=10.0):
    return _wait(lambda: _tcp_listening(port), timeout)


def wait_not_listening(port, timeout=10.0):
    return _wait(lambda: not _tcp_listening(port), timeout)


def wait_unix_listening(path, timeout=10.0):
    return _wait(lambda: _unix_listening(path), timeout)
