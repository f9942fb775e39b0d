# SPDX-License-Identifier: Apache-2.0
# dns.py - DNS evidence through the private Postfix, against a real nsd.
#
# Group "dns". A private nsd (harness/dns_server.py) serves the zones of
# cases/dns_zones.py on a loopback port; the daemon's resolver (libunbound)
# forwards to it, with the zones slow.dns.test and dead.dns.test reached
# through harness/dns_proxy.py, which answers the first 300 ms late and drops
# the second. Clients are presented with Postfix's XCLIENT (ADDR, NAME), so
# the milter sees the address and Postfix's {client_resolve} of each case.
# Every expected reply line is typed from DESIGN.md section 2 (DNS block list
# 550 5.7.1; reverse DNS 550 5.7.25, cautious 450 4.7.25; sender domain 550
# 5.1.8 / 450 4.1.8; sender null MX 550 5.7.27; recipient null MX 556 5.1.10;
# DNS failure 451 4.4.3) and the texts of milter-verdict.conf(5) Defaults.
#
# Daemons, one after another on the group's port:
#   main      lists with scores, allow list, error answers, secret zone, an
#             unhealthy zone, RHSBL, reverse DNS from {client_resolve}, sender
#             and recipient domains;
#   own-rdns  reverse = "own": PTR and forward lookups of its own;
#   slow      delay_reject: a connect-time list answered 300 ms late is decided
#             at the first RCPT without the client waiting when HELO and MAIL
#             took longer; a dead zone costs at most the budget and answers
#             the configured 4xx (closed) or lets the mail through (open);
#   no-delay  delay_reject = false: the same lookup makes the client wait at
#             connect (the comparison);
#   dead      the whole resolver dead: 451 4.4.3 within the budget, also for
#             several sessions at once;
#   metrics   the DNS series of the metrics endpoint (milter-verdict(8)
#             METRICS): lookups, cache hits, timeouts and error answers per
#             zone, by the shown name of a secret zone; the DNS wait.
# Time bounds in the slow/dead cases are behaviour (the wait is bounded by
# the budget; the lookup ran during HELO and MAIL), with wide margins.
import os
import subprocess
import threading
import time

from cases import defaults
from cases.dns_zones import ZONES
from cases import metrics as metrics_case
from harness.dns_server import DnsProxy, Nsd
from harness.milter_client import MilterClient
from harness.net import free_port
from harness.scenario import OK_MAIL, OK_RCPT
from harness.smtp_client import message

GROUP = "dns"

# The rows of the default-reply table (explain --defaults) these cases put on
# the wire; cases/defaults.py counts them as covered.
DEFAULT_ROWS = {
    "dns-list reject helo,mail,rcpt,end-of-data": "listed client, 550 5.7.1 at RCPT",
    "reverse-dns reject helo,mail,rcpt,end-of-data": "no PTR, 550 5.7.25 at RCPT",
    "reverse-dns tempfail rcpt": "PTR not confirmed, 450 4.7.25 at RCPT",
    "reverse-dns tempfail mail,end-of-data": "PTR not confirmed, 451 4.7.25 at end of data",
    "sender-domain reject mail,rcpt,end-of-data": "NXDOMAIN sender, 550 5.1.8 at RCPT",
    "sender-domain tempfail rcpt": "NXDOMAIN sender, 450 4.1.8 at RCPT",
    "sender-domain tempfail mail,end-of-data": "NXDOMAIN sender, 451 4.1.8 at end of data",
    "sender-null-mx reject mail,rcpt,end-of-data": "null MX sender, 550 5.7.27 at RCPT",
    "recipient-null-mx reject rcpt": "null MX recipient, 556 5.1.10 at RCPT",
}
defaults.ELSEWHERE.update({row: "dns: " + what for row, what in DEFAULT_ROWS.items()})
DNS_FAILURE = ["451 4.4.3 Temporary lookup failure, please try again later"]
RDNS_FAILED = "rejected: reverse DNS validation failed"


def blocked(addr, zones):
    return ["550 5.7.1 Client host [%s] blocked using %s" % (addr, zones)]


