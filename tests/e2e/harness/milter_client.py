# SPDX-License-Identifier: Apache-2.0
# milter_client.py - the MTA side of the milter protocol (version 6), raw.
#
# miltertest(8) keeps values in fixed 1 KiB buffers (longer HELO names or
# addresses crash it with "buffer overflow detected") and refuses to send a
# stage the milter negotiated away. The bounds cases need both: values far
# over the daemon's limits, and headers sent to a daemon that said it does
# not want them (a broken or hostile MTA). MilterClient sends exactly the
# packets it is told to and reads the replies.
#
# Call order: MilterClient(host, port) -> negotiate() -> connect_info() ->
# helo() / mail() / rcpt() / header() / eoh() / body() / eom() / abort() /
# unknown() -> quit() or close(). Each command that expects a reply returns
# (code, data) of the final reply; eom() returns the final reply after any
# modification packets (kept in self.modifications). A step the daemon
# negotiated as "no reply" (SMFIP_NR_*) returns None.
#
# Errors: MilterClosed when the daemon closes the connection (libmilter does
# so for a packet over its data size limit), socket.timeout after `timeout`.
import socket
import struct

SMFIP_NR = {  # stage -> the SMFIP_NR_* bit that means "no reply to it"
    "C": 0x1000, "H": 0x2000, "M": 0x4000, "R": 0x8000, "T": 0x10000,
    "U": 0x20000, "N": 0x40000, "B": 0x80000, "L": 0x80,
}
ALL_ACTIONS = 0x1FF
ALL_PROTOCOL = 0x1FFFFF  # every step and every "no reply" option offered
MAX_REPLY = 1 << 20
FINAL = "acdrty4fs"  # accept continue discard reject tempfail replycode shutdown fail skip


class MilterClosed(Exception):
    pass


class MilterClient:
    def __init__(self, port, host="127.0.0.1", timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.protocol = 0
        self.modifications = []

    def _send(self, cmd, data=b""):
        pkt = cmd.encode() + data
        try:
            self.sock.sendall(struct.pack("!I", len(pkt)) + pkt)
        except (BrokenPipeError, ConnectionResetError) as e:
            raise MilterClosed("daemon closed the milter connection: %s" % e) from e

    def _recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            try:
                chunk = self.sock.recv(n - len(buf))
            except ConnectionResetError as e:
                raise MilterClosed("daemon reset the milter connection") from e
            if not chunk:
                raise MilterClosed("daemon closed the milter connection")
            buf += chunk
        return buf

    def read_reply(self):
        (length,) = struct.unpack("!I", self._recv_exact(4))
        if length == 0 or length > MAX_REPLY:
            raise MilterClosed("bad reply length %d" % length)
        pkt = self._recv_exact(length)
        return chr(pkt[0]), pkt[1:]

    def _command(self, cmd, data=b""):
        self._send(cmd, data)
        if self.protocol & SMFIP_NR.get(cmd, 0):
            return None
        code, rest = self.read_reply()
        while code == "p":  # progress: keep waiting
            code, rest = self.read_reply()
        return code, rest

    def negotiate(self, version=6, actions=ALL_ACTIONS, protocol=ALL_PROTOCOL):
        self._send("O", struct.pack("!III", version, actions, protocol))
        code, data = self.read_reply()
        if code != "O" or len(data) < 12:
            raise MilterClosed("bad negotiation reply %r" % code)
        _v, _a, self.protocol = struct.unpack("!III", data[:12])
        return self.protocol

    def macro(self, stage, pairs):
        data = stage.encode()
        for name, value in pairs:
            data += _b(name) + b"\0" + _b(value) + b"\0"
        self._send("D", data)

    def connect_info(self, hostname="client.example.test", addr="127.0.0.1", port=40000,
                     family="4"):
        """family "4" or "6" (SMFIA_INET, SMFIA_INET6); addr in text form."""
        return self._command("C", _b(hostname) + b"\0" + _b(family) + struct.pack("!H", port)
                             + _b(addr) + b"\0")

    def helo(self, name):
        return self._command("H", _b(name) + b"\0")

    def mail(self, sender, *args):
        return self._command("M", b"".join(_b(a) + b"\0" for a in ("<%s>" % sender,) + args))

    def rcpt(self, rcpt, *args):
        return self._command("R", b"".join(_b(a) + b"\0" for a in ("<%s>" % rcpt,) + args))

    def data(self):
        return self._command("T")

    def header(self, name, value):
        return self._command("L", _b(name) + b"\0" + _b(value) + b"\0")

    def eoh(self):
        return self._command("N")

    def body(self, chunk):
        return self._command("B", _b(chunk))

    def unknown(self, line):
        return self._command("U", _b(line) + b"\0")

    def eom(self):
        """End of message; modification packets are collected, the final reply returned."""
        self._send("E")
        self.modifications = []
        while True:
            code, rest = self.read_reply()
            if code in FINAL:
                return code, rest
            if code != "p":  # progress only keeps the MTA waiting
                self.modifications.append((code, rest))

    def abort(self):
        self._send("A")

    def quit(self):
        try:
            self._send("Q")
        finally:
            self.close()

    def close(self):
        self.sock.close()


def _b(v):
    return v if isinstance(v, bytes) else v.encode()
