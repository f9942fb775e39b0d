#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# make_seeds.py - build the seed corpora of the fuzz targets from the tests' own inputs.
#
#   python3 tests/fuzz/make_seeds.py        (from anywhere; rewrites tests/fuzz/corpus/)
#
# Each target gets seeds in the format its fuzz_NAME.cpp documents, made from
# what the other suites already use: the configuration files of the golden
# and e2e suites and config/ (with their list files), the reply templates in
# them, the addresses and names of the golden transactions, the RFC 2047
# values of the unit tests, state files as the store writes them, the
# replies the Redis scripts give, the golden transactions replayed as milter
# callbacks and as raw milter packets, the policy-service requests of the unit
# and golden tests, and the golden DNS cases (their --dns-answer values as
# RDATA). Seeds are named after
# where they come from; the output is deterministic, so a rerun changes
# nothing unless the tests changed. The result is checked in; libFuzzer's own
# discoveries stay in build/.
import glob
import os
import re
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.path.join(HERE, "corpus")


def read(path):
    with open(path, "rb") as f:
        return f.read()


def rel(path):
    return os.path.relpath(path, ROOT)


def slug(text):
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:80]


class Corpus:
    def __init__(self, name):
        self.dir = os.path.join(CORPUS, name)
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        self.seen = set()

    def add(self, label, data):
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        if data in self.seen:
            return
        self.seen.add(data)
        name = slug(label) or "seed"
        path = os.path.join(self.dir, name)
        n = 1
        while os.path.exists(path):
            n += 1
            path = os.path.join(self.dir, "%s-%d" % (name, n))
        with open(path, "wb") as f:
            f.write(data)


def config_files():
    pats = ["config/*.conf", "config/examples/*.conf", "tests/golden/configs/*.conf",
            "tests/e2e/configs/*.conf"]
    out = []
    for p in pats:
        out += sorted(glob.glob(os.path.join(ROOT, p)))
    return out


FILE_KEY = re.compile(rb'file\s*=\s*"([^"]*)"')


# ---- config_loader: MAIN \x01 INCLUDED \x01 LIST ------------------------------
def config_loader():
    c = Corpus("config_loader")
    for path in config_files():
        text = read(path)
        lists = [m.group(1).decode() for m in FILE_KEY.finditer(text)]
        list_text = b""
        for name in lists:
            full = os.path.join(os.path.dirname(path), name)
            if os.path.exists(full):
                list_text = read(full)
                break
        # Every list file of the seed is list.txt (the target writes one).
        main = FILE_KEY.sub(b'file = "list.txt"', text)
        c.add(rel(path), main + b"\x01\x01" + list_text)
        # The same file cut in two at its rules, the second half @included.
        at = main.find(b"\nrules")
        if at > 0:
            c.add(rel(path) + "-include",
                  main[:at] + b'\n@include "inc.conf"\n' + b"\x01" + main[at:] + b"\x01" +
                  list_text)
    for lst in sorted(glob.glob(os.path.join(ROOT, "config/examples/lists/*.txt")) +
                      glob.glob(os.path.join(ROOT, "tests/golden/configs/lists/*.txt"))):
        kind = "client_addr" if "network" in lst else "sender"
        c.add(rel(lst), b'lists = { l = { file = "list.txt"; }; };\n'
              b'rules = ( { name = "r"; when = { ' + kind.encode() + b' = "@l"; };'
              b' action = "reject"; } );\n\x01\x01' + read(lst))


