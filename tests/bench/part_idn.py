# SPDX-License-Identifier: Apache-2.0
# part_idn.py - the "idn" part of `make bench` (run_bench.py --parts idn):
# runs mv-idn-bench (tests/bench/idn_bench.cpp) and files its figures under
# results["idn"]: what IDN support costs a domain comparison, ASCII beside the
# code before IDN support in the same run, U-labels with and without the
# per-thread memo, list build cost per entry by form. Prints, asserts nothing.
import json
import os
import subprocess


def run_idn(a, results, say):
    say("== idn: domain comparison cost of IDN support (mv-idn-bench)")
    json_path = os.path.join(a.out, "idn.json")
    if os.path.exists(json_path):
        os.remove(json_path)
    args = [os.path.join(a.bin, "mv-idn-bench"), "--seconds", "0.3" if a.quick else "1",
            "--entries", str(a.large), "--json", json_path]
    say("$ " + " ".join(args))
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=600)
    for line in p.stdout.splitlines():
        say("  " + line)
    if p.returncode != 0 or not os.path.exists(json_path):
        results["idn"] = {"error": "mv-idn-bench exited %d" % p.returncode}
        return False
    with open(json_path) as f:
        results["idn"] = json.load(f)
    return True
