#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""syscall_audit.py UNIT STRACE_LOG [PROGRAM] - system calls the unit's filter would refuse.

Reads the SystemCallFilter= lines of UNIT (an allow list, then "~" deny
lists, as systemd applies them in order), expands the @groups with
`systemd-analyze syscall-filter`, and checks every system call named in
STRACE_LOG (strace -f output), from the execve of PROGRAM on when given (what
runs before it, e.g. setpriv dropping privileges, is systemd's part). Prints the calls made and, for each refused
one, "refused: NAME"; exits 1 if any call would be refused, 2 on bad input.
Under the unit a refused call fails with EPERM (SystemCallErrorNumber=), so
this is how a hardening change that breaks the daemon shows up without
systemd as PID 1.
"""
import re
import subprocess
import sys


def load_groups():
    out = subprocess.run(["systemd-analyze", "syscall-filter"], check=True,
                         capture_output=True, text=True).stdout
    groups, current = {}, None
    for line in out.splitlines():
        if line.startswith("@"):
            current = line.strip()
            groups[current] = []
        elif current and line.strip() and not line.strip().startswith("#"):
            groups[current].append(line.strip())
    return groups


def expand(names, groups, seen=None):
    seen = set() if seen is None else seen
    result = set()
    for name in names:
        if name.startswith("@"):
            if name in seen:
                continue
            seen.add(name)
            result |= expand(groups.get(name, []), groups, seen)
        else:
            result.add(name)
    return result


def main():
    unit, log = sys.argv[1:3]
    program = sys.argv[3] if len(sys.argv) > 3 else None
    groups = load_groups()
    allowed = None
    for line in open(unit, encoding="utf-8"):
        m = re.match(r"^SystemCallFilter=(~?)(.*)$", line.strip())
        if not m:
            continue
        names = expand(m.group(2).split(), groups)
        if m.group(1):
            allowed = (allowed if allowed is not None else set()) - names
        else:
            allowed = names if allowed is None else allowed | names
    if allowed is None:
        print("no SystemCallFilter= in the unit")
        return 2
    made = set()
    call = re.compile(r"^(?:\[pid\s+)?\d*\]?\s*([a-z_][a-z0-9_]*)\(")
    started = program is None
    for line in open(log, encoding="utf-8", errors="replace"):
        line = re.sub(r"^\d+\s+", "", line)
        if not started:
            started = line.startswith(f'execve("{program}",') and " = 0" in line
            continue
        m = call.match(line)
        if m:
            made.add(m.group(1))
    if not made:
        print("no system calls in the strace log")
        return 2
    print("calls made: " + " ".join(sorted(made)))
    refused = sorted(made - allowed)
    for name in refused:
        print("refused: " + name)
    return 1 if refused else 0


if __name__ == "__main__":
    sys.exit(main())