# ---- reply_template: TEMPLATE \0 VALUE x 8 ------------------------------------
TEXT = re.compile(r'"((?:[^"\\]|\\.)*\$\{[^"]*)"')
VALUES = [
    ["192.0.2.1", "mx.example.org", "mx.example.org", "alice@example.org", "bob@example.net",
     "rule-1", "300", "4Q1x2y3z"],
    ["2001:db8::1", "unknown", "evil%s%n.example", "<>", "100%@example.net", "r", "0",
     ""],
    ["::ffff:192.0.2.1", "\xe9t\xe9.example", "[192.0.2.1]", "a\r\nb@example.org",
     "${rcpt}@example.net", "x" * 64, "99999999999999999999", "%%%%"],
    ["1" * 60, "n" * 300, "h" * 300, "s" * 300, "r" * 300, "q" * 70, "9" * 25, "i" * 40],
]


def reply_template():
    c = Corpus("reply_template")
    templates = set()
    for path in config_files():
        for m in TEXT.finditer(read(path).decode("utf-8", "replace")):
            templates.add(m.group(1).encode().decode("unicode_escape"))
    templates |= {"plain text", "100% sure", "${unknown}", "unterminated ${rcpt", "${}",
                  "${client_addr}${client_name}${helo}${sender}${rcpt}${rule}${retry}${queue_id}"}
    for i, t in enumerate(sorted(templates)):
        vals = VALUES[i % len(VALUES)]
        c.add("tmpl-%s" % t, "\0".join([t] + vals).encode("latin-1", "replace"))


# ---- address: ENTRY \0 VALUE ----------------------------------------------------
def transactions():
    """The golden transactions: one dict per paragraph."""
    out = []
    for path in sorted(glob.glob(os.path.join(ROOT, "tests/golden/configs/*transactions*.txt"))):
        cur = {}
        for line in read(path).decode().splitlines() + [""]:
            if not line.strip():
                if cur:
                    out.append((rel(path), cur))
                cur = {}
                continue
            if line.startswith("#"):
                continue
            key, _, value = line.partition(" ")
            cur.setdefault(key, []).append(value)
    return out


def address():
    c = Corpus("address")
    entries = []
    for lst in sorted(glob.glob(os.path.join(ROOT, "config/examples/lists/*.txt")) +
                      glob.glob(os.path.join(ROOT, "tests/golden/configs/lists/*.txt"))):
        # surrogateescape: a list may hold bytes that are not UTF-8 (idn-bad.txt)
        for line in read(lst).decode("utf-8", "surrogateescape").splitlines():
            line = line.split("#")[0].strip()
            if line:
                entries.append(line)
    values = []
    for _path, t in transactions():
        for k in ("from", "rcpt", "client", "helo", "client-name"):
            values += t.get(k, [])
    values += ["<alice@example.org>", "<>", "<@relay.example,@b.example:user@Example.ORG.>",
               "MAILER-DAEMON", "user@[192.0.2.1]", "a@b@c.example", "::ffff:192.0.2.1",
               "2001:DB8::1", "xn--bcher-kva.example"]
    entries += ["example.org", "@example.org", ".example.org", "Example.ORG.", "a..b",
                "192.0.2.0/24", "2001:db8::/32", "::ffff:192.0.2.0/120", "10.0.0.1/33"]
    for i, e in enumerate(entries):
        c.add("entry-%s" % e,
              (e + "\0" + values[i % len(values)]).encode("utf-8", "surrogateescape"))
    for v in values:
        c.add("value-%s" % v, ("example.org\0" + v).encode())


# ---- encoded_words: one header value ---------------------------------------------
def encoded_words():
    c = Corpus("encoded_words")
    src = read(os.path.join(ROOT, "tests/unit/test_encoded_words.cpp")).decode()
    for m in re.finditer(r'"((?:[^"\\]|\\.)*)"', src):
        v = m.group(1).encode().decode("unicode_escape").encode("latin-1", "replace")
        if b"=?" in v or b"?=" in v:
            c.add("unit-%s" % v.decode("latin-1"), v)
    for _path, t in transactions():
        for h in t.get("header", []):
            c.add("golden-%s" % h, h.partition(":")[2].strip())
    c.add("many-words", " ".join(["=?UTF-8?Q?a=C3=A9?="] * 40))


