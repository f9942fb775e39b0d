# SPDX-License-Identifier: Apache-2.0
# sendmail_instance.py - a private, throw-away Sendmail on loopback.
#
# SendmailInstance(workdir, root, milter_mc) builds sendmail.cf from a .mc
# with m4 and Debian's sendmail-cf (unpacked, never installed, under `root`
# by scripts/fetch-sendmail.sh), then runs Debian's sendmail binary from the
# same tree as a foreground daemon (-bD) listening on a free 127.0.0.1 port.
# Everything is under workdir: queue (queue/, with Sendmail's quarantined
# "hf" files), the aliases database, the mbox the tests read (mail/mbox) and
# the log (log/sendmail.log). `milter_mc` is the INPUT_MAIL_FILTER and
# confMILTER_MACROS_* lines under test (packaging/sendmail/milter-verdict.mc).
#
# Sendmail logs only to syslog and resolves names through the system's
# resolver, so it runs in a mount namespace of its own (unshare --mount):
# /dev there is a small tmpfs with the usual device nodes and /dev/log a link
# to a SyslogSink socket under workdir; /etc/hosts, /etc/nsswitch.conf and
# /etc/resolv.conf are private copies (hosts from files only, no DNS
# server), so no lookup leaves the machine and 127.0.0.2 stays unresolved.
#
# SMTP AUTH: PLAIN, checked by Cyrus SASL against a private sasldb that
# holds SASL_USER (made with the unpacked saslpasswd2); Sendmail.conf reaches
# /etc/sasl2 through an overlay on /etc in the namespace.
#
# Delivery is local only: example.test is a local domain, every local user
# goes to one alias (LUSER_RELAY) whose target is the mbox file, delivered by
# Sendmail's own *file* mailer; other domains are refused at RCPT (no smtp
# mailer is configured, so nothing is ever sent out).
#
# Call order: SendmailInstance(...) -> start() -> [smtp_port, mailbox(),
# queue_files(), log(), reconfigure(milter_mc)] -> stop(). The daemon is
# started and stopped by its pid (the Popen pid is Sendmail's: unshare and
# the set-up script exec it); stop() is idempotent, also after a failed
# start(), and takes down the process group Sendmail's children share.
#
# Errors: HarnessError with m4's or Sendmail's output and the log tail when
# the configuration does not build or the daemon does not listen in time.
import mailbox
import os
import pwd
import signal
import subprocess
import time

from harness.net import free_port, wait_listening, wait_not_listening, HarnessError
from harness.syslog_sink import SyslogSink

MAIL_DOMAIN = "example.test"
HOSTNAME = "mx.example.test"
SASL_USER = ("alice@example.test", "e2e-secret")
LIB_DIRS = ("usr/lib/x86_64-linux-gnu", "lib/x86_64-linux-gnu")

# The instance's own settings; the milter lines under test are appended.
MC_TEMPLATE = """\
divert(-1)
dnl Private e2e instance (tests/e2e/harness/sendmail_instance.py).
divert(0)dnl
VERSIONID(`milter-verdict e2e')dnl
OSTYPE(`linux')dnl
define(`confDOMAIN_NAME', `{hostname}')dnl
define(`confSMTP_LOGIN_MSG', `$j')dnl
define(`confDONT_PROBE_INTERFACES', `True')dnl
define(`confDONT_BLAME_SENDMAIL', `TrustStickyBit')dnl
define(`QUEUE_DIR', `{queue}')dnl
define(`confPID_FILE', `{pid_file}')dnl
define(`ALIAS_FILE', `{aliases}')dnl
define(`STATUS_FILE', `{work}/statistics')dnl
define(`HELP_FILE', `{root}/etc/mail/helpfile')dnl
define(`confHOSTS_FILE', `{etc}/hosts')dnl
define(`confSERVICE_SWITCH_FILE', `{etc}/service.switch')dnl
define(`confDEF_USER_ID', `{mail_uid}:{mail_gid}')dnl
define(`LUSER_RELAY', `local:mvbox')dnl
dnl A busy shared machine must not switch Sendmail to queue-only or refusing.
define(`confQUEUE_LA', `1000')dnl
define(`confREFUSE_LA', `1000')dnl
define(`confDELAY_LA', `0')dnl
define(`confTO_IDENT', `0s')dnl
define(`confLOG_LEVEL', `9')dnl
define(`confMILTER_LOG_LEVEL', `9')dnl
DAEMON_OPTIONS(`Port={port}, Addr=127.0.0.1, Name=MTA')dnl
FEATURE(`no_default_msa')dnl
FEATURE(`nocanonify')dnl
FEATURE(`accept_unresolvable_domains')dnl
LOCAL_DOMAIN(`{domain}')dnl
dnl SMTP AUTH PLAIN against a private sasldb (namespace.sh: /etc/sasl2).
define(`confAUTH_MECHANISMS', `PLAIN')dnl
TRUST_AUTH_MECH(`PLAIN')dnl
MAILER(`local')dnl
dnl --- the milter lines under test ---
{milter}
"""

