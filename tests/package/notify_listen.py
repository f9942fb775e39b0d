#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""notify_listen.py PATH - stand in for systemd's notify socket (sd_notify(3)).

Binds a unix datagram socket at PATH and prints every message received, one
per line ("READY=1", "STATUS=...", newlines inside a message shown as " | "),
so the package test can check the daemon's Type=notify protocol without
systemd as PID 1. Exits after 300 s at most, or when killed.
"""
import os
import socket
import sys
import time


def main():
    path = sys.argv[1]
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    os.chmod(path, 0o666)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        sock.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            data = sock.recv(4096)
        except socket.timeout:
            break
        print(data.decode("utf-8", "replace").strip().replace("\n", " | "), flush=True)


if __name__ == "__main__":
    main()
