# net.py - loopback ports and "is it listening yet" checks without side effects.
#
# free_port() asks the kernel for an unused 127.0.0.1 port. wait_listening()
# and wait_unix_listening() poll /proc/net/tcp and /proc/net/unix instead of
# connecting, so a probe never becomes a spurious milter or SMTP session in
# the logs under test. Every wait has a timeout and returns False on expiry.
#
# Errors: HarnessError is the harness's own failure (a tool or an instance
# that cannot start), reported as a failed case, never as a crash.
import socket
import time


class HarnessError(Exception):
    pass


def free_port():
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