# Runs inside `unshare --mount --propagation private`; then execs Sendmail.
NAMESPACE_SH = """\
set -eu
W={work}
mkdir -p "$W/ns/dev.host"
mount --rbind /dev "$W/ns/dev.host"
mount -t tmpfs -o mode=755,size=64k mv-e2e-dev /dev
for n in null zero full random urandom tty; do
  touch "/dev/$n"
  mount --bind "$W/ns/dev.host/$n" "/dev/$n"
done
ln -s /proc/self/fd /dev/fd
ln -s "$W/log.sock" /dev/log
umount -l "$W/ns/dev.host"
if [ -d "$W/etc-overlay/sasl2" ]; then
  # SMTP AUTH: Cyrus SASL reads /etc/sasl2/Sendmail.conf, which this machine
  # need not have: a private upper layer over /etc holds it.
  mkdir -p "$W/ns/etc-work"
  # Without overlayfs only SMTP AUTH is lost (its case fails and says so).
  mount -t overlay mv-e2e-etc -o "lowerdir=/etc,upperdir=$W/etc-overlay,workdir=$W/ns/etc-work" \
    /etc || echo "namespace.sh: no overlay on /etc: SMTP AUTH has no Sendmail.conf" >&2
fi
for f in hosts nsswitch.conf resolv.conf; do
  [ -e "/etc/$f" ] && mount --bind "$W/etc/$f" "/etc/$f"
done
exec "$@"
"""


