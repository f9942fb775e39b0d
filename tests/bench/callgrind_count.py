# SPDX-License-Identifier: Apache-2.0
# callgrind_count.py - the daemon's instructions per message under callgrind,
# shared by the bench parts that report it (metrics, dns): the one figure a
# busy machine cannot blur.
#
# instructions_per_message() starts milter-verdict under valgrind's callgrind
# on a unix socket with the given configuration, runs mv-loadgen (4
# connections) for `warmup` messages, zeroes the counters, runs `messages`
# more, dumps and reads the dump's summary (every thread, libraries
# included). `ready(pid)` runs once the socket exists, `after()` after the
# measured run and before the dump. Returns None (after saying why) when
# valgrind, callgrind_control or mv-loadgen is missing or no dump appeared.
import os
import shutil
import signal
import subprocess
import time


def tools(a):
    valgrind, control = shutil.which("valgrind"), shutil.which("callgrind_control")
    loadgen = os.path.join(a.bin, "mv-loadgen")
    if not valgrind or not control or not os.access(loadgen, os.X_OK):
        return None
    return valgrind, control, loadgen


def instructions_per_message(a, say, work, name, conf_text, messages, warmup,
                             ready=None, after=None):
    found = tools(a)
    if not found:
        say("  callgrind: skipped (needs valgrind and mv-loadgen: make bench-tools)")
        return None
    valgrind, control, loadgen = found
    cg = os.path.join(work, "cg-%s" % name)
    conf, sock = cg + ".conf", cg + ".sock"
    with open(conf, "w") as f:
        f.write(conf_text)
    log = open(cg + ".log", "wb")
    p = subprocess.Popen([valgrind, "--tool=callgrind", "--callgrind-out-file=" + cg + ".out",
                          a.mv, "-f", "-c", conf, "-p", "unix:" + sock, "-l", "stderr"],
                         stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not os.path.exists(sock) and time.monotonic() < deadline and p.poll() is None:
            time.sleep(0.2)
        if ready:
            ready(deadline)

        def run(n):
            subprocess.run([loadgen, "--socket", "unix:" + sock, "--connections", "4",
                            "--messages", str(n), "--warmup", "0", "--label", "cg",
                            "--json", cg + ".json"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=900)

        run(warmup)
        subprocess.run([control, "-z", str(p.pid)], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=60)
        run(messages)
        if after:
            after()
        subprocess.run([control, "-d", str(p.pid)], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=60)
        dumps = sorted((f for f in os.listdir(work) if f.startswith("cg-%s.out." % name)),
                       key=lambda f: int(f.rsplit(".", 1)[1]))
        total = None
        if dumps:
            with open(os.path.join(work, dumps[-1])) as f:
                for line in f:
                    if line.startswith("summary:"):
                        total = int(line.split()[1])
        if total is None:
            say("  callgrind %s: no dump" % name)
            return None
        return total / float(messages)
    finally:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=10)
        log.close()
