# SPDX-License-Identifier: Apache-2.0
# macros.py - the macros Sendmail sends, as the daemon's rules see them
# (tests/sendmail/configs/macros.conf). The daemon asks for what it needs with
# smfi_setsymlist, which Sendmail honours per filter on top of (in place of)
# the confMILTER_MACROS_* lists: {daemon_addr} is not in the packaged lists
# and still arrives. Values Sendmail writes differently from Postfix:
# an unresolved client is "[addr]" (the daemon maps it to Postfix's
# "unknown"), {rcpt_addr} of a local recipient is its local part, the queue
# id (i) is known from the connection on. {auth_authen} comes with MAIL after
# SMTP AUTH (PLAIN against the instance's private sasldb).
import base64
import re

from harness.sendmail_instance import SASL_USER
from sm_context import SmScenario

GROUP = "macros"


def run(ctx, results):
    daemon = ctx.start_daemon(ctx.config("macros.conf"))
    try:
        cases = {
            "unresolved client (Sendmail: [127.0.0.2], {client_resolve} FAIL) is client_name "
            "unknown":
                SmScenario(source="127.0.0.2", rcpts=[(
                    "resolve@example.test",
                    ["550 5.7.1 <resolve@example.test>... Client unknown [127.0.0.2] "
                     "unresolved"])]),
            "resolved client: client_name localhost, {client_resolve} OK":
                SmScenario(rcpts=[("resolve@example.test",
                                   ["550 5.7.1 <resolve@example.test>... Client localhost "
                                    "resolved"])]),
            "{daemon_name} is DAEMON_OPTIONS' Name= (MTA)":
                SmScenario(rcpts=[("daemon@example.test",
                                   ["550 5.7.1 <daemon@example.test>... Daemon MTA"])]),
            "{daemon_addr}, not in confMILTER_MACROS_CONNECT, arrives through setsymlist":
                SmScenario(rcpts=[("daemon-addr@example.test",
                                   ["550 5.7.1 <daemon-addr@example.test>... Daemon address "
                                    "127.0.0.1"])]),
            "{rcpt_addr} of a local recipient is its local part, not the whole address":
                SmScenario(rcpts=[("rcpt-macro@example.test",
                                   ["550 5.7.1 <rcpt-macro@example.test>... rcpt_addr is the "
                                    "local part"])]),
        }
        for name, sc in cases.items():
            with results.case("%s: %s" % (GROUP, name)) as r:
                sc.run(ctx, r)
        with results.case("%s: {auth_authen} after AUTH PLAIN reaches the auth condition; "
                          "without AUTH it does not hold" % GROUP) as r:
            user, password = SASL_USER
            token = base64.b64encode(("\0%s\0%s" % (user, password)).encode()).decode()
            with ctx.session() as s:
                s.cmd("EHLO client.example.test")
                if not r.expect_equal(s.cmd("AUTH PLAIN " + token),
                                      ["235 2.0.0 OK Authenticated"], "AUTH PLAIN"):
                    r.expect(False, "Sendmail's output: %s" % ctx.sendmail.output()[-500:])
                s.cmd("MAIL FROM:<sender@example.test>")
                r.expect_equal(s.cmd("RCPT TO:<auth@example.test>"),
                               ["550 5.7.1 <auth@example.test>... Authenticated as "
                                "alice@example.test"], "RCPT after AUTH")
                s.quit()
            SmScenario(rcpts=[("auth@example.test", "ok")]).run(ctx, r)
        with results.case("%s: the queue id (macro i) at RCPT is Sendmail's own" % GROUP) as r:
            with ctx.session() as s:
                s.cmd("EHLO client.example.test")
                s.cmd("MAIL FROM:<sender@example.test>")
                got = s.cmd("RCPT TO:<qid@example.test>")
                s.quit()
            m = re.match(r"^550 5\.7\.1 <qid@example\.test>\.\.\. Queue id (\w+)$", got[0])
            r.expect(len(got) == 1 and m, "RCPT reply: %r" % got)
            if m:
                qid = m.group(1)
                r.expect(ctx.sendmail.wait_log("%s: Milter: to=<qid@example.test>, reject=550 "
                                               "5.7.1 Queue id %s" % (qid, qid)),
                         "Sendmail logged no reject under queue id %s" % qid
                         + ctx.sendmail.log_tail(5))
    finally:
        ctx.stop_daemon(results, GROUP, daemon)