MAIN_CONF = """
daemon = { log = "stderr"; };
dns = {
  resolver = ["127.0.0.1@%(nsd)d"];
  timeout_ms = 2000;
  budget_ms = 4000;
  lists = {
    clients = { zones = ( "bl.dns.test=127.0.0.[2..11]*3",
                          "wl.dns.test=127.0.[0..255].[1..3]*-5",
                          { zone = "k3y.dq.dns.test=127.0.0.[2..11]*3"; show_as = "dq.dns.test"; },
                          "wild.dns.test*3" );
                threshold = 3; allow_threshold = -2; txt = true; };
    domains = { zones = ( "dbl.dns.test=127.0.1.[2..99]" );
                query = ["helo", "sender_domain", "client_name"]; };
  };
};
rules = (
  { name = "dnswl"; when = { dns_list = { list = "clients"; allowed = true; }; };
    action = "accept"; },
  { name = "dnsbl-scored"; when = { client_addr = "192.0.2.17"; dns_list = "clients"; };
    action = "reject"; reply = { text = "Listed by ${dns_zones} with score ${dns_score}"; }; },
  { name = "dnsbl-txt"; when = { client_addr = "192.0.2.18"; dns_list = "clients"; };
    action = "reject"; reply = { text = "${dns_txt}"; }; },
  { name = "dnsbl-closed"; when = { client_addr = "192.0.2.14"; dns_list = "clients"; };
    action = "reject"; on_backend_error = "closed"; },
  { name = "dnsbl"; when = { dns_list = "clients"; }; action = "reject";
    on_backend_error = "open"; },
  { name = "rhsbl"; when = { dns_list = "domains"; }; action = "reject";
    reply = { text = "<${sender}>: domain listed by ${dns_zones}"; }; },
  { name = "rdns"; when = { reverse_dns = "missing"; }; action = "reject";
    on_backend_error = "closed"; },
  { name = "sender-null-mx"; when = { sender_domain = "null_mx"; }; action = "reject"; },
  { name = "sender-unknown-soft"; when = { sender = "/^soft-/"; sender_domain = "unknown"; };
    action = "tempfail"; },
  { name = "sender-unknown-late"; when = { sender = "/^late-/"; sender_domain = "unknown"; };
    stage = "end-of-data"; action = "tempfail"; },
  { name = "sender-unknown"; when = { sender_domain = "unknown"; not = { sender = "/^late-/"; }; };
    action = "reject"; on_backend_error = "closed"; },
  { name = "rcpt-null-mx"; when = { rcpt_domain = "null_mx"; }; action = "reject"; }
);
"""

OWN_RDNS_CONF = """
daemon = { log = "stderr"; };
dns = { resolver = ["127.0.0.1@%(nsd)d"]; reverse = "own"; timeout_ms = 2000; };
rules = (
  { name = "dynamic";
    when = { reverse_dns = { name = { regex = "(^|[.-])(dyn|pool)[0-9.-]"; }; }; };
    action = "reject"; },
  { name = "rdns-late"; when = { sender = "/^late-/"; reverse_dns = "unconfirmed"; };
    stage = "end-of-data"; action = "tempfail"; },
  { name = "rdns"; when = { reverse_dns = "unconfirmed"; not = { sender = "/^late-/"; }; };
    action = "tempfail"; on_backend_error = "closed"; }
);
"""

SLOW_CONF = """
daemon = { log = "stderr"; };
policy = { delay_reject = %(delay)s; };
dns = {
  resolver = ["127.0.0.1@%(nsd)d"];
  stub_zones = ( { zone = "slow.dns.test"; servers = ["127.0.0.1@%(proxy)d"]; },
                 { zone = "dead.dns.test"; servers = ["127.0.0.1@%(proxy)d"]; } );
  timeout_ms = 3000;
  budget_ms = 1500;
  lists = {
    slow = { zones = ( "slow.dns.test=127.0.0.[2..11]" ); check_test_entries = false; };
    dead = { zones = ( "dead.dns.test" ); check_test_entries = false; };
  };
};
rules = (
  { name = "slow-bl"; when = { dns_list = "slow"; }; action = "reject"; },
  { name = "dead-closed"; when = { rcpt = "/^closed-/"; dns_list = "dead"; }; action = "reject";
    on_backend_error = "closed"; },
  { name = "dead-open"; when = { rcpt = "/^open-/"; dns_list = "dead"; }; action = "reject";
    on_backend_error = "open"; }
);
"""

DEAD_CONF = """
daemon = { log = "stderr"; };
dns = {
  resolver = ["127.0.0.1@%(dead)d"];
  timeout_ms = 2000;
  budget_ms = 800;
  lists = { clients = { zones = ( "bl.dns.test" ); }; };
};
rules = (
  { name = "dnsbl"; when = { dns_list = "clients"; }; action = "reject";
    on_backend_error = "closed"; }
);
"""

METRICS_CONF = """
daemon = { log = "stderr"; metrics = "127.0.0.1:%(metrics)d"; };
dns = {
  resolver = ["127.0.0.1@%(nsd)d"];
  stub_zones = ( { zone = "dead.dns.test"; servers = ["127.0.0.1@%(proxy)d"]; } );
  timeout_ms = 500;
  budget_ms = 1500;
  lists = { clients = { zones = ( "bl.dns.test=127.0.0.[2..11]*3",
                                  { zone = "k3y.dq.dns.test*3"; show_as = "dq.dns.test"; },
                                  "dead.dns.test" );
                        threshold = 3; }; };
};
rules = (
  { name = "dnsbl"; when = { dns_list = "clients"; }; action = "reject";
    on_backend_error = "open"; }
);
"""


class Transcript:
    """The reply lines of one session, and how long each command waited."""

    def __init__(self):
        self.replies = {}
        self.ms = {}


