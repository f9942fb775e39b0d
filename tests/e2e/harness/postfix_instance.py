# SPDX-License-Identifier: Apache-2.0
# postfix_instance.py - a private, throw-away Postfix instance on loopback.
#
# PostfixInstance(workdir, milters=..., non_smtpd_milters=...) writes main.cf
# and master.cf under workdir/etc, with its own queue, data and mail
# directories and its own log file (maillog_file), so it never shares anything
# with another Postfix on the machine: a free 127.0.0.1 port for smtpd, a
# syslog_name of its own, no other listeners, no chroot, no outbound delivery
# (every recipient domain but example.test is an error transport).
#
# Call order: PostfixInstance(...) -> start() -> [reconfigure(), smtp_port,
# mailbox(), queue_ids(), log()] -> stop(). stop() is safe to call more than
# once and after a failed start(); the caller runs it from a `finally`.
#
# Errors: start() raises HarnessError with `postfix check` / start output and
# the tail of the Postfix log when the instance cannot start or does not
# listen within its timeout.
import grp
import os
import pwd
import shutil
import subprocess
import time

from harness.net import free_port, wait_listening, HarnessError

POSTFIX = "/usr/sbin/postfix"
POSTCONF = "/usr/sbin/postconf"
SENDMAIL = "/usr/sbin/sendmail"
POSTSUPER = "/usr/sbin/postsuper"

# Recipients @example.test are delivered to one mbox file the tests read.
MAIL_DOMAIN = "example.test"

