# SPDX-License-Identifier: Apache-2.0
# idn.py - internationalised domains on the wire: Postfix with
# smtputf8_enable = yes hands the milter the address exactly as the client
# wrote it (raw UTF-8 after MAIL FROM:<...> SMTPUTF8, checked with tshark when
# this was written: "M<a@b\xc3\xbccher.example>\0SMTPUTF8\0"), A-labels
# otherwise. Each case is one SMTP session; every reply line is compared whole
# with what the contract says (DESIGN.md section 2: policy reject 550 5.7.1,
# policy tempfail 450 4.7.1 at RCPT; configured replies as written in
# configs/idn.conf; ${sender}/${rcpt} printable ASCII, each byte of a UTF-8
# character shown as '?').
import os
import subprocess

from harness.postfix_instance import MAIL_DOMAIN
from harness.scenario import OK_MAIL, OK_RCPT

GROUP = "idn"

POSTCONF = "/usr/sbin/postconf"

DEFAULT_REJECT = ["550 5.7.1 Message refused by policy"]
DEFAULT_TEMPFAIL_RCPT = ["450 4.7.1 Temporarily refused by policy, please try again later"]
ADDRESS_REJECT = ["550 5.7.1 IDN address refused by the e2e policy"]


def sender_reject(shown):
    return ["550 5.7.1 IDN sender %s refused by the e2e policy" % shown]


def rcpt_reject(shown):
    return ["550 5.7.1 IDN recipient %s refused by the e2e policy" % shown]


def session(ctx, r, sender, smtputf8, rcpts, helo="client.example.test"):
    """EHLO, MAIL FROM (with SMTPUTF8 when asked), each RCPT with its expected
    reply, QUIT. No DATA: a UTF-8 envelope sender in the shared mbox's From_
    line would break the mailbox module that other groups read it with."""
    with ctx.session() as s:
        ehlo = s.cmd("EHLO " + helo)
        r.expect("250-SMTPUTF8" in ehlo, "EHLO does not offer SMTPUTF8: %r" % ehlo)
        mail = "MAIL FROM:<%s>%s" % (sender, " SMTPUTF8" if smtputf8 else "")
        r.expect_equal(s.cmd(mail), OK_MAIL, "reply to " + mail)
        for addr, want in rcpts:
            r.expect_equal(s.cmd("RCPT TO:<%s>" % addr), want, "reply to RCPT TO:<%s>" % addr)
        s.cmd("QUIT")


def postconf(ctx, name):
    out = subprocess.run([POSTCONF, "-c", ctx.postfix.config_dir, "-x", "-h", name],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=30)
    return out.stdout.strip()


def set_up_postfix(ctx):
    """smtputf8_enable = yes (the instance's compatibility_level already makes
    it so; set explicitly when not), and recipients in every *.example domain
    accepted (a regexp table: a domain list has no wildcard), so that Postfix
    hands them to the milter instead of refusing them itself (outbound mail
    is disabled in the instance). Returns what to restore: later groups
    expect other domains refused."""
    table = os.path.join(ctx.workdir, "idn-domains.regexp")
    with open(table, "w") as f:
        f.write("/\\.example$/ OK\n")
    params = {"virtual_mailbox_domains": "%s, regexp:%s" % (MAIL_DOMAIN, table)}
    if postconf(ctx, "smtputf8_enable") != "yes":
        params["smtputf8_enable"] = "yes"
    restore = {k: postconf(ctx, k) for k in params}
    ctx.postfix.reconfigure(**params)
    return restore


CASES = [
    ("A-label sender rule refuses a U-label sender (SMTPUTF8) at the first RCPT; "
     "${sender} shows each UTF-8 byte as '?'",
     dict(sender="a@bücher.example", smtputf8=True,
          rcpts=[("ok@example.test", sender_reject("a@b??cher.example"))])),
    ("A-label sender rule refuses a U-label sender in upper case",
     dict(sender="a@BÜCHER.EXAMPLE", smtputf8=True,
          rcpts=[("ok@example.test", sender_reject("a@B??CHER.EXAMPLE"))])),
    ("A-label sender rule refuses the A-label sender in upper case (plain SMTP)",
     dict(sender="a@XN--BCHER-KVA.example", smtputf8=False,
          rcpts=[("ok@example.test", sender_reject("a@XN--BCHER-KVA.example"))])),
    ("U-label subdomain rule defers an A-label sender below it (default 450 4.7.1)",
     dict(sender="a@mx.xn--mnchen-3ya.example", smtputf8=False,
          rcpts=[("ok@example.test", DEFAULT_TEMPFAIL_RCPT)])),
    ("U-label subdomain rule defers a U-label sender two levels below it",
     dict(sender="a@a.b.münchen.example", smtputf8=True,
          rcpts=[("ok@example.test", DEFAULT_TEMPFAIL_RCPT)])),
    ("U-label subdomain rule defers the domain itself in lower case",
     dict(sender="a@münchen.example", smtputf8=True,
          rcpts=[("ok@example.test", DEFAULT_TEMPFAIL_RCPT)])),
    ("U-label recipient rule refuses the A-label recipient (default 550 5.7.1), "
     "the next recipient is accepted",
     dict(sender="s@example.test", smtputf8=False,
          rcpts=[("b@xn--strae-oqa.example", DEFAULT_REJECT), ("ok@example.test", OK_RCPT)])),
    ("U-label recipient rule refuses the U-label recipient; non-transitional: "
     "strasse.example is another domain; a subdomain is not the domain",
     dict(sender="s@example.test", smtputf8=True,
          rcpts=[("b@STRAßE.example", DEFAULT_REJECT), ("b@strasse.example", OK_RCPT),
                 ("b@mx.straße.example", OK_RCPT)])),
    ("A-label subdomain rule refuses U-label recipients below it; ${rcpt} printable",
     dict(sender="s@example.test", smtputf8=True,
          rcpts=[("b@mail.café.example", rcpt_reject("b@mail.caf??.example")),
                 ("b@CAFÉ.example", rcpt_reject("b@CAF??.example")),
                 ("b@cafe.example", OK_RCPT)])),
    ("exact U-label address rule refuses the A-label form; the local part stays "
     "case-sensitive",
     dict(sender="s@example.test", smtputf8=False,
          rcpts=[("info@XN--BCHER-KVA.example", ADDRESS_REJECT),
                 ("Info@xn--bcher-kva.example", OK_RCPT)])),
    ("A-label HELO rule refuses a U-label EHLO name below it at the first RCPT",
     dict(helo="MX.Grüße.test", sender="s@example.test", smtputf8=False,
          rcpts=[("ok@example.test", ["550 5.7.1 IDN HELO MX.Gr????e.test refused by the "
                                      "e2e policy"])])),
    ("a U-label sender and recipient that no rule names are accepted",
     dict(sender="a@grüße.example", smtputf8=True,
          rcpts=[("ok@example.test", OK_RCPT), ("b@grüße.example", OK_RCPT)])),
]


def run(ctx, results):
    restore = set_up_postfix(ctx)
    try:
        daemon = ctx.start_daemon(ctx.config("idn.conf"))
        try:
            for name, kw in CASES:
                with results.case("%s: %s" % (GROUP, name)) as r:
                    session(ctx, r, **kw)
        finally:
            ctx.stop_daemon(results, GROUP, daemon)
    finally:
        ctx.postfix.reconfigure(**restore)