def session(ctx, addr, name="mx.client.dns.test", helo="mx.client.dns.test",
            sender="alice@good.mail.dns.test", rcpts=("bob@example.test",), subject=None,
            pause=0.0):
    """EHLO, XCLIENT ADDR NAME, EHLO, MAIL, RCPT..., [DATA]; `pause` seconds
    before the second EHLO and before MAIL (a client slower than the lookups)."""
    t = Transcript()
    s = ctx.session()
    try:
        def timed(key, line):
            t0 = time.monotonic()
            t.replies[key] = s.cmd(line)
            t.ms[key] = (time.monotonic() - t0) * 1000.0
            return t.replies[key]

        s.cmd("EHLO xclient.dns.test")
        timed("xclient", "XCLIENT ADDR=%s NAME=%s" % (addr, name))
        time.sleep(pause)
        timed("helo", "EHLO " + helo)
        time.sleep(pause)
        if not timed("mail", "MAIL FROM:<%s>" % sender)[0].startswith("250"):
            return t
        accepted = 0
        for r in rcpts:
            got = timed("rcpt " + r, "RCPT TO:<%s>" % r)
            accepted += got[0].startswith("250")
        if subject and accepted:
            first, final = s.data(message(sender, rcpts[-1], subject))
            t.replies["data"] = first
            t.replies["final"] = final
        s.quit()
    finally:
        s.close()
    return t


def queued(t):
    final = t.replies.get("final") or [""]
    return len(final) == 1 and final[0].startswith("250 2.0.0 Ok: queued as ")


