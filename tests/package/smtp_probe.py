#!/usr/bin/python3
"""smtp_probe.py PORT HELO FROM RCPT [--data] - one SMTP transaction, replies printed.

Talks to 127.0.0.1:PORT only. Prints one line per reply line the server sent,
"COMMAND CODE TEXT" (TEXT is the line after the code, enhanced code
included), so a test can compare exact reply lines. Stops at the first
refusal (4xx/5xx) of MAIL or RCPT; with --data sends a small message when the
recipient was accepted. Every socket operation has a 20 s timeout.
"""
import smtplib
import sys


def show(cmd, code, msg):
    lines = msg.decode("utf-8", "replace").split("\n") if msg else [""]
    for line in lines:
        print(f"{cmd} {code} {line}".rstrip())


def main():
    port, helo, sender, rcpt = sys.argv[1:5]
    data = "--data" in sys.argv[5:]
    smtp = smtplib.SMTP(timeout=20)
    code, msg = smtp.connect("127.0.0.1", int(port))
    show("CONNECT", code, msg)
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
