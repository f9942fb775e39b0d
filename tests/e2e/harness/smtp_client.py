# SPDX-License-Identifier: Apache-2.0
# smtp_client.py - an SMTP client that keeps every reply line exactly as sent.
#
# smtplib joins multi-line replies and strips the separators, which would hide
# exactly what these tests check (code, enhanced code, text, and the '-' / ' '
# continuation marks of each line). SmtpSession reads raw CRLF lines instead.
#
# Call order: SmtpSession(port) (reads the greeting) -> cmd(...) / data(...)
# -> quit() or close(); usable as a context manager, which always closes.
# Every read has a timeout (SmtpTimeout); a reply longer than 64 lines or a
# line over 4096 octets is a protocol error (SmtpProtocolError), never cut.
import socket

MAX_LINES = 64
MAX_LINE = 4096


class SmtpProtocolError(Exception):
    pass


class SmtpTimeout(Exception):
    pass


class SmtpClosed(Exception):
    pass


class SmtpSession:
    def __init__(self, port, host="127.0.0.1", source="127.0.0.1", timeout=30.0):
        # Any 127.0.0.0/8 source works on Linux loopback: client-address rules
        # are tested by connecting from 127.0.0.2.
        self.sock = socket.create_connection((host, port), timeout=timeout,
                                             source_address=(source, 0))
        self.file = self.sock.makefile("rb")
        self.greeting = self.read_reply()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _readline(self):
        try:
            line = self.file.readline(MAX_LINE + 1)
        except socket.timeout as e:
            raise SmtpTimeout("no reply within the timeout") from e
        except ConnectionResetError as e:
            raise SmtpClosed("connection reset") from e
        if not line:
            raise SmtpClosed("connection closed by the server")
        if len(line) > MAX_LINE or not line.endswith(b"\r\n"):
            raise SmtpProtocolError("bad reply line %r" % line[:100])
        return line[:-2].decode("utf-8", "replace")

    def read_reply(self):
        """One reply: every line exactly as received, without CRLF."""
        lines = []
        while True:
            line = self._readline()
            lines.append(line)
            if len(line) < 3 or not line[:3].isdigit():
                raise SmtpProtocolError("reply line without a code: %r" % line)
            if len(line) == 3 or line[3] == " ":
                return lines
            if line[3] != "-":
                raise SmtpProtocolError("bad continuation mark: %r" % line)
            if len(lines) >= MAX_LINES:
                raise SmtpProtocolError("reply longer than %d lines" % MAX_LINES)

    def send_line(self, line):
        self.sock.sendall(line.encode() + b"\r\n")

    def cmd(self, line):
        self.send_line(line)
        return self.read_reply()

    def data(self, message):
        """DATA, then the message (dot-stuffed), then '.'; returns (data reply, final reply)."""
        first = self.cmd("DATA")
        if not first[0].startswith("354"):
            return first, None
        body = message.replace("\r\n", "\n").split("\n")
        if body and body[-1] == "":
            body.pop()
        payload = b"".join((("." + l) if l.startswith(".") else l).encode() + b"\r\n"
                           for l in body)
        self.sock.sendall(payload + b".\r\n")
        return first, self.read_reply()

    def is_closed(self, timeout=5.0):
        """True when the server has closed the connection (EOF within timeout)."""
        self.sock.settimeout(timeout)
        try:
            extra = self.file.read1(1) if hasattr(self.file, "read1") else self.file.read(1)
        except socket.timeout:
            return False
        except (ConnectionResetError, OSError):
            return True
        return extra == b""

    def quit(self):
        try:
            return self.cmd("QUIT")
        finally:
            self.close()

    def close(self):
        try:
            self.file.close()
        finally:
            self.sock.close()


def message(sender, rcpt, subject="e2e test", body="hello\n", extra_headers=()):
    head = ["From: <%s>" % sender, "To: <%s>" % rcpt, "Subject: %s" % subject,
            "Message-ID: <%s.%s>" % (subject.replace(" ", "-"), sender)]
    head += list(extra_headers)
    return "\n".join(head) + "\n\n" + body
