# SPDX-License-Identifier: Apache-2.0
# prometheus_server.py - a private Prometheus server that scrapes one target.
#
# PrometheusServer(workdir, target) writes a configuration scraping
# http://TARGET/metrics every second (job "mv"), start() runs `prometheus`
# (Debian package prometheus) on a free 127.0.0.1 port with its data in
# workdir, in its own session, and waits (30 s at most) until it answers;
# query() runs an instant PromQL query, targets() and metadata() read the
# API. stop() sends SIGTERM to its pid and waits (SIGKILL after 15 s); it is
# idempotent and run from a `finally`.
#
# Prometheus 2.x asks a target for OpenMetrics first (its Accept header), so
# a healthy target whose families carry OpenMetrics metadata (type "info")
# shows that the OpenMetrics exposition parsed.
#
# Errors: start() raises HarnessError when prometheus is missing, exits, or
# does not answer in time.
import json
import os
import shutil
import subprocess
import time
import urllib.parse
import urllib.request

from harness.net import free_port, wait_listening, HarnessError

CONFIG = """\
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: mv
    static_configs:
      - targets: ["%s"]
"""


class PrometheusServer:
    def __init__(self, workdir, target):
        self.dir = os.path.join(workdir, "prometheus")
        os.makedirs(self.dir, exist_ok=True)
        self.port = free_port()
        self.config = os.path.join(self.dir, "prometheus.yml")
        with open(self.config, "w") as f:
            f.write(CONFIG % target)
        self.log_path = os.path.join(self.dir, "prometheus.log")
        self.proc = None
        self._log = None

    def start(self, timeout=30.0):
        binary = shutil.which("prometheus")
        if not binary:
            raise HarnessError("prometheus not installed (scripts/install-deps.sh test)")
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [binary, "--config.file=" + self.config,
             "--storage.tsdb.path=" + os.path.join(self.dir, "data"),
             "--web.listen-address=127.0.0.1:%d" % self.port],
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise HarnessError("prometheus exited with %d at start:\n%s"
                                   % (self.proc.returncode, self.log()[-2000:]))
            if wait_listening(self.port, 0.2):
                try:
                    self._get("/-/ready")
                    return
                except OSError:
                    pass
        raise HarnessError("prometheus not ready on %d within %.0fs" % (self.port, timeout))

    def _get(self, path):
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (self.port, path), timeout=10) as r:
            return r.read()

    def api(self, path, **params):
        query = ("?" + urllib.parse.urlencode(params)) if params else ""
        return json.loads(self._get("/api/v1/" + path + query))["data"]

    def query(self, promql):
        return self.api("query", query=promql)["result"]

    def targets(self):
        return self.api("targets")["activeTargets"]

    def metadata(self, metric):
        return self.api("targets/metadata", match_target='{job="mv"}', metric=metric)

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def stop(self, timeout=15.0):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if self._log:
            self._log.close()
            self._log = None
