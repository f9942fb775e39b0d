#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# man_synopsis.py - the SYNOPSIS of milter-verdict(8) from the command table.
#
#   man_synopsis.py forms MV           the synopsis lines of `MV --help`, one a line
#   man_synopsis.py roff MV            those lines as the roff of the SYNOPSIS
#   man_synopsis.py write MV PAGE      replace PAGE's SYNOPSIS with that roff
#                                      (make man-synopsis)
#   man_synopsis.py check MV PAGE      compare PAGE's SYNOPSIS, as mandoc renders
#                                      it, with the lines of `MV --help`; exit 1
#                                      and print each difference when they differ
#
# The table (plugin/cli/options.cpp) is the source: `MV --help` prints every
# command's synopsis from it. The check reads the rendered page, not the roff,
# so a page edited by hand is checked the same way. Metavariables are upper
# case in the usage text and italic lower case in the page: compared without
# case.
import re
import subprocess
import sys


def forms(mv):
    out = subprocess.run([mv, "--help"], stdout=subprocess.PIPE, check=True,
                         universal_newlines=True).stdout
    lines = []
    for line in out.splitlines():
        if not line.strip():
            break
        text = line[len("usage: "):] if line.startswith("usage: ") else line
        if text.startswith("       milter-verdict") or text.startswith("milter-verdict"):
            lines.append(text.strip())
        else:
            lines[-1] += " " + text.strip()
    return [" ".join(l.split()) for l in lines]


def esc(word):
    return word.replace("\\", "\\\\").replace("-", "\\-")


def roff_word(word, quoted):
    # Leading "[" and trailing "]", "..." in roman; the core by kind.
    m = re.match(r"^(\[?)(.*?)((?:\]|\.\.\.)*)$", word)
    lead, core, tail = m.group(1), m.group(2), m.group(3)
    if core == "|" or not core:
        body = core
    elif quoted:
        body = "\\fI%s\\fR" % esc(core)
    elif core.startswith("-"):
        body = "\\fB%s\\fR" % esc(core)
    elif "|" in core:
        body = "|".join("\\fB%s\\fR" % esc(p) for p in core.split("|"))
    elif core.upper() == core:
        body = "\\fI%s\\fR" % esc(core.lower())
    else:
        body = "\\fB%s\\fR" % esc(core)
    return lead + body + tail


def groups(words):
    # The words that stay on one output line: an option with its value, a
    # bracketed group, a quoted value.
    out, cur, depth, quote = [], [], 0, False
    for w in words:
        starts_alone = not cur or (depth == 0 and not quote and (
            w.startswith("-") or w.startswith("[") or w == "|" or cur[-1][0] == "|"
            or not cur[-1][0].startswith("-") and not cur[-1][0].startswith("[")))
        if starts_alone and cur:
            out.append(cur)
            cur = []
        in_quote = quote or w.lstrip("[").startswith("'")
        cur.append((w, in_quote))
        depth += w.count("[") - w.count("]")
        if w.count("'") % 2:
            quote = not quote
    if cur:
        out.append(cur)
    return out


def roff(mv):
    out = [".ad l"]
    for i, form in enumerate(forms(mv)):
        words = form.split()
        if i:
            out.append(".br")
        # The program and the sub-command in bold, then one group a line;
        # \% keeps a word from being hyphenated, "\ " a group on one line.
        head = ["milter-verdict"]
        rest = words[1:]
        if rest and re.match(r"^[a-z][a-z-]*$", rest[0]):
            head.append(rest.pop(0))
        out.append(".B " + esc(" ".join(head)))
        for g in groups(rest):
            out.append("\\ ".join("\\%" + roff_word(w, q) for w, q in g))
    out.append(".ad b")
    return "\n".join(out) + "\n"


def rendered(page):
    text = subprocess.run(["mandoc", "-Tascii", "-Owidth=1000", page], stdout=subprocess.PIPE,
                          check=True, universal_newlines=True).stdout
    text = re.sub(r".\x08", "", text)
    lines, inside = [], False
    for line in text.splitlines():
        if line.startswith("SYNOPSIS"):
            inside = True
        elif inside and line and not line[0].isspace():
            break
        elif inside and line.strip():
            lines.append(" ".join(line.split()))
    return lines


def main():
    cmd, mv = sys.argv[1], sys.argv[2]
    if cmd == "forms":
        print("\n".join(forms(mv)))
    elif cmd == "roff":
        sys.stdout.write(roff(mv))
    elif cmd == "write":
        page = sys.argv[3]
        with open(page) as f:
            text = f.read()
        a = text.index(".SH SYNOPSIS\n") + len(".SH SYNOPSIS\n")
        b = text.index(".SH DESCRIPTION\n")
        with open(page, "w") as f:
            f.write(text[:a] + roff(mv) + text[b:])
    elif cmd == "check":
        want = [f.lower() for f in forms(mv)]
        have = [f.lower() for f in rendered(sys.argv[3])]
        bad = 0
        for w in want:
            if w not in have:
                print("in the table, not in the page's SYNOPSIS: " + w)
                bad += 1
        for h in have:
            if h not in want:
                print("in the page's SYNOPSIS, not in the table: " + h)
                bad += 1
        if not bad and want != have:
            print("the page's SYNOPSIS is in another order than the table")
            bad += 1
        sys.exit(1 if bad else 0)
    else:
        sys.exit("usage: man_synopsis.py forms|roff|write|check MV [PAGE]")


if __name__ == "__main__":
    main()