# ---- state_file: MODE BYTES --------------------------------------------------------
def fnv1a(data):
    h = 1469598103934665603
    for b in data:
        h ^= b
        h = (h * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h


def state_file():
    c = Corpus("state_file")
    far = 1800000000000
    records = [
        "r rate-limit|sender|alice@example.org %d 2 60000 %d 3 3600000 %d 17" % (far, far - 1,
                                                                                   far - 2),
        "g greylist|192.0.2.0/24|a@example.org|b@example.net %d %d 0" % (far, far - 300000),
        "g greylist|192.0.2.0/24|c@example.org|d@example.net %d %d 1" % (far, far - 900000),
        "c greylist|192.0.2.0/24 %d 4" % far,
        "r key%%20with%%0Aodd%%25bytes %d 1 60000 %d 1" % (far, far - 10),
        "r expired 1000 1 60000 0 5",
    ]
    body = "".join(r + "\n" for r in records)
    whole = "milter-verdict-state 1\n" + body
    whole += "end %d %016x\n" % (len(records), fnv1a(whole.encode()))
    c.add("raw-valid", b"\x00" + whole.encode())
    c.add("raw-truncated", b"\x00" + whole.encode()[:-20])
    c.add("raw-foreign", b"\x00" + b"not a state file\n")
    c.add("raw-e2e-corrupt", b"\x00" + b"milter-verdict-state 1\nr broken")
    c.add("wrapped-records", b"\x01" + body.encode())
    for i, r in enumerate(records):
        c.add("wrapped-%d-%s" % (i, r[:20]), b"\x01" + r.encode() + b"\n")


# ---- redis_reply: RESP bytes --------------------------------------------------------
def resp_ints(*values):
    return ("*%d\r\n" % len(values) + "".join(":%d\r\n" % v for v in values)).encode()


def redis_reply():
    c = Corpus("redis_reply")
    # The rate script: allowed, exceeded, wait, counts (tests/unit/test_redis_store.cpp).
    client_ok = resp_ints(1, -1, 0, 1)
    rcpt_ok = resp_ints(1, -1, 0, 1, 1)
    rcpt_over = resp_ints(0, 0, 60000, 3, 3)
    grey_new = resp_ints(0, 300000)
    grey_pass = resp_ints(1, 0)
    grey_white = resp_ints(2, 0)
    c.add("all-accepted", client_ok + rcpt_ok + grey_pass + rcpt_ok + grey_pass + grey_white)
    c.add("rate-refused", client_ok + rcpt_ok + grey_pass + rcpt_over + grey_new)
    c.add("greylisted", client_ok + rcpt_ok + grey_new + rcpt_ok + grey_new + grey_new)
    c.add("client-over", resp_ints(0, 0, 86400000, 51) + rcpt_ok + grey_pass)
    c.add("noscript", b"-NOSCRIPT No matching script. Please use EVAL.\r\n" + rcpt_ok)
    c.add("readonly", b"-READONLY You can't write against a read only replica.\r\n")
    c.add("nil-and-strings", b"$-1\r\n*2\r\n$1\r\n1\r\n$1\r\n0\r\n+OK\r\n")
    c.add("short-array", resp_ints(1, -1) + resp_ints(0))
    c.add("nested", b"*2\r\n*1\r\n:1\r\n:0\r\n" + rcpt_ok)
    c.add("truncated", b"*5\r\n:1\r\n:-1\r\n")


# ---- milter_callbacks: opcode stream ---------------------------------------------------
def s(v):
    v = v.encode() if isinstance(v, str) else v
    if len(v) < 250:
        return bytes([len(v)]) + v
    return bytes([250]) + struct.pack("!H", min(len(v), 65535)) + v[:65535]


MACROS = ["i", "j", "_", "{daemon_name}", "{daemon_addr}", "{client_addr}", "{client_name}",
          "{client_resolve}", "{auth_authen}", "{auth_type}", "{tls_version}", "{cipher}",
          "{mail_addr}", "{rcpt_addr}", "{daemon_port}", "v"]


def macro(name, value):
    return bytes([11, MACROS.index(name)]) + s(value)


def connect(name, addr):
    if ":" in addr:
        import ipaddress
        packed = ipaddress.IPv6Address(addr).packed
        return bytes([1]) + s(name) + bytes([2]) + packed + struct.pack("!H", 40000)
    import ipaddress
    return bytes([1]) + s(name) + bytes([1]) + ipaddress.IPv4Address(addr).packed + \
        struct.pack("!H", 40000)


NEGOTIATE = bytes([0]) + struct.pack("!II", 0x1FF, 0x1FFFFF)


def session(t):
    out = NEGOTIATE
    out += macro("j", "mx.example.test") + macro("{daemon_name}", "smtpd")
    client = t.get("client", ["127.0.0.1"])[0]
    name = t.get("client-name", ["unknown"])[0]
    out += macro("{client_resolve}", "OK" if name != "unknown" else "FAIL")
    out += connect(name, client)
    for h in t.get("helo", []):
        out += bytes([2]) + s(h)
    for a in t.get("auth", []):
        out += macro("{auth_authen}", a) + macro("{auth_type}", "PLAIN")
    out += macro("i", "4Q1x2y3z")
    for f in t.get("from", ["<>"]):
        out += bytes([3, 2]) + s("<%s>" % f) + s("SIZE=1234")
    for r in t.get("rcpt", []):
        out += bytes([4, 1]) + s("<%s>" % r)
    out += bytes([5])
    for h in t.get("header", []) + ["From: <%s>" % t.get("from", [""])[0], "Subject: hello"]:
        name, _, value = h.partition(":")
        out += bytes([6]) + s(name) + s(value.strip())
    out += bytes([7]) + s("hello\r\n")
    out += bytes([8, 10])
    return out


def milter_callbacks():
    c = Corpus("milter_callbacks")
    for path, t in transactions():
        c.add("%s-%s-%s" % (path, t.get("client", ["-"])[0], t.get("from", ["-"])[0]),
              session(t))
    # The e2e replies.conf senders and recipients, from one client (policy A's names).
    base = {"client": ["203.0.113.9"], "helo": ["client.example.test"]}
    for sender, rcpt in [("x@spam.example", "bob@example.org"), ("a@b.example", "gone@x.example"),
                         ("a@b.example", "later-1@x.example"), ("<>", "announce@example.org"),
                         ("bounce-1@x.example", "a@lists.example.org"),
                         ("hold-me@x.example", "grey-1@x.example")]:
        t = dict(base, **{"from": [sender], "rcpt": [rcpt]})
        c.add("e2e-%s-%s" % (sender, rcpt), session(t))
    t = dict(base, **{"from": ["a@b.example"], "rcpt": ["r%d@x.example" % i for i in range(8)]})
    c.add("many-recipients", session(t))
    c.add("evil-helo", session({"client": ["10.1.2.3"], "helo": ["evil%s%n"],
                                "from": ["bad@x"], "rcpt": ["a@b"]}))
    c.add("abort-and-reload", session(base) + bytes([9, 15]) + session(base) + bytes([13, 1, 44]))
    c.add("close-without-connect", bytes([10, 10]))
    c.add("symval-throws", bytes([14]) + session(base))
    c.add("long-helo", NEGOTIATE + connect("x", "192.0.2.9") + bytes([2]) + s("h" * 5000))
    # The macro packet "D" "Cj\0" (issue 29) as far as the fake seam can say it:
    # libmilter stores it as {"j", NULL}, so smfi_getsymval("j") gives no value.
    # The packet itself, through libmilter, is a libmilter_wire seed.
    c.add("odd-macro-packet-j-without-value",
          NEGOTIATE + bytes([12]) + connect("x", "192.0.2.9") + bytes([2]) +
          s("client.example.test") + bytes([3, 1]) + s("<a@b.example>") + bytes([4, 1]) +
          s("<bob@example.org>") + bytes([5, 8, 10]))


# ---- libmilter_wire: raw milter packets ----------------------------------------------
WIRE_COMMANDS = "ABCDEHKLMNOQRTU"


def pkt(cmd, payload=b""):
    payload = payload.encode() if isinstance(payload, str) else payload
    if len(payload) < 250:
        length = bytes([len(payload)])
    else:
        length = bytes([250]) + struct.pack("!H", min(len(payload), 65535))
    return bytes([WIRE_COMMANDS.index(cmd)]) + length + payload


def z(*strings):
    return b"".join((v.encode() if isinstance(v, str) else v) + b"\0" for v in strings)


def wire_macros(stage, *pairs):
    return pkt("D", stage.encode() + z(*[x for p in pairs for x in p]))


def wire_session(client="203.0.113.9", helo="client.example.test", sender="a@b.example",
                 rcpts=("bob@example.org",), headers=(("Subject", "hello"),),
                 body="hello\r\n", odd=None):
    """One transaction as packets after the harness's negotiation; odd=(stage,
    payload) puts a raw macro packet right before that stage's command."""
    steps = [("C", wire_macros("C", ("j", "mx.example.test"), ("{daemon_name}", "smtpd"),
                               ("{client_resolve}", "OK")) +
              pkt("C", z("client.example.test") + b"4" + struct.pack("!H", 40000) + z(client))),
             ("H", pkt("H", z(helo))),
             ("M", wire_macros("M", ("i", "4Q1x2y3z"), ("{mail_addr}", sender)) +
              pkt("M", z("<%s>" % sender, "SIZE=1234")))]
    steps += [("R", pkt("R", z("<%s>" % r))) for r in rcpts]
    steps += [("T", pkt("T"))]
    steps += [("L", pkt("L", z(n, v))) for n, v in headers]
    steps += [("N", pkt("N")), ("B", pkt("B", body)), ("E", pkt("E")), ("Q", pkt("Q"))]
    out = b"\1"
    for stage, data in steps:
        if odd and odd[0] == stage:
            out += pkt("D", stage.encode() + odd[1])
            odd = None
        out += data
    return out


def libmilter_wire():
    c = Corpus("libmilter_wire")
    c.add("session", wire_session())
    for path, t in transactions():
        c.add("%s-%s-%s" % (path, t.get("client", ["-"])[0], t.get("from", ["-"])[0]),
              wire_session(client=t.get("client", ["127.0.0.1"])[0],
                           helo=(t.get("helo") or ["client.example.test"])[0],
                           sender=t.get("from", [""])[0], rcpts=t.get("rcpt", []) or ["a@b"]))
    c.add("blocked-sender-three-rcpts", wire_session(sender="x@spam.example",
                                                     rcpts=("gone@x.example", "a@b", "c@d")))
    c.add("quarantine", wire_session(sender="hold-me@x.example"))
    c.add("subject-and-body", wire_session(headers=(("Subject", "casino"),), body="bitcoin\r\n"))
    c.add("raw-negotiation-only", b"\0" + pkt("O", struct.pack("!III", 6, 0x1FF, 0x1FFFFF)))
    c.add("raw-old-version", b"\0" + pkt("O", struct.pack("!III", 1, 0, 0)) + pkt("C", z("x")))
    c.add("abort-and-new-message", wire_session()[:-2] + pkt("A") + wire_session()[1:])
    c.add("quit-new-connection", wire_session()[:-2] + pkt("K") + wire_session()[1:])
    c.add("unknown-command", b"\1" + pkt("U", z("XYZZY")) + bytes([250, 0]) + b"\0")
    c.add("truncated-packet", b"\1" + bytes([WIRE_COMMANDS.index("H"), 200]) + b"short")
    # Issue 29: macro packets whose strings do not pair up; libmilter stored them
    # unpaired and smfi_getsymval read past the array. The daemon's guard
    # (plugin/milter/macro_guard.hpp) closes the connection instead.
    c.add("odd-macro-packet-Cj", b"\1" + pkt("D", b"Cj\0") +
          pkt("C", z("x") + b"4" + struct.pack("!H", 1) + z("192.0.2.1")))
    for stage in "CHMRTNE":
        c.add("odd-macro-packet-stage-%s" % stage, wire_session(odd=(stage, b"i\0")))
    c.add("odd-macro-packet-three-strings", wire_session(odd=("C", z("j", "mx", "i"))))
    c.add("odd-macro-packet-unterminated-value", wire_session(odd=("C", b"j\0v")))
    c.add("macro-packet-without-nul", wire_session(odd=("C", b"junk")))
    c.add("macro-packet-stage-only", wire_session(odd=("C", b"")))


# ---- policy_request: CHUNK FLAGS STREAM ----------------------------------------------
def request_text(attrs):
    return "".join("%s=%s\n" % kv for kv in attrs) + "\n"


def postfix_request(state, sender, rcpt, instance, port="40001", extra=()):
    """As tests/unit/policy_request.hpp's postfix_request() builds one."""
    a = [("request", "smtpd_access_policy"), ("protocol_state", state),
         ("protocol_name", "ESMTP"), ("client_address", "203.0.113.7"),
         ("client_name", "mx.sender.example"), ("reverse_client_name", "mx.sender.example"),
         ("client_port", port), ("server_address", "192.0.2.25"), ("server_port", "25"),
         ("helo_name", "mx.sender.example"), ("sender", sender), ("recipient", rcpt),
         ("recipient_count", "0"), ("queue_id", ""), ("instance", instance), ("size", "0"),
         ("sasl_method", ""), ("sasl_username", ""), ("encryption_protocol", "")]
    for k, v in extra:
        a = [(kk, v if kk == k else vv) for kk, vv in a]
        if k not in [kk for kk, _ in a]:
            a.append((k, v))
    return request_text(a)


def policy_request():
    c = Corpus("policy_request")
    # The golden simulate --requests inputs, whole and arriving in small pieces.
    for path in sorted(glob.glob(os.path.join(ROOT, "tests/golden/configs/policy-requests*.txt"))):
        data = read(path)
        c.add(rel(path), b"\x00\x00" + data)
        c.add(rel(path) + "-in-7-byte-pieces", b"\x07\x00" + data)
        c.add(rel(path) + "-policy-b-ok", b"\x00\x18" + data)
    # One SMTP session as Postfix asks about it (the unit tests' requests).
    session = "".join([
        postfix_request("CONNECT", "", "", ""),
        postfix_request("EHLO", "", "", ""),
        postfix_request("MAIL", "alice@sender.example", "", "", extra=[("size", "2000")]),
        postfix_request("RCPT", "alice@sender.example", "bob@example.org", "1a.1"),
        postfix_request("RCPT", "alice@sender.example", "tag@example.org", "1a.1"),
        postfix_request("RCPT", "alice@sender.example", "grey-1@example.org", "1a.1"),
        postfix_request("DATA", "alice@sender.example", "", "1a.1",
                        extra=[("recipient_count", "3")]),
        postfix_request("END-OF-MESSAGE", "alice@sender.example", "", "1a.1",
                        extra=[("recipient_count", "3"), ("size", "4242")]),
    ])
    c.add("unit-session", b"\x00\x00" + session.encode())
    c.add("unit-session-crlf-in-3-byte-pieces",
          b"\x03\x00" + session.replace("\n", "\r\n").encode())
    c.add("unit-session-reload-twice",
          b"\x00\x01" + session.replace("ESMTP", "ESMTP\npolicy_context=reload", 1).encode())
    for rcpt in ["gone@example.org", "later-1@example.org", "trash@example.org",
                 "review@example.org", "postmaster@example.org", "x@partner.example"]:
        c.add("unit-rcpt-" + rcpt, b"\x00\x00" + postfix_request(
            "RCPT", "alice@sender.example", rcpt, "2b.1").encode())
    for sender in ["x@spam.example", "bounce-1@x.example", "bad@x.example"]:
        c.add("unit-sender-" + sender, b"\x00\x08" + postfix_request(
            "MAIL", sender, "", "", extra=[("helo_name", "evil.example")]).encode())
    c.add("unit-ccert-xtext", b"\x00\x00" + postfix_request(
        "RCPT", "a@b.example", "c@d.example", "3c.1",
        extra=[("ccert_subject", "CN+3Dmx+2Cexample"), ("encryption_protocol", "TLSv1.3"),
               ("encryption_keysize", "256"), ("server_port", "2525"),
               ("sasl_username", "admin"), ("sasl_method", "PLAIN")]).encode())
    # Malformed requests and the reader's bounds (test_policy_request.cpp).
    c.add("malformed", b"\x00\x00" + b"request=smtpd_access_policy\nprotocol_state=RCPT\n"
          b"size=12x\n\nrequest=other\n\n=novalue\n\nnoequals\nrequest=smtpd_access_policy\n\n"
          b"request=smtpd_access_policy\nprotocol_state=RCPT\nclient_port=70000\n\n"
          b"request=smtpd_access_policy\nprotocol_state=NOPE\n\n\n\n")
    c.add("value-over-4096", b"\x00\x00" + b"request=smtpd_access_policy\nsender=" +
          b"a" * 4097 + b"\n\n")
    c.add("name-over-64", b"\x00\x00" + b"n" * 65 + b"=1\n\n")
    c.add("129-lines", b"\x00\x00" + b"x=1\n" * 129 + b"\n")
    c.add("request-over-64k-by-repeats", b"\x00\x07" + b"client_name=" + b"h" * 4000 + b"\n")
    c.add("nul", b"\x00\x00" + b"request=smtpd_access_policy\nsender=a\x00b\n\n")


# ---- dns_answer: FLAGS CLIENT HELO SENDER RCPT NAME ZONES RECORDS ANSWERS ---------------
DNS_CONF_ZONE = re.compile(rb'"([A-Za-z0-9.-]+(?:=[0-9.\[\];]+)?(?:\*-?[0-9]+)?)"')
UNIT_ZONE = re.compile(r'(?:zone|entry)\("([^"]+)"')


def labels(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\x00"


def rdata(rtype, values):
    """The RDATA of a --dns-answer's records (RFC 1035 3.3, 3.4; RFC 3596)."""
    import ipaddress
    if rtype == "A":
        return [ipaddress.IPv4Address(v).packed for v in values]
    if rtype == "AAAA":
        return [ipaddress.IPv6Address(v).packed for v in values]
    if rtype == "PTR":
        return [labels(v) for v in values]
    if rtype == "MX":
        return [struct.pack("!H", int(values[0])) + labels(values[1])]
    if rtype == "TXT":
        text = " ".join(values).encode()
        return [b"".join(bytes([len(text[i:i + 255])]) + text[i:i + 255]
                         for i in range(0, len(text), 255))]
    return []


def dns_answer_bytes(spec):
    """One --dns-answer 'NAME TYPE VALUE...' as the target's ANSWER."""
    parts = spec.split()
    rtype, values = parts[1].upper(), parts[2:]
    mode = {"NXDOMAIN": 3, "NODATA": 8, "SERVFAIL": 4, "TIMEOUT": 6}.get(values[0], 0)
    recs = [] if mode else rdata(rtype, values)
    return bytes([mode]) + struct.pack("!H", 300) + bytes([len(recs)]) + b"".join(
        s(r) for r in recs)


def golden_dns_cases():
    """(name, client, name, helo, sender, rcpt, [--dns-answer]) of the golden DNS cases."""
    out = []
    for path in sorted(glob.glob(os.path.join(ROOT, "tests/golden/cases/simulate-dns*.cmd"))):
        import shlex
        args = shlex.split(read(path).decode())
        get = lambda k: args[args.index(k) + 1] if k in args else ""
        answers = [args[i + 1] for i, a in enumerate(args) if a == "--dns-answer"]
        out.append((os.path.basename(path)[:-4], get("--client"), get("--client-name"),
                    get("--helo"), get("--from"), get("--rcpt"), answers))
    for path, t in transactions():
        if "dns" not in path:
            continue
        out.append((path + "-" + t.get("from", ["-"])[0], t.get("client", [""])[0],
                    t.get("client-name", [""])[0], t.get("helo", [""])[0],
                    t.get("from", [""])[0], t.get("rcpt", [""])[0], t.get("dns-answer", [])))
    return out


def dns_answer():
    c = Corpus("dns_answer")
    zones = [z.decode() for z in DNS_CONF_ZONE.findall(
        read(os.path.join(ROOT, "tests/golden/configs/dns.conf"))) if b"example" in z]
    for f in sorted(glob.glob(os.path.join(ROOT, "tests/unit/test_dns_*.cpp"))):
        zones += UNIT_ZONE.findall(read(f).decode())
    zones = sorted(set(zones))
    records = ["127.0.0.2", "127.0.0.4", "127.0.1.3", "127.255.255.254", "10.0.0.1", "127.0.10.3"]
    for i, (name, client, cname, helo, sender, rcpt, answers) in enumerate(golden_dns_cases()):
        flags = (0x10 if cname else 0) | ((i % 3) << 1) | (0x08 if i % 4 == 0 else 0) | (2 << 5)
        mine = zones[i % len(zones):][:4] or zones[:4]
        data = bytes([flags]) + s(client) + s(helo) + s(sender) + s(rcpt) + s(cname)
        data += bytes([len(mine)]) + b"".join(s(z) for z in mine)
        data += bytes([len(records)]) + b"".join(s(r) for r in records)
        data += b"".join(dns_answer_bytes(a) for a in answers)
        c.add("golden-" + name, data)
    # Edge answers (test_dns_answer.cpp): too many records, a pointer in a name,
    # TXT of several strings, an unknown rcode, a null MX; an IPv6 client.
    base = bytes([0x10 | (2 << 5)]) + s("2001:db8::7") + s("mx.example") + s("a@b.example") + \
        s("c@d.example") + s("mx.example") + bytes([1]) + s("zen.example=127.0.0.[2..11]*3") + \
        bytes([0])
    many = bytes([0x10]) + struct.pack("!H", 60) + bytes([70]) + s(b"\x7f\x00\x00\x02") * 70
    c.add("ipv6-many-records", base + many)
    c.add("ipv6-pointer-and-txt", base + bytes([0]) + struct.pack("!H", 60) + bytes([1]) +
          s(b"\xc0\x0c") + bytes([0]) + struct.pack("!H", 60) + bytes([1]) +
          s(b"\x03abc\x04d\r\nf") + bytes([7, 0, 1, 0, 77]))
    c.add("null-mx-and-timeout", base + bytes([0]) + struct.pack("!H", 300) + bytes([1]) +
          s(b"\x00\x00\x00") + bytes([6, 0, 0, 0]))


def main():
    os.makedirs(CORPUS, exist_ok=True)
    for build in (config_loader, reply_template, address, encoded_words, state_file,
                  redis_reply, milter_callbacks, libmilter_wire, policy_request, dns_answer):
        build()
    for name in sorted(os.listdir(CORPUS)):
        print("%-18s %4d seeds" % (name, len(os.listdir(os.path.join(CORPUS, name)))))


if __name__ == "__main__":
    main()
