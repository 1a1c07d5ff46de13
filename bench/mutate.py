#!/usr/bin/env python3
"""Mutation testing of raccord's decision code, run by hand (never in CI).

Each mutant changes one operator on one line of a rule or ledger module
(== / !=, < / <=, > / >=, && / ||, a dropped !, return 0 / 1, a status
swapped: FAIL -> WARN, PASS -> FAIL ...), in a private copy of the tree
(tracked and modified files of the work tree, never the tree itself).
For every mutant that compiles, the unit tests run first; a mutant they
do not kill then meets the module's integration scripts.  A mutant is
"killed" when some test fails, "survived" otherwise; mutants that do not
compile do not count.  The kill rate and every survivor (file, line, the
mutated line) are printed and, with --out, written as Markdown
(docs/mutation.md keeps the last figures).

    python3 bench/mutate.py [--per-file N] [--seed S] [--only SUBSTR]
                            [--out docs/mutation.md] [--jobs 2]

The sample is deterministic for a given seed and tree: the same command
on the same commit tests the same mutants.  About 10 s per mutant on a
2-core machine (one object rebuilt, the unit binaries relinked).
"""
import argparse
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

# The modules under test and the integration scripts that guard them
# (run only for mutants the unit tests let through).
TARGETS = {
    "oidc/fc_profile.c": ["t_fc_portals.sh"],
    "connector/policy.c": ["t_ledger_basic.sh", "t_ledger_audit.sh",
                           "t_ledger_cred.sh"],
    "connector/payable.c": ["t_ledger_cred.sh"],
    "verifier/netguard.c": [],
    "verifier/report.c": ["t_fc_portals.sh"],
    "common/ident.c": [],
    "connector/ledger/merkle.c": ["t_ledger_verify.sh"],
    "connector/ledger/note.c": ["t_ledger_verify.sh"],
    "connector/ledger/ledger_verify.c": ["t_ledger_verify.sh",
                                         "t_ledger_audit.sh",
                                         "t_ledger_tamper.sh"],
}

# (pattern, replacement): each applied to one occurrence at a time.
OPERATORS = [
    (r" == ", " != "), (r" != ", " == "),
    (r" < ", " <= "), (r" <= ", " < "),
    (r" > ", " >= "), (r" >= ", " > "),
    (r" && ", " || "), (r" \|\| ", " && "),
    (r"\(!(?=[a-zA-Z_(])", "("),
    (r"return 0;", "return 1;"), (r"return 1;", "return 0;"),
    (r"return -1;", "return 0;"),
    (r"\bCHECK_FAIL\b", "CHECK_WARN"), (r"\bCHECK_PASS\b", "CHECK_FAIL"),
    (r"\bFC_FAIL\b", "FC_WARN"), (r"\bFC_PASS\b", "FC_FAIL"),
    (r"\bPOLICY_AWARD\b", "POLICY_REFUSE"),
    (r"\bRC_OK\b", "RC_EINVAL"),
    (r"\+ 1\b", "- 1"), (r"- 1\b", "+ 1"),
]


def code_part(line):
    """The line with string literals and comments blanked (same length)."""
    out, i, q = [], 0, None
    while i < len(line):
        c = line[i]
        if q:
            out.append(" ")
            if c == "\\":
                out.append(" ")
                i += 1
            elif c == q:
                q = None
        elif c in "\"'":
            q = c
            out.append(" ")
        elif line.startswith("/*", i) or line.startswith("//", i):
            out.append(" " * (len(line) - i))
            break
        else:
            out.append(c)
        i += 1
    return "".join(out)[:len(line)]


def candidates(path):
    muts = []
    in_comment = False
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    for n, line in enumerate(lines):
        s = line.strip()
        if in_comment:
            if "*/" in s:
                in_comment = False
            continue
        if s.startswith("/*") and "*/" not in s:
            in_comment = True
            continue
        if not s or s.startswith(("#", "*", "//", "/*")):
            continue
        code = code_part(line)
        for pat, rep in OPERATORS:
            for m in re.finditer(pat, code):
                new = line[:m.start()] + re.sub(pat, rep, line[m.start():m.end()]) + line[m.end():]
                if new != line:
                    muts.append((n, new))
    return lines, muts


