#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""smtp_probe.py PORT HELO FROM RCPT [--data] [--xclient ADDR] - one SMTP transaction.

Talks to 127.0.0.1:PORT only. Prints one line per reply line the server sent,
"COMMAND CODE TEXT" (TEXT is the line after the code, enhanced code
included), so a test can compare exact reply lines. Stops at the first
refusal (4xx/5xx) of MAIL or RCPT; with --data sends a small message when the
recipient was accepted. --xclient ADDR first sends Postfix's XCLIENT
ADDR=ADDR NAME=[UNAVAILABLE] (the server must authorize 127.0.0.1) and greets
again, so the milter sees a client at ADDR. Every socket operation has a 20 s
timeout.
"""
import smtplib
import sys


def show(cmd, code, msg):
    lines = msg.decode("utf-8", "replace").split("\n") if msg else [""]
    for line in lines:
        print(f"{cmd} {code} {line}".rstrip())


def main():
    port, helo, sender, rcpt = sys.argv[1:5]
    opts = sys.argv[5:]
    data = "--data" in opts
    xclient = opts[opts.index("--xclient") + 1] if "--xclient" in opts else None
    smtp = smtplib.SMTP(timeout=20)
    code, msg = smtp.connect("127.0.0.1", int(port))
    show("CONNECT", code, msg)
    code, msg = smtp.ehlo(helo)
    show("EHLO", code, msg.splitlines()[0] if msg else b"")
    if xclient:
        code, msg = smtp.docmd("XCLIENT", f"ADDR={xclient} NAME=[UNAVAILABLE]")
        show("XCLIENT", code, msg)
        if code != 220:
            smtp.close()
            return
        code, msg = smtp.ehlo(helo)
        show("EHLO", code, msg.splitlines()[0] if msg else b"")
    for cmd, arg in (("MAIL", f"FROM:<{sender}>"), ("RCPT", f"TO:<{rcpt}>")):
        code, msg = smtp.docmd(cmd, arg)
        show(cmd, code, msg)
        if code >= 400:
            smtp.close()
            return
    if data:
        code, msg = smtp.data(b"Subject: package test\r\n\r\nHello from the package test.\r\n")
        show("DATA", code, msg)
    code, msg = smtp.docmd("QUIT")
    show("QUIT", code, msg)
    smtp.close()


if __name__ == "__main__":
    main()
