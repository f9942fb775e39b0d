# SPDX-License-Identifier: Apache-2.0
# hostile_reload.py - reloads onto hostile configuration files (issue 29,
# points 2 to 5): the daemon lives on and serves the old policy, whole.
#
# The daemon runs on workdir/hostile/main.conf, whose rules live in
# rules.inc (@include). Each case turns one file into something hostile,
# sends SIGUSR1, waits for "reload failed" in the daemon's log, and proves
# through Postfix that the old policy is still in force: the old rule's exact
# reply, and the rate-limit count made before (a 3/1h limit, the 4th
# recipient refused). The hostile files:
#   * rules.inc a directory (libconfig's flex used to end the daemon, exit 2);
#   * rules.inc a FIFO (libconfig's fopen used to block the reload forever,
#     later reloads were ignored and SIGTERM never ended the process);
#   * rules.inc emptied: `rules = ( );` (used to load as 0 rules accepting
#     every message);
#   * main.conf with a changed `state` group and a resolver that cannot be set
#     up (used to switch the state store before failing: reloading the
#     unchanged original afterwards lost the counts).
# Then a second daemon is sent SIGUSR1 onto a FIFO include and SIGTERM at
# once: it exits 0 within 10 s and removes its pid file.
import os
import signal
import subprocess
import time

from harness.scenario import OK_MAIL, OK_RCPT

GROUP = "hostile-reload"
OLD_REFUSAL = ["550 5.7.1 Refused by the old policy"]

MAIN = """# main.conf - the hostile-reload group's configuration (hostile_reload.py).
daemon = { log = "stderr"; pid_file = "%(pid)s"; };
state = { backend = "memory"; file = ""; };
rules = (
@include "rules.inc"
);
"""

RULES = """{ name = "old-policy"; when = { rcpt = "blocked@example.test"; };
  action = "reject";
  reply = { code = 550; enhanced = "5.7.1"; text = "Refused by the old policy"; }; },
{ name = "rcpt-limit";
  when = { rcpt = "/^limited-/";
           rate_limit = { key = "sender"; count = "recipient"; limit = "3/1h"; }; };
  action = "tempfail"; }
"""

# The same rules, another state store (max_entries) and a DNS rule whose
# resolver cannot be set up: the loader accepts it (resolv_conf is an
# absolute path), libunbound refuses it.
BAD_RESOLVER = """# main.conf with a new state group and a resolver that cannot be set up.
daemon = { log = "stderr"; pid_file = "%(pid)s"; };
state = { backend = "memory"; file = ""; max_entries = 5000; };
dns = { resolv_conf = "/nonexistent/milter-verdict-e2e/resolv.conf"; };
rules = (
@include "rules.inc"
, { name = "rdns"; when = { rcpt = "rdns@example.test"; reverse_dns = "missing"; };
    action = "reject"; }
);
"""


def write(path, text):
    with open(path + ".new", "w") as f:
        f.write(text)
    os.replace(path + ".new", path)


def remove(path):
    if os.path.isdir(path) and not os.path.islink(path):
        os.rmdir(path)
    elif os.path.lexists(path):
        os.unlink(path)


def rcpt_replies(ctx, sender, rcpts):
    """One SMTP session through Postfix: the reply lines of MAIL and of each RCPT."""
    with ctx.session() as s:
        s.cmd("EHLO client.example.test")
        got = [s.cmd("MAIL FROM:<%s>" % sender)]
        for rcpt in rcpts:
            got.append(s.cmd("RCPT TO:<%s>" % rcpt))
        s.cmd("QUIT")
        return got


def over_limit(ctx):
    """The RCPT reply for a 4th limited recipient of limit@ (3 counted before)."""
    return rcpt_replies(ctx, "limit@example.test", ["limited-over@example.test"])[1]


def old_policy_holds(ctx, r, what):
    r.expect_equal(rcpt_replies(ctx, "sender@example.test", ["blocked@example.test"]),
                   [OK_MAIL, OLD_REFUSAL], "old rule's reply %s" % what)
    got = over_limit(ctx)
    r.expect(got and got[0].startswith("450 4.7.1 Rate limit exceeded"),
             "the count made before still refuses the 4th recipient %s: %r" % (what, got))


def failed_reload(daemon, r, expect_log):
    """SIGUSR1; the reload must fail within 10 s, with `expect_log` in the log."""
    start = len(daemon.log())
    daemon.reload()
    r.expect(daemon.wait_log("reload failed; keeping the policy in force", 10.0, start),
             "no 'reload failed' within 10 s:\n%s" % daemon.log()[start:][-1500:])
    tail = daemon.log()[start:]
    r.expect(expect_log in tail, "%r not in the log of the reload:\n%s"
             % (expect_log, tail[-1500:]))
    r.expect("reloaded " not in tail, "a reload succeeded:\n%s" % tail[-1500:])
    r.expect(daemon.running(), "daemon exited after the reload")
    return tail