def wait_delivered(ctx, subject, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ctx.delivered(subject):
            return True
        time.sleep(0.2)
    return False


def write_conf(ctx, name, text):
    path = os.path.join(ctx.workdir, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def start(ctx, results, label, conf):
    with results.case("%s: daemon (%s) starts with its resolver" % (GROUP, label)) as r:
        d = ctx.start_daemon(conf)
        r.expect(d.wait_log("dns: libunbound", timeout=10), "daemon logs its resolver:\n"
                 + d.log()[-2000:])
        return d


def main_cases(ctx, results, nsd):
    conf = write_conf(ctx, "dns-main.conf", MAIN_CONF % {"nsd": nsd.port})
    d = start(ctx, results, "main", conf)
    try:
        with results.case("%s: a zone that lists 127.0.0.1 (wildcard) is logged unhealthy "
                          "and skipped; healthy zones are not" % GROUP) as r:
            r.expect(d.wait_log("dns: zone wild.dns.test (IPv4) is unhealthy and skipped",
                                timeout=10), "log line:\n" + d.log()[-2000:])
            r.expect("lists everything" in d.log(), "the reason is given")
            for z in ("bl.dns.test", "wl.dns.test", "dq.dns.test"):
                r.expect("zone %s (IPv4) is unhealthy" % z not in d.log(), z + " is healthy")
            t = session(ctx, "192.0.2.16", subject="dns wild")
            r.expect_equal(t.replies.get("rcpt bob@example.test"), OK_RCPT,
                           "a client listed only there is not refused")

        with results.case("%s: a client listed by a block list gets 550 5.7.1 with the zone; "
                          "the lookup started at connect" % GROUP) as r:
            t = session(ctx, "192.0.2.10")
            r.expect_equal(t.replies.get("mail"), OK_MAIL, "MAIL (refusal held until RCPT)")
            r.expect_equal(t.replies.get("rcpt bob@example.test"),
                           blocked("192.0.2.10", "bl.dns.test"), "RCPT")

        with results.case("%s: an allow-list hit pulls the score to -2: accepted and "
                          "delivered" % GROUP) as r:
            t = session(ctx, "192.0.2.11", subject="dns allowed")
            r.expect_equal(t.replies.get("rcpt bob@example.test"), OK_RCPT, "RCPT")
            r.expect(queued(t), "queued: %r" % t.replies.get("final"))
            r.expect(wait_delivered(ctx, "dns allowed"), "delivered to the mailbox")

        with results.case("%s: an answer outside the list's filter is not a listing" % GROUP) as r:
            t = session(ctx, "192.0.2.12")
            r.expect_equal(t.replies.get("rcpt bob@example.test"), OK_RCPT, "RCPT")

        with results.case("%s: two A records of one zone count once (score 3, not 6)"
                          % GROUP) as r:
            t = session(ctx, "192.0.2.17")
            r.expect_equal(t.replies.get("rcpt bob@example.test"),
                           ["550 5.7.1 Listed by bl.dns.test with score 3"], "RCPT")

        with results.case("%s: ${dns_txt} shows the TXT of the hit sanitised: bytes outside "
                          "0x20-0x7e as '?', cut at 200 with '...', '%%' kept" % GROUP) as r:
            t = session(ctx, "192.0.2.18")
            # milter-verdict.conf(5) REPLIES: ${dns_txt} at most 200, a value
            # cut at its maximum shows its first max - 3 characters and "...".
            txt = "Listed??X-Injected: yes caf?? 100% " + "a" * 180
            r.expect_equal(t.replies.get("rcpt bob@example.test"),
                           ["550 5.7.1 " + txt[:197] + "..."], "RCPT")

        with results.case("%s: an IPv6 client is looked up by its nibble name (RFC 5782 2.4) "
                          "and refused 550 5.7.1 (raw milter client: the e2e Postfix is "
                          "IPv4-only and refuses XCLIENT ADDR=IPV6:)" % GROUP) as r:
            c = MilterClient(d.port)
            try:
                c.negotiate()
                c.macro("C", [("j", "mx.example.test"), ("{client_resolve}", "OK"),
                              ("{client_name}", "mx.v6.dns.test")])
                c.connect_info(hostname="mx.v6.dns.test", addr="2001:db8::25", family="6")
                c.helo("mx.v6.dns.test")
                c.mail("alice@good.mail.dns.test")
                got = c.rcpt("bob@example.test")
                r.expect_equal(got and (got[0], got[1].rstrip(b"\0").decode("latin-1")),
                               ("y", blocked("2001:db8::25", "bl.dns.test")[0]), "RCPT reply")
                c.abort()
            finally:
                c.quit()
            r.expect("zone bl.dns.test (IPv6) is unhealthy" not in d.log(),
                     "bl.dns.test passes its IPv6 test entries")

        with results.case("%s: an error answer (127.255.255.254) never refuses mail: the rule "
                          "fails open, the mail is delivered, the zone is logged once" % GROUP) as r:
            start_at = len(d.log())
            for i in range(2):
                t = session(ctx, "192.0.2.13", subject="dns error answer %d" % i)
                r.expect_equal(t.replies.get("rcpt bob@example.test"), OK_RCPT, "RCPT %d" % i)
                r.expect(queued(t), "queued %d: %r" % (i, t.replies.get("final")))
            log = d.log()[start_at:] if start_at else d.log()
            r.expect_equal(d.log().count("zone bl.dns.test answered 127.255.255.254"), 1,
                           "error answer log lines")
            r.expect("fail open" in log, "the rule's failure is logged as failing open")

        with results.case("%s: an answer outside 127/8 is a lookup error too: a rule that fails "
                          "closed answers 451 4.4.3" % GROUP) as r:
            t = session(ctx, "192.0.2.14")
            r.expect_equal(t.replies.get("rcpt bob@example.test"), DNS_FAILURE, "RCPT")
            r.expect_equal(d.log().count("dns: zone bl.dns.test answered "), 1,
                           "bl.dns.test's error answers are logged once for the zone")

        with results.case("%s: each zone logs its own error answer once: 127.255.255.255 from "
                          "the secret zone, by its public name, never refuses mail" % GROUP) as r:
            for i in range(2):
                t = session(ctx, "192.0.2.19")
                r.expect_equal(t.replies.get("rcpt bob@example.test"), OK_RCPT, "RCPT %d" % i)
            r.expect_equal(d.log().count("dns: zone dq.dns.test answered 127.255.255.255"), 1,
                           "dq.dns.test's error answer log lines")

        with results.case("%s: a secret zone name is shown by its public name, in the reply "
                          "and in the log" % GROUP) as r:
            t = session(ctx, "192.0.2.15")
            r.expect_equal(t.replies.get("rcpt bob@example.test"),
                           blocked("192.0.2.15", "dq.dns.test"), "RCPT")
            r.expect("k3y" not in d.log(), "the key never appears in the daemon's log")

        with results.case("%s: RHSBL by sender domain, HELO name and client name (dbl.dns.test)" % GROUP) as r:
            t = session(ctx, "192.0.2.31", sender="alice@spammy.mail.dns.test")
            r.expect_equal(t.replies.get("rcpt bob@example.test"),
                           ["550 5.7.1 <alice@spammy.mail.dns.test>: domain listed by "
                            "dbl.dns.test"], "by sender domain")
            t = session(ctx, "192.0.2.32", helo="spammy.mail.dns.test")
            r.expect_equal(t.replies.get("rcpt bob@example.test"),
                           ["550 5.7.1 <alice@good.mail.dns.test>: domain listed by "
                            "dbl.dns.test"], "by HELO name")
            t = session(ctx, "192.0.2.39", name="spammy.mail.dns.test")
            r.expect_equal(t.replies.get("rcpt bob@example.test"),
                           ["550 5.7.1 <alice@good.mail.dns.test>: domain listed by "
                            "dbl.dns.test"], "by client name")

        with results.case("%s: no PTR by Postfix's {client_resolve} (XCLIENT NAME=[UNAVAILABLE]) "
                          "is refused 550 5.7.25" % GROUP) as r:
            t = session(ctx, "192.0.2.33", name="[UNAVAILABLE]")
            r.expect_equal(t.replies.get("rcpt bob@example.test"),
                           ["550 5.7.25 Client host [192.0.2.33] %s" % RDNS_FAILED], "RCPT")

        with results.case("%s: a temporary reverse lookup failure ({client_resolve} TEMP) in a "
                          "rule that fails closed is 451 4.4.3" % GROUP) as r:
            t = session(ctx, "192.0.2.34", name="[TEMPUNAVAIL]")
            r.expect_equal(t.replies.get("rcpt bob@example.test"), DNS_FAILURE, "RCPT")

        with results.case("%s: a sender domain with a null MX is refused 550 5.7.27" % GROUP) as r:
            t = session(ctx, "192.0.2.35", sender="noreply@nullmx.mail.dns.test")
            r.expect_equal(t.replies.get("rcpt bob@example.test"),
                           ["550 5.7.27 <noreply@nullmx.mail.dns.test>: Sender address rejected: "
                            "Domain does not accept mail"], "RCPT")

        with results.case("%s: a sender domain that does not exist is refused 550 5.1.8, and "
                          "450 4.1.8 by a cautious (tempfail) rule" % GROUP) as r:
            t = session(ctx, "192.0.2.36", sender="alice@gone.mail.dns.test")
            r.expect_equal(t.replies.get("rcpt bob@example.test"),
                           ["550 5.1.8 <alice@gone.mail.dns.test>: Sender address rejected: "
                            "Domain not found"], "NXDOMAIN")
            t = session(ctx, "192.0.2.36", sender="alice@nomail.mail.dns.test")
            r.expect_equal(t.replies.get("rcpt bob@example.test"),
                           ["550 5.1.8 <alice@nomail.mail.dns.test>: Sender address rejected: "
                            "Domain not found"], "no MX, A or AAAA")
            t = session(ctx, "192.0.2.36", sender="soft-alice@gone.mail.dns.test")
            r.expect_equal(t.replies.get("rcpt bob@example.test"),
                           ["450 4.1.8 <soft-alice@gone.mail.dns.test>: Sender address "
                            "rejected: Domain not found"], "tempfail rule")
            t = session(ctx, "192.0.2.36", sender="late-alice@gone.mail.dns.test",
                        subject="dns sender late")
            r.expect_equal(t.replies.get("rcpt bob@example.test"), OK_RCPT,
                           "RCPT of a rule that runs at end of data")
            r.expect_equal(t.replies.get("final"),
                           ["451 4.1.8 <late-alice@gone.mail.dns.test>: Sender address "
                            "rejected: Domain not found"], "tempfail rule at end of data")

        with results.case("%s: a sender domain with only an A record (implicit MX) and the null "
                          "sender <> are accepted" % GROUP) as r:
            t = session(ctx, "192.0.2.37", sender="alice@aonly.mail.dns.test",
                        subject="dns implicit mx")
            r.expect_equal(t.replies.get("rcpt bob@example.test"), OK_RCPT, "implicit MX")
            r.expect(queued(t), "queued: %r" % t.replies.get("final"))
            t = session(ctx, "192.0.2.37", sender="", subject="dns null sender")
            r.expect_equal(t.replies.get("rcpt bob@example.test"), OK_RCPT, "null sender")

        with results.case("%s: a recipient domain with a null MX is refused 556 5.1.10, the "
                          "other recipient goes on" % GROUP) as r:
            t = session(ctx, "192.0.2.38",
                        rcpts=("carol@nullmx.mail.dns.test", "bob@example.test"),
                        subject="dns rcpt null mx")
            r.expect_equal(t.replies.get("rcpt carol@nullmx.mail.dns.test"),
                           ["556 5.1.10 <carol@nullmx.mail.dns.test>: Recipient address "
                            "rejected: Domain does not accept mail"], "null MX recipient")
            r.expect_equal(t.replies.get("rcpt bob@example.test"), OK_RCPT, "other recipient")
            r.expect(queued(t), "queued: %r" % t.replies.get("final"))
    finally:
        ctx.stop_daemon(results, GROUP, d)
    with results.case("%s: the daemon logs its DNS counters at stop, per zone" % GROUP) as r:
        r.expect("dns: lookups=" in d.log(), "summary line")
        r.expect("dns: zone bl.dns.test: queries=" in d.log(), "per-zone line")
        r.expect("hidden from clients" in d.log(), "latency-hiding figure")


def own_rdns_cases(ctx, results, nsd):
    conf = write_conf(ctx, "dns-own.conf", OWN_RDNS_CONF % {"nsd": nsd.port})
    d = start(ctx, results, "own-rdns", conf)
    try:
        with results.case("%s: own reverse lookups: a forward-confirmed PTR passes, a PTR that "
                          "does not resolve back and a missing PTR get the cautious 450 4.7.25"
                          % GROUP) as r:
            t = session(ctx, "192.0.2.20")
            r.expect_equal(t.replies.get("rcpt bob@example.test"), OK_RCPT, "confirmed")
            for addr in ("192.0.2.21", "192.0.2.22"):
                t = session(ctx, addr)
                r.expect_equal(t.replies.get("rcpt bob@example.test"),
                               ["450 4.7.25 Client host [%s] %s" % (addr, RDNS_FAILED)], addr)
        with results.case("%s: the cautious refusal delivered at end of data is 451 4.7.25"
                          % GROUP) as r:
            t = session(ctx, "192.0.2.21", sender="late-alice@good.mail.dns.test",
                        subject="dns rdns late")
            r.expect_equal(t.replies.get("rcpt bob@example.test"), OK_RCPT, "RCPT")
            r.expect_equal(t.replies.get("final"),
                           ["451 4.7.25 Client host [192.0.2.21] %s" % RDNS_FAILED],
                           "end of data")
        with results.case("%s: a confirmed PTR name on a list (dynamic pool) is refused "
                          "550 5.7.25" % GROUP) as r:
            t = session(ctx, "192.0.2.23")
            r.expect_equal(t.replies.get("rcpt bob@example.test"),
                           ["550 5.7.25 Client host [192.0.2.23] %s" % RDNS_FAILED], "RCPT")
    finally:
        ctx.stop_daemon(results, GROUP, d)


def slow_cases(ctx, results, nsd, proxy):
    conf = write_conf(ctx, "dns-slow.conf",
                      SLOW_CONF % {"nsd": nsd.port, "proxy": proxy.port, "delay": "true"})
    d = start(ctx, results, "slow", conf)
    try:
        with results.case("%s: delay_reject: a list answered 300 ms late is decided at the "
                          "first RCPT; a client whose HELO and MAIL took longer does not wait "
                          "for it" % GROUP) as r:
            t = session(ctx, "192.0.2.40", pause=0.4)
            r.expect_equal(t.replies.get("rcpt bob@example.test"),
                           blocked("192.0.2.40", "slow.dns.test"), "RCPT")
            for step in ("xclient", "helo", "mail"):
                r.expect(t.ms[step] < 400, "%s answered in %.0f ms (not held by DNS)"
                         % (step, t.ms[step]))
            r.expect(t.ms["rcpt bob@example.test"] < 200,
                     "RCPT answered in %.0f ms: the 300 ms lookup ran during HELO and MAIL"
                     % t.ms["rcpt bob@example.test"])
            t = session(ctx, "192.0.2.43")
            r.expect_equal(t.replies.get("rcpt bob@example.test"),
                           blocked("192.0.2.43", "slow.dns.test"), "RCPT of a fast client")
            r.expect(t.ms["rcpt bob@example.test"] >= 150,
                     "a fast client's RCPT waits for the answer (%.0f ms): late is not "
                     "'not listed'" % t.ms["rcpt bob@example.test"])

        with results.case("%s: a zone that never answers costs at most the budget: 451 4.4.3 "
                          "when the rule fails closed, the mail passes when it fails open"
                          % GROUP) as r:
            t = session(ctx, "192.0.2.41", rcpts=("closed-x@example.test",))
            r.expect_equal(t.replies.get("rcpt closed-x@example.test"), DNS_FAILURE, "closed")
            r.expect(t.ms["rcpt closed-x@example.test"] < 1500 + 1500,
                     "RCPT answered in %.0f ms (budget 1500 ms)"
                     % t.ms["rcpt closed-x@example.test"])
            t = session(ctx, "192.0.2.41", rcpts=("open-x@example.test",))
            r.expect_equal(t.replies.get("rcpt open-x@example.test"), OK_RCPT, "open")
    finally:
        ctx.stop_daemon(results, GROUP, d)

    conf = write_conf(ctx, "dns-no-delay.conf",
                      SLOW_CONF % {"nsd": nsd.port, "proxy": proxy.port, "delay": "false"})
    d = start(ctx, results, "no-delay", conf)
    try:
        with results.case("%s: delay_reject = false: the same connect-time lookup makes the "
                          "client wait at connect" % GROUP) as r:
            t = session(ctx, "192.0.2.42", pause=0.4)
            r.expect_equal(t.replies.get("rcpt bob@example.test"), OK_RCPT, "not listed")
            r.expect(t.ms["xclient"] >= 200,
                     "connect (XCLIENT) answered after %.0f ms, held by the 300 ms lookup"
                     % t.ms["xclient"])
    finally:
        ctx.stop_daemon(results, GROUP, d)


def dead_cases(ctx, results, dead):
    conf = write_conf(ctx, "dns-dead.conf", DEAD_CONF % {"dead": dead.port})
    d = start(ctx, results, "dead resolver", conf)
    try:
        with results.case("%s: a resolver that does not answer at start is a warning, and so "
                          "is the list zone's failed health check" % GROUP) as r:
            r.expect(d.wait_log("dns: the resolver does not answer", timeout=12),
                     "start-up probe warning:\n" + d.log()[-2000:])
            r.expect(d.wait_log("dns: zone bl.dns.test (IPv4): health check got no answer",
                                timeout=12), "health check warning:\n" + d.log()[-2000:])
            for line in d.log().splitlines():
                if "does not answer" in line or "health check got no answer" in line:
                    r.expect("warning" in line.lower(), "logged as a warning: " + line)
        with results.case("%s: a dead DNS server gives the configured 451 4.4.3 within the "
                          "budget; HELO and MAIL are not held" % GROUP) as r:
            t = session(ctx, "192.0.2.10")
            r.expect_equal(t.replies.get("rcpt bob@example.test"), DNS_FAILURE, "RCPT")
            r.expect(t.ms["rcpt bob@example.test"] < 800 + 1200,
                     "RCPT answered in %.0f ms (budget 800 ms)" % t.ms["rcpt bob@example.test"])
            for step in ("xclient", "helo", "mail"):
                r.expect(t.ms[step] < 500, "%s answered in %.0f ms" % (step, t.ms[step]))
    finally:
        ctx.stop_daemon(results, GROUP, d)


def dead_concurrent_cases(ctx, results, dead):
    """Several sessions at once against the dead resolver: each is answered
    within the budget (a wait never holds a libmilter worker past it)."""
    conf = write_conf(ctx, "dns-dead-many.conf", DEAD_CONF % {"dead": dead.port})
    d = start(ctx, results, "dead resolver, 6 sessions at once", conf)
    try:
        with results.case("%s: 6 sessions at once against a dead DNS server: each RCPT gets "
                          "451 4.4.3 within the budget (800 ms)" % GROUP) as r:
            out = {}

            def one(i):
                try:
                    out[i] = session(ctx, "192.0.2.%d" % (50 + i))
                except Exception as e:  # reported below as a missing transcript
                    out[i] = e

            threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(6)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
            for i in range(6):
                t = out.get(i)
                if not isinstance(t, Transcript):
                    r.expect(False, "session %d: %r" % (i, t))
                    continue
                r.expect_equal(t.replies.get("rcpt bob@example.test"), DNS_FAILURE,
                               "RCPT of session %d" % i)
                r.expect(t.ms["rcpt bob@example.test"] < 800 + 1200,
                         "session %d: RCPT answered in %.0f ms (budget 800 ms)"
                         % (i, t.ms["rcpt bob@example.test"]))
    finally:
        ctx.stop_daemon(results, GROUP, d)


ACCEPTED_CONF = """
daemon = { log = "stderr"; metrics = "127.0.0.1:%(metrics)d"; };
dns = {
  resolver = ["127.0.0.1@%(nsd)d"];
  lists = { clients = { zones = ( "bl.dns.test=127.0.0.[2..11]" ); }; };
};
rules = (
  { name = "local"; when = { client_addr = "127.0.0.0/8"; }; action = "accept"; },
  { name = "dnsbl"; when = { dns_list = "clients"; }; action = "reject"; }
);
"""


def accepted_cases(ctx, results, nsd):
    """Issue 24: no lookup for what is decided. A loopback client accepted at
    connect by rule #1 is never looked up for rule #2: lookups_total stays 0;
    a listed client is looked up once (the counter works)."""
    mport = free_port()
    conf = write_conf(ctx, "dns-accepted.conf", ACCEPTED_CONF % {"nsd": nsd.port,
                                                                 "metrics": mport})
    d = start(ctx, results, "accepted at connect", conf)
    lk = "milter_verdict_dns_lookups_total"
    try:
        with results.case("%s: a connection accepted at connect causes 0 DNS lookups "
                          "(milter_verdict_dns_lookups_total)" % GROUP) as r:
            r.expect(d.wait_log("metrics on", timeout=10), "metrics endpoint")
            with ctx.session() as s:
                s.cmd("EHLO client.example.test")
                got = [s.cmd("MAIL FROM:<a@example.test>"), s.cmd("RCPT TO:<b@example.test>")]
                s.cmd("QUIT")
            r.expect_equal([x[0][:3] if isinstance(x, list) else x[:3] for x in got],
                           ["250", "250"], "MAIL, RCPT from 127.0.0.1")
            time.sleep(0.5)
            text = metrics_case.scrape(mport)[1]
            r.expect_equal(metrics_case.value(text, lk, zone="bl.dns.test") or 0.0, 0.0,
                           "%s{zone=bl.dns.test} after the loopback session" % lk)
            c = MilterClient(d.port)
            try:
                c.negotiate()
                c.macro("C", [("j", "mx.example.test"), ("{client_resolve}", "OK"),
                              ("{client_name}", "mx.client.dns.test")])
                c.connect_info(hostname="mx.client.dns.test", addr="192.0.2.10")
                c.helo("mx.client.dns.test")
                c.mail("alice@good.mail.dns.test")
                c.rcpt("bob@example.test")
                c.abort()
            finally:
                c.quit()
            got = metrics_case.wait_value(mport, lk, 1.0, timeout=5, zone="bl.dns.test")
            r.expect_equal(got, 1.0, "%s{zone=bl.dns.test} after a listed client" % lk)
    finally:
        ctx.stop_daemon(results, GROUP + " (accepted at connect)", d)


def metrics_cases(ctx, results, nsd, proxy):
    mport = free_port()
    conf = write_conf(ctx, "dns-metrics.conf",
                      METRICS_CONF % {"nsd": nsd.port, "proxy": proxy.port, "metrics": mport})
    d = start(ctx, results, "metrics", conf)
    lk, hits = "milter_verdict_dns_lookups_total", "milter_verdict_dns_cache_hits_total"
    tmo, err = "milter_verdict_dns_timeouts_total", "milter_verdict_dns_errors_total"
    try:
        with results.case("%s: metrics: each list zone's lookups, cache hits, timeouts and "
                          "error answers are counted, by the shown zone name" % GROUP) as r:
            r.expect(d.wait_log("metrics on", timeout=10), "metrics endpoint:\n"
                     + d.log()[-2000:])
            # Through the raw milter client: one milter connection per session
            # (Postfix's XCLIENT would add one for 127.0.0.1, whose lookups
            # would count too).
            def raw(addr):
                c = MilterClient(d.port)
                try:
                    c.negotiate()
                    c.macro("C", [("j", "mx.example.test"), ("{client_resolve}", "OK"),
                                  ("{client_name}", "mx.client.dns.test")])
                    c.connect_info(hostname="mx.client.dns.test", addr=addr)
                    c.helo("mx.client.dns.test")
                    c.mail("alice@good.mail.dns.test")
                    got = c.rcpt("bob@example.test")
                    c.abort()
                    return got and (got[0], got[1].rstrip(b"\0").decode("latin-1"))
                finally:
                    c.quit()

            listed = ("y", blocked("192.0.2.10", "bl.dns.test")[0])
            # Listed by bl.dns.test (decided without waiting for the dead zone).
            r.expect_equal(raw("192.0.2.10"), listed, "RCPT, first session")
            # The same client: bl and dq answered from the cache, dead asked again.
            r.expect_equal(raw("192.0.2.10"), listed, "RCPT, second session")
            # 127.255.255.254: an error answer; the dead zone times out; the
            # rule fails open (continue).
            r.expect_equal(raw("192.0.2.13"), ("c", ""), "RCPT, error answer")
            # Three sessions: every zone asked 3 times (once per session and
            # name; the RFC 5782 health checks are not counted), the second
            # session's bl and dq answers from the cache, the dead zone's 3
            # lookups time out (500 ms), bl's 127.255.255.254 is 1 error.
            want = {(lk, "bl.dns.test"): 3, (hits, "bl.dns.test"): 1,
                    (tmo, "bl.dns.test"): 0, (err, "bl.dns.test"): 1,
                    (lk, "dq.dns.test"): 3, (hits, "dq.dns.test"): 1,
                    (tmo, "dq.dns.test"): 0, (err, "dq.dns.test"): 0,
                    (lk, "dead.dns.test"): 3, (hits, "dead.dns.test"): 0,
                    (tmo, "dead.dns.test"): 3, (err, "dead.dns.test"): 0}
            metrics_case.wait_value(mport, tmo, 3, timeout=5, zone="dead.dns.test")
            time.sleep(0.7)  # every lookup is over (timeout_ms 500): nothing more may come
            text = metrics_case.scrape(mport)[1]
            for (name, zone), n in sorted(want.items()):
                r.expect_equal(metrics_case.value(text, name, zone=zone), float(n),
                               "%s{zone=%s}" % (name, zone))
            zones = {l.get("zone") for n, l, _ in metrics_case.samples(text)
                     if n.startswith("milter_verdict_dns_")}
            r.expect_equal(zones, {"bl.dns.test", "dq.dns.test", "dead.dns.test"},
                           "zone labels (the secret k3y.dq.dns.test never one)")
            r.expect("k3y" not in text, "the secret key is nowhere in the exposition")
            # The third session's rule waited for the dead zone (~500 ms).
            waits = [(l, v) for n, l, v in metrics_case.samples(text)
                     if n == "milter_verdict_evidence_wait_seconds_count"
                     and l.get("evidence") == "dns" and v > 0]
            r.expect(len(waits) >= 1, "evidence_wait_seconds{evidence=dns} observed")
            wsum = sum(v for n, l, v in metrics_case.samples(text)
                       if n == "milter_verdict_evidence_wait_seconds_sum"
                       and l.get("evidence") == "dns")
            r.expect(0.1 <= wsum <= 1.5 * 3, "DNS wait %.3f s: the dead zone's timeout" % wsum)
            p = subprocess.run(["promtool", "check", "metrics"], input=text, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
            r.expect_equal((p.returncode, p.stdout.strip()), (0, ""), "promtool check metrics")
    finally:
        ctx.stop_daemon(results, GROUP, d)


def run(ctx, results):
    nsd = Nsd(ctx.workdir, ZONES)
    proxy = DnsProxy(ctx.workdir, nsd.port, rules=["slow.dns.test=300", "dead.dns.test=drop"])
    dead = DnsProxy(ctx.workdir, nsd.port, rules=[".=drop"], name="dead-proxy")
    pf = ctx.postfix
    saved = {k: pf.postconf(k) for k in ("mynetworks", "smtpd_authorized_xclient_hosts",
                                         "virtual_mailbox_domains")}
    try:
        with results.case("%s: setup: nsd serves the test zones, the proxies run, Postfix "
                          "takes XCLIENT from loopback" % GROUP) as r:
            nsd.start()
            proxy.start()
            dead.start()
            # nullmx.mail.dns.test is routed like our own domain, so that
            # Postfix takes the recipient and the milter decides.
            pf.reconfigure(mynetworks="127.0.0.0/8 192.0.2.0/24",
                           smtpd_authorized_xclient_hosts="127.0.0.0/8",
                           virtual_mailbox_domains=saved["virtual_mailbox_domains"]
                           + " nullmx.mail.dns.test")
        main_cases(ctx, results, nsd)
        own_rdns_cases(ctx, results, nsd)
        slow_cases(ctx, results, nsd, proxy)
        dead_cases(ctx, results, dead)
        dead_concurrent_cases(ctx, results, dead)
        metrics_cases(ctx, results, nsd, proxy)
        accepted_cases(ctx, results, nsd)
    finally:
        try:
            pf.reconfigure(**saved)
        finally:
            dead.stop()
            proxy.stop()
            nsd.stop()