MASTER_CF = """\
# Private test instance: one smtpd on loopback, the services smtpd, cleanup,
# qmgr and delivery need, nothing that talks to the outside.
127.0.0.1:{port} inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


class PostfixInstance:
    def __init__(self, workdir, milters="", non_smtpd_milters="", start_timeout=30.0):
        self.workdir = workdir
        self.config_dir = os.path.join(workdir, "etc")
        self.queue_dir = os.path.join(workdir, "spool")
        self.data_dir = os.path.join(workdir, "data")
        self.mail_dir = os.path.join(workdir, "mail")
        self.log_file = os.path.join(workdir, "log", "postfix.log")
        self.start_timeout = start_timeout
        self.smtp_port = free_port()
        self.milters = milters
        self.non_smtpd_milters = non_smtpd_milters
        self.started = False
        self._write_config()

    # -- configuration -------------------------------------------------
    def _main_cf(self):
        pw = pwd.getpwnam("postfix")
        name = "mv-e2e-%d" % self.smtp_port
        lines = {
            "compatibility_level": "3.6",
            "config_directory": self.config_dir,
            "queue_directory": self.queue_dir,
            "data_directory": self.data_dir,
            "mail_owner": "postfix",
            "setgid_group": "postdrop",
            "syslog_name": name,
            "maillog_file": self.log_file,
            "maillog_file_prefixes": self.workdir,
            # Keep the caller's environment out of Postfix, and ours out of theirs.
            "import_environment": "MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C",
            "myhostname": "mx.example.test",
            "mydomain": MAIL_DOMAIN,
            "myorigin": MAIL_DOMAIN,
            "mydestination": "",
            "inet_interfaces": "127.0.0.1",
            "inet_protocols": "ipv4",
            "mynetworks": "127.0.0.0/8",
            "smtpd_banner": "$myhostname ESMTP",
            "smtpd_delay_reject": "yes",
            "smtpd_recipient_restrictions": "permit_mynetworks, reject",
            "smtpd_relay_restrictions": "permit_mynetworks, reject",
            "smtpd_tls_security_level": "none",
            "smtp_tls_security_level": "none",
            "disable_dns_lookups": "yes",
            "smtp_dns_support_level": "disabled",
            "smtpd_peername_lookup": "no",
            # Nothing leaves the machine: example.test goes to one mbox file,
            # every other destination is refused by the error transport.
            "relayhost": "",
            "default_transport": "error:outbound mail disabled in the e2e instance",
            "relay_transport": "error:outbound mail disabled in the e2e instance",
            "virtual_mailbox_domains": MAIL_DOMAIN,
            "virtual_mailbox_base": self.mail_dir,
            "virtual_mailbox_maps": "static:mbox",
            "virtual_uid_maps": "static:%d" % pw.pw_uid,
            "virtual_gid_maps": "static:%d" % pw.pw_gid,
            "virtual_minimum_uid": "1",
            "alias_maps": "",
            "alias_database": "",
            "local_recipient_maps": "",
            "biff": "no",
            "notify_classes": "",
            "bounce_queue_lifetime": "0",
            "queue_run_delay": "1s",
            "minimal_backoff_time": "1s",
            "maximal_backoff_time": "2s",
            "smtpd_error_sleep_time": "0",
            "smtpd_soft_error_limit": "100",
            "smtpd_hard_error_limit": "200",
            # The milter under test.
            "smtpd_milters": self.milters,
            "non_smtpd_milters": self.non_smtpd_milters,
            "milter_protocol": "6",
            "milter_default_action": "tempfail",
            "milter_connect_timeout": "5s",
            "milter_command_timeout": "10s",
            "milter_content_timeout": "20s",
            "milter_connect_macros":
                "j {daemon_name} {daemon_addr} v _ {client_addr} {client_name}",
            "milter_helo_macros":
                "{tls_version} {cipher} {cipher_bits} {cert_subject} {cert_issuer}",
            "milter_mail_macros":
                "i {auth_type} {auth_authen} {auth_author} {mail_addr} {mail_host} {mail_mailer}",
            "milter_rcpt_macros": "i {rcpt_addr} {rcpt_host} {rcpt_mailer}",
            "milter_data_macros": "i",
            "milter_end_of_header_macros": "i",
            "milter_end_of_data_macros": "i",
        }
        return "".join("%s = %s\n" % kv for kv in lines.items())

    def _write_config(self):
        for d in (self.config_dir, self.queue_dir, self.data_dir, self.mail_dir,
                  os.path.dirname(self.log_file)):
            os.makedirs(d, exist_ok=True)
        # Postfix daemons run as `postfix`: they must reach the queue, data
        # and mail directories through the (root-owned, 0700) temp dir.
        os.chmod(self.workdir, 0o755)
        pw = pwd.getpwnam("postfix")
        os.chown(self.data_dir, pw.pw_uid, pw.pw_gid)
        os.chown(self.mail_dir, pw.pw_uid, pw.pw_gid)
        with open(os.path.join(self.config_dir, "main.cf"), "w") as f:
            f.write(self._main_cf())
        with open(os.path.join(self.config_dir, "master.cf"), "w") as f:
            f.write(MASTER_CF.format(port=self.smtp_port))

    def reconfigure(self, **params):
        """Set main.cf parameters with postconf -c and reload Postfix."""
        args = [POSTCONF, "-c", self.config_dir, "-e"]
        args += ["%s=%s" % kv for kv in params.items()]
        self._run(args)
        if self.started:
            self._run([POSTFIX, "-c", self.config_dir, "reload"])
            time.sleep(1.0)  # master re-reads main.cf asynchronously

    def postconf(self, name):
        """The value of one main.cf parameter, as postconf -h prints it."""
        return self._run([POSTCONF, "-c", self.config_dir, "-h", name]).strip()

    def _run(self, args, timeout=60):
        env = dict(os.environ, MAIL_CONFIG=self.config_dir)
        p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout, env=env, text=True)
        if p.returncode != 0:
            raise HarnessError("%s failed (exit %d):\n%s%s" % (
                " ".join(args), p.returncode, p.stdout, self.log_tail()))
        return p.stdout

    # -- life cycle ----------------------------------------------------
    def start(self):
        self._run([POSTFIX, "-c", self.config_dir, "check"])
        self._run([POSTFIX, "-c", self.config_dir, "start"])
        self.started = True
        if not wait_listening(self.smtp_port, self.start_timeout):
            raise HarnessError("Postfix smtpd did not listen on 127.0.0.1:%d\n%s"
                               % (self.smtp_port, self.log_tail()))

    def master_pid(self):
        try:
            with open(os.path.join(self.queue_dir, "pid", "master.pid")) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def stop(self, timeout=20.0):
        if not self.started:
            return
        pid = self.master_pid()
        try:
            self._run([POSTFIX, "-c", self.config_dir, "stop"], timeout=timeout)
        except (HarnessError, subprocess.TimeoutExpired):
            pass
        deadline = time.monotonic() + timeout
        while pid and _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if pid and _alive(pid):
            # master did not go away: take its whole process group down.
            try:
                os.killpg(pid, 9)
            except OSError:
                pass
        self.started = False

    # -- what the tests read --------------------------------------------
    def mailbox(self):
        try:
            with open(os.path.join(self.mail_dir, "mbox"), "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def wait_mailbox(self, predicate, timeout=15.0):
        """Wait until predicate(mbox text) holds; returns the last text."""
        deadline = time.monotonic() + timeout
        text = self.mailbox()
        while not predicate(text) and time.monotonic() < deadline:
            time.sleep(0.2)
            text = self.mailbox()
        return text

    def queue_files(self):
        """Queue file names in every queue (incoming, active, deferred, hold...)."""
        out = []
        for q in ("maildrop", "incoming", "active", "deferred", "hold", "corrupt"):
            out += self.queue_files_in(q)
        return out

    def queue_files_in(self, queue):
        out = []
        for _root, _dirs, files in os.walk(os.path.join(self.queue_dir, queue)):
            out += files
        return out

    def delete_queue(self, queue):
        """postsuper -d ALL QUEUE: empty one queue (e.g. the hold queue)."""
        self._run([POSTSUPER, "-c", self.config_dir, "-d", "ALL", queue])

    def log(self):
        try:
            with open(self.log_file, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, n=30):
        lines = self.log().splitlines()
        return "\n--- postfix log (last %d lines) ---\n%s\n" % (n, "\n".join(lines[-n:]))

    def sendmail(self, sender, recipients, message, timeout=30):
        """Submit a message without SMTP (sendmail -C); returns (exit, output)."""
        p = subprocess.run([SENDMAIL, "-C", self.config_dir, "-f", sender, "-i", "--"]
                           + list(recipients), input=message.encode(),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout,
                           env=dict(os.environ, MAIL_CONFIG=self.config_dir))
        return p.returncode, p.stdout.decode("utf-8", "replace")


def _alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def remove_tree(path):
    shutil.rmtree(path, ignore_errors=True)


def postfix_available():
    return os.access(POSTFIX, os.X_OK) and _has_user("postfix") and _has_group("postdrop")


def _has_user(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def _has_group(name):
    try:
        grp.getgrnam(name)
        return True
    except KeyError:
        return False