def run(cmd, cwd, timeout):
    """cmd's exit status; a hang is killed (its whole process group) and
    counts as a kill: the test did not pass."""
    p = subprocess.Popen(cmd, cwd=cwd, shell=True, start_new_session=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        return p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        return 124


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--per-file", type=int, default=12)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--only", default="")
    ap.add_argument("--out", default="")
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()

    src = subprocess.run(["git", "rev-parse", "--show-toplevel"],
                         capture_output=True, text=True, check=True).stdout.strip()
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"],
                           cwd=src, capture_output=True, text=True, check=True).stdout.split()
    tmp = tempfile.mkdtemp(prefix="raccord-mut.")
    for f in files:
        if os.path.isfile(os.path.join(src, f)):
            os.makedirs(os.path.dirname(os.path.join(tmp, f)) or tmp, exist_ok=True)
            shutil.copy2(os.path.join(src, f), os.path.join(tmp, f))
    print("mutation: tree copied to %s (seed %d)" % (tmp, a.seed), flush=True)
    make = "make -s -j%d WERROR=0" % a.jobs
    if run(make + " all unit", tmp, 1800) != 0:
        print("mutation: the unmutated tree does not build or pass its unit tests")
        return 2
    results = []
    t0 = time.time()
    for target, scripts in TARGETS.items():
        if a.only and a.only not in target:
            continue
        path = os.path.join(tmp, target)
        lines, muts = candidates(path)
        # One generator per module: --only gives the same sample.
        random.Random("%d:%s" % (a.seed, target)).shuffle(muts)
        tried = 0
        for n, new in muts:
            if tried >= a.per_file:
                break
            orig = lines[n]
            lines[n] = new
            with open(path, "w", encoding="utf-8") as f:
                f.write("\n".join(lines))
            if run(make + " build/raccord", tmp, 600) != 0:
                status = "invalid"
            else:
                tried += 1
                status = "survived"
                if run(make + " unit", tmp, 120) != 0:
                    status = "killed (unit)"
                elif scripts and run(make + " all", tmp, 600) != 0:
                    status = "killed (build)"
                else:
                    for s in scripts:
                        sp = os.path.join("tests/integration", s)
                        if os.path.exists(os.path.join(tmp, sp)) and \
                                run("BUILD=build sh " + sp, tmp, 900) != 0:
                            status = "killed (%s)" % s
                            break
            lines[n] = orig
            with open(path, "w", encoding="utf-8") as f:
                f.write("\n".join(lines))
            results.append((target, n + 1, orig.strip(), new.strip(), status))
            print("%-14s %s:%d  %s" % (status.split()[0], target, n + 1, new.strip()), flush=True)
    shutil.rmtree(tmp)
    valid = [r for r in results if r[4] != "invalid"]
    killed = [r for r in valid if r[4].startswith("killed")]
    rate = 100.0 * len(killed) / len(valid) if valid else 0.0
    summary = "mutation: %d mutants, %d killed, %d survived (%.1f %%), %d did not compile, %.0f s" % (
        len(valid), len(killed), len(valid) - len(killed), rate,
        len(results) - len(valid), time.time() - t0)
    print(summary)
    if a.out:
        with open(a.out, "w", encoding="utf-8") as f:
            f.write("# Mutation testing of the rule and ledger modules\n\n")
            f.write("Made by `python3 bench/mutate.py --per-file %d --seed %d --out %s` "
                    "(run by hand, never in CI; see the script's header).\n\n"
                    % (a.per_file, a.seed, a.out))
            f.write(summary.replace("mutation: ", "Result: ") + ".\n\n")
            f.write("| module | mutants | killed | rate |\n|---|---|---|---|\n")
            for target in TARGETS:
                v = [r for r in valid if r[0] == target]
                k = [r for r in v if r[4].startswith("killed")]
                if v:
                    f.write("| `%s` | %d | %d | %.0f %% |\n" % (target, len(v), len(k),
                                                              100.0 * len(k) / len(v)))
            surv = [r for r in valid if not r[4].startswith("killed")]
            f.write("\n## Survivors\n\n")
            if not surv:
                f.write("None.\n")
            for r in surv:
                f.write("- `%s:%d`: `%s` → `%s`\n" % (r[0], r[1], r[2], r[3]))
    return 0 if rate >= 95.0 else 1


if __name__ == "__main__":
    sys.exit(main())
