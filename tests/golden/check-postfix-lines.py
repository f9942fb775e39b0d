#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""check-postfix-lines.py TOP - the main.cf lines are one set, and none is a default.

The source is packaging/postfix/main.cf.{inet,unix,policy} (installed as
examples; each setting there says why it is needed). Every block the docs
mark as showing one of them must hold the same settings in the same order:
in README.md and packaging/README-packaging.txt the indented block after
"<!-- postfix-lines: main.cf.X -->", in man/milter-verdict.8 the .nf/.fi
block after '.\\" postfix-lines: main.cf.X' (an indented line continues the
one before). Comment lines do not count. No other line in those documents
may set a milter or policy-service parameter outside such a block. README.md and
the man page must show every variant. Every
setting must be one that `postconf -d` of the installed Postfix knows and
must differ from its default there: a line that only repeats a default is
noise an admin copies for years. Prints each setting with Postfix's default
and "OK"; exits 1 at the first kind of failure found (after printing all).
"""
import os
import re
import shutil
import subprocess
import sys

VARIANTS = ("main.cf.inet", "main.cf.unix", "main.cf.policy")
MARKDOWN = ("README.md", "packaging/README-packaging.txt")
MAN = "man/milter-verdict.8"
# Parameters that attach the daemon: outside a marked block they would be a
# copy nobody checks.
WATCHED = re.compile(
    r"^\s*(smtpd_milters|non_smtpd_milters|milter_[a-z_]+|smtpd_policy_service_[a-z_]+|"
    r"smtpd_relay_restrictions|smtpd_recipient_restrictions|smtpd_end_of_data_restrictions)\s*=")


def setting(line):
    name, _, value = line.partition("=")
    return name.strip(), " ".join(value.split())


def snippet(top, variant):
    with open(os.path.join(top, "packaging/postfix", variant)) as f:
        return [setting(l) for l in f if l.strip() and not l.lstrip().startswith("#")]


def markdown_blocks(path):
    """{variant: [settings]} and the watched lines outside any block."""
    blocks, stray = {}, []
    lines = open(path).read().split("\n")
    i = 0
    while i < len(lines):
        m = re.match(r"^<!-- postfix-lines: (\S+) -->$", lines[i])
        if not m:
            if WATCHED.match(lines[i]):
                stray.append(f"{path}:{i + 1}: {lines[i].strip()}")
            i += 1
            continue
        i += 1
        while i < len(lines) and not lines[i].strip():
            i += 1
        got = []
        while i < len(lines) and (lines[i].startswith("    ") or not lines[i].strip()):
            text = lines[i].strip()
            if text and not text.startswith("#"):
                got.append(setting(text))
            i += 1
        blocks.setdefault(m.group(1), []).append(got)
    return blocks, stray


def man_blocks(path):
    blocks, stray = {}, []
    lines = open(path).read().split("\n")
    i = 0
    while i < len(lines):
        m = re.match(r'^\.\\" postfix-lines: (\S+)$', lines[i])
        if not m:
            if WATCHED.match(lines[i]):
                stray.append(f"{path}:{i + 1}: {lines[i].strip()}")
            i += 1
            continue
        i += 1
        if i >= len(lines) or lines[i] != ".nf":
            stray.append(f"{path}:{i + 1}: no .nf after the postfix-lines comment")
            continue
        i += 1
        joined = []
        while i < len(lines) and lines[i] != ".fi":
            text = lines[i].replace("\\-", "-").replace("\\e", "\\")
            if text[:1].isspace() and joined:
                joined[-1] += " " + text.strip()
            else:
                joined.append(text)
            i += 1
        got = [setting(t) for t in joined if t.strip() and not t.lstrip().startswith("#")]
        blocks.setdefault(m.group(1), []).append(got)
    return blocks, stray


def postfix_default(name):
    r = subprocess.run(["postconf", "-d", "-h", name], capture_output=True, text=True)
    if r.returncode != 0 or "unknown parameter" in r.stderr:
        return None
    return " ".join(r.stdout.split())


def main():
    top = sys.argv[1]
    if shutil.which("postconf") is None:
        print("FAIL postconf not found: install Postfix (scripts/install-deps.sh test)")
        return 1
    failures = 0
    docs = {p: markdown_blocks(os.path.join(top, p)) for p in MARKDOWN}
    docs[MAN] = man_blocks(os.path.join(top, MAN))
    for path, (_, stray) in docs.items():
        for s in stray:
            print(f"FAIL {s}: a main.cf line outside a postfix-lines block")
            failures += 1
    for path, (blocks, _) in docs.items():
        for variant in blocks:
            if variant not in VARIANTS:
                print(f"FAIL {path}: postfix-lines block for unknown {variant}")
                failures += 1
    for variant in VARIANTS:
        want = snippet(top, variant)
        shown = []
        for path, (blocks, _) in docs.items():
            for got in blocks.get(variant, []):
                shown.append(path)
                if got != want:
                    print(f"FAIL {path}: the {variant} block differs from packaging/postfix/{variant}")
                    print(f"     block:   {got}")
                    print(f"     snippet: {want}")
                    failures += 1
        for must in ("README.md", MAN):
            if must not in shown:
                print(f"FAIL {must}: no postfix-lines block for {variant}")
                failures += 1
        print(f"{variant}: {len(want)} settings, shown in {', '.join(sorted(set(shown))) or 'no document'}")
        for name, value in want:
            default = postfix_default(name)
            if default is None:
                print(f"FAIL   {name}: not a parameter of this Postfix (postconf -d)")
                failures += 1
            elif default == value:
                print(f"FAIL   {name} = {value}: equals Postfix's default")
                failures += 1
            else:
                print(f"  OK   {name} = {value}   (postconf -d: '{default}')")
    if failures:
        print(f"{failures} problems")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