def run(ctx, results):
    base = os.path.join(ctx.workdir, "hostile")
    os.makedirs(base, exist_ok=True)
    main = os.path.join(base, "main.conf")
    rules = os.path.join(base, "rules.inc")
    pid = os.path.join(base, "mv.pid")
    write(rules, RULES)
    write(main, MAIN % {"pid": pid})
    daemon = ctx.start_daemon(main)
    try:
        with results.case("%s: the old policy answers, a 3/1h limit refuses the 4th recipient"
                          % GROUP) as r:
            r.expect_equal(rcpt_replies(ctx, "sender@example.test", ["blocked@example.test"]),
                           [OK_MAIL, OLD_REFUSAL], "old rule's reply")
            got = rcpt_replies(ctx, "limit@example.test",
                               ["limited-%d@example.test" % i for i in range(1, 4)])
            r.expect_equal(got, [OK_MAIL, OK_RCPT, OK_RCPT, OK_RCPT], "three under the limit")
            got = over_limit(ctx)
            r.expect(got and got[0].startswith("450 4.7.1 Rate limit exceeded"),
                     "4th recipient: %r" % got)

        remove(rules)
        os.mkdir(rules)
        with results.case("%s: reload onto a directory @include fails at its file:line; the "
                          "daemon lives and serves the old policy" % GROUP) as r:
            failed_reload(daemon, r, "main.conf:5: error: cannot open include file "
                          "'rules.inc': a directory, not a regular file")
            old_policy_holds(ctx, r, "after the directory include")
        remove(rules)

        os.mkfifo(rules)
        with results.case("%s: reload onto a FIFO @include fails at once; the daemon lives and "
                          "serves the old policy" % GROUP) as r:
            failed_reload(daemon, r, "main.conf:5: error: cannot open include file "
                          "'rules.inc': a FIFO, not a regular file")
            old_policy_holds(ctx, r, "after the FIFO include")
        remove(rules)

        write(rules, "")
        with results.case("%s: reload onto an emptied rules file is refused (no rules without "
                          "allow_empty); the old policy stays" % GROUP) as r:
            failed_reload(daemon, r, "main.conf:4: error: no rules: every message would be "
                          "accepted")
            old_policy_holds(ctx, r, "after the emptied rules file")
        write(rules, RULES)

        write(main, BAD_RESOLVER % {"pid": pid})
        with results.case("%s: a reload with a new state group and a resolver that cannot be "
                          "set up changes nothing: the store and its counts stay" % GROUP) as r:
            tail = failed_reload(daemon, r, "dns: cannot read the nameservers of "
                                 "/nonexistent/milter-verdict-e2e/resolv.conf")
            r.expect("state settings changed" not in tail and "state store:" not in tail,
                     "the state store was switched by a failed reload:\n%s" % tail[-1500:])
            old_policy_holds(ctx, r, "after the failed reload")
        write(main, MAIN % {"pid": pid})
        with results.case("%s: reloading the unchanged original afterwards keeps the counts"
                          % GROUP) as r:
            start = len(daemon.log())
            daemon.reload()
            r.expect(daemon.wait_log("reloaded ", 10.0, start), "no 'reloaded' within 10 s:\n%s"
                     % daemon.log()[start:][-1500:])
            r.expect("state settings changed" not in daemon.log()[start:],
                     "the state store was reopened")
            old_policy_holds(ctx, r, "after reloading the original")
    finally:
        for p in (rules,):
            try:
                remove(p)
            except OSError:
                pass
        write(rules, RULES)
        ctx.stop_daemon(results, GROUP, daemon)

    # SIGTERM right behind a reload onto a FIFO include.
    write(main, MAIN % {"pid": pid})
    second = ctx.start_daemon(main)
    try:
        with results.case("%s: SIGTERM during a reload onto a FIFO @include exits 0 within "
                          "10 s and removes the pid file" % GROUP) as r:
            r.expect(os.path.exists(pid), "pid file %s not written at start" % pid)
            remove(rules)
            os.mkfifo(rules)
            second.reload()
            time.sleep(0.2)
            started = time.monotonic()
            second.proc.send_signal(signal.SIGTERM)
            try:
                status = second.proc.wait(10)
            except subprocess.TimeoutExpired:
                status = None
            r.expect_equal(status, 0, "exit status within 10 s of SIGTERM (None: still running "
                           "after %.1f s)" % (time.monotonic() - started))
            r.expect(not os.path.exists(pid), "pid file %s left behind" % pid)
    finally:
        second.stop()
        try:
            remove(rules)
        except OSError:
            pass