class SendmailInstance:
    def __init__(self, workdir, root, milter_mc, start_timeout=30.0):
        self.workdir = workdir
        self.root = root
        self.milter_mc = milter_mc
        self.start_timeout = start_timeout
        self.etc = os.path.join(workdir, "etc")
        self.queue_dir = os.path.join(workdir, "queue")
        self.mail_dir = os.path.join(workdir, "mail")
        self.log_file = os.path.join(workdir, "log", "sendmail.log")
        self.cf = os.path.join(self.etc, "sendmail.cf")
        self.pid_file = os.path.join(workdir, "sendmail.pid")
        self.binary = os.path.join(root, "usr/libexec/sendmail/sendmail")
        self.smtp_port = free_port()
        self.proc = None
        self._out = None
        self.sink = SyslogSink(os.path.join(workdir, "log.sock"), self.log_file)
        self._write_files()
        self._build_cf()

    # -- configuration -------------------------------------------------
    def _env(self):
        libs = ":".join(os.path.join(self.root, d) for d in LIB_DIRS)
        return dict(os.environ, LD_LIBRARY_PATH=libs, LANG="C", LC_ALL="C")

    def _write_files(self):
        for d in (self.etc, self.queue_dir, self.mail_dir, os.path.dirname(self.log_file)):
            os.makedirs(d, exist_ok=True)
        os.chmod(self.workdir, 0o755)
        os.chmod(self.queue_dir, 0o700)  # Sendmail refuses a group/world-writable queue
        mail = pwd.getpwnam("mail")
        # The *file* mailer writes as the default user (confDEF_USER_ID).
        os.chown(self.mail_dir, mail.pw_uid, mail.pw_gid)
        files = {
            "hosts": "127.0.0.1 localhost %s\n" % HOSTNAME,
            "nsswitch.conf": "hosts: files\npasswd: files\ngroup: files\n",
            # Nothing answers there: no lookup leaves the machine.
            "resolv.conf": "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n",
            "service.switch": "hosts files\naliases files\n",
        }
        for name, text in files.items():
            with open(os.path.join(self.etc, name), "w") as f:
                f.write(text)
        with open(os.path.join(self.etc, "aliases"), "w") as f:
            f.write("mvbox: %s\npostmaster: mvbox\nMAILER-DAEMON: mvbox\nroot: mvbox\n"
                    % os.path.join(self.mail_dir, "mbox"))
        with open(os.path.join(self.workdir, "namespace.sh"), "w") as f:
            f.write(NAMESPACE_SH.format(work=self.workdir))
        sasl_dir = os.path.join(self.workdir, "etc-overlay", "sasl2")
        os.makedirs(sasl_dir, exist_ok=True)
        sasldb = os.path.join(self.workdir, "sasldb2")
        user, password = SASL_USER
        name, realm = user.split("@")
        if os.path.exists(sasldb):
            os.unlink(sasldb)
        p = subprocess.run([os.path.join(self.root, "usr/sbin/saslpasswd2"), "-f", sasldb, "-p",
                            "-c", "-u", realm, name], input=(password + "\n").encode(),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=self._env(),
                           timeout=30)
        if p.returncode != 0:
            raise HarnessError("saslpasswd2 failed: %s" % p.stdout.decode("utf-8", "replace"))
        with open(os.path.join(sasl_dir, "Sendmail.conf"), "w") as f:
            f.write("pwcheck_method: auxprop\nauxprop_plugin: sasldb\nsasldb_path: %s\n"
                    "mech_list: PLAIN\n" % sasldb)

    def mc_text(self):
        mail = pwd.getpwnam("mail")
        return MC_TEMPLATE.format(
            hostname=HOSTNAME, queue=self.queue_dir, pid_file=self.pid_file,
            aliases=os.path.join(self.etc, "aliases"), work=self.workdir, root=self.root,
            etc=self.etc, mail_uid=mail.pw_uid, mail_gid=mail.pw_gid, port=self.smtp_port,
            domain=MAIL_DOMAIN, milter=self.milter_mc.rstrip("\n"))

    def _build_cf(self):
        mc = os.path.join(self.etc, "sendmail.mc")
        with open(mc, "w") as f:
            f.write(self.mc_text())
        cf_dir = os.path.join(self.root, "usr/share/sendmail/cf")
        p = subprocess.run(["m4", "-D_CF_DIR_=%s/" % cf_dir, os.path.join(cf_dir, "m4/cf.m4"), mc],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        if p.returncode != 0 or p.stderr.strip():
            raise HarnessError("m4 could not build sendmail.cf from %s (exit %d):\n%s"
                               % (mc, p.returncode, p.stderr.decode("utf-8", "replace")))
        with open(self.cf, "wb") as f:
            f.write(p.stdout)
        # The aliases database (hash) from the text file. Sendmail looks up its
        # own name first: in the namespace, so that no DNS query leaves.
        self.sink.start()
        self._run(self._namespaced([self.binary, "-C", self.cf, "-bi"]))

    def _namespaced(self, args):
        return ["unshare", "--mount", "--propagation", "private", "sh",
                os.path.join(self.workdir, "namespace.sh")] + args

    def _run(self, args, timeout=60):
        p = subprocess.run(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=timeout, env=self._env())
        if p.returncode != 0:
            raise HarnessError("%s failed (exit %d):\n%s" % (
                " ".join(args), p.returncode, p.stdout.decode("utf-8", "replace")))
        return p.stdout.decode("utf-8", "replace")

    def cf_text(self):
        with open(self.cf) as f:
            return f.read()

    def reconfigure(self, milter_mc):
        """New milter lines: rebuild sendmail.cf and restart Sendmail on the same port."""
        was_running = self.running()
        self.stop()
        self.milter_mc = milter_mc
        self._build_cf()
        if was_running:
            self.start()

    # -- life cycle ----------------------------------------------------
    def start(self):
        self.sink.start()
        self._out = open(os.path.join(self.workdir, "sendmail.out"), "ab")
        self.proc = subprocess.Popen(
            self._namespaced([self.binary, "-C", self.cf, "-bD", "-q1s"]),
            stdin=subprocess.DEVNULL, stdout=self._out, stderr=subprocess.STDOUT,
            env=self._env(), start_new_session=True)
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise HarnessError("Sendmail exited with %d at start:\n%s%s"
                                   % (self.proc.returncode, self.output(), self.log_tail()))
            if wait_listening(self.smtp_port, 0.2):
                return
        raise HarnessError("Sendmail did not listen on 127.0.0.1:%d within %.0fs\n%s%s"
                           % (self.smtp_port, self.start_timeout, self.output(), self.log_tail()))

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def stop(self, timeout=15.0):
        if self.proc is None:
            return None
        status = self.proc.poll()
        if status is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                status = self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                status = None
        # Children (SMTP sessions, queue runners, deliveries) share the group.
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            pass
        if status is None:
            self.proc.wait(10)
        wait_not_listening(self.smtp_port, 5.0)
        if self._out:
            self._out.close()
            self._out = None
        self.proc = None
        return status

    def close(self):
        self.stop()
        self.sink.stop()

    # -- what the tests read --------------------------------------------
    def output(self):
        try:
            with open(os.path.join(self.workdir, "sendmail.out"), "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def log(self):
        return self.sink.text()

    def log_tail(self, n=30):
        lines = self.log().splitlines()
        return "\n--- sendmail log (last %d lines) ---\n%s\n" % (n, "\n".join(lines[-n:]))

    def wait_log(self, text, timeout=10.0, start=0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log()[start:]:
                return True
            time.sleep(0.1)
        return text in self.log()[start:]

    def mailbox(self):
        try:
            with open(os.path.join(self.mail_dir, "mbox"), "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def wait_mailbox(self, predicate, timeout=15.0):
        deadline = time.monotonic() + timeout
        text = self.mailbox()
        while not predicate(text) and time.monotonic() < deadline:
            time.sleep(0.2)
            text = self.mailbox()
        return text

    def messages(self):
        path = os.path.join(self.mail_dir, "mbox")
        if not os.path.exists(path):
            return []
        box = mailbox.mbox(path, create=False)
        try:
            return list(box)
        finally:
            box.close()

    def delivered(self, subject):
        return [m for m in self.messages() if m.get("Subject") == subject]

    def queue_files(self, prefix=""):
        """Queue file names (qf, df, hf = quarantined qf, ...), optionally by prefix."""
        try:
            names = os.listdir(self.queue_dir)
        except FileNotFoundError:
            return []
        return sorted(n for n in names if n.startswith(prefix))

    def queue_file(self, name):
        with open(os.path.join(self.queue_dir, name), "rb") as f:
            return f.read().decode("utf-8", "replace")

    def mailq(self, quarantined=False):
        """Sendmail's own queue listing (mailq; -qQ: the quarantined messages)."""
        args = [self.binary, "-C", self.cf, "-bp"] + (["-qQ"] if quarantined else [])
        return self._run(self._namespaced(args))

    def remove_queue_files(self, queue_id):
        for n in self.queue_files():
            if n[2:] == queue_id:
                os.unlink(os.path.join(self.queue_dir, n))


def sendmail_tree_ok(root):
    return (os.access(os.path.join(root, "usr/libexec/sendmail/sendmail"), os.X_OK)
            and os.path.isfile(os.path.join(root, "usr/share/sendmail/cf/m4/cf.m4")))
