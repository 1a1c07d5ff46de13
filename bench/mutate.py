#!/usr/bin/env python3
"""Mutation testing of raccord's decision code, run by hand (never in CI).

Each mutant changes one operator on one line of a rule or ledger module
(== / !=, < / <=, > / >=, && / ||, a dropped !, return 0 / 1, a status
swapped: FAIL -> WARN, PASS -> FAIL ...), in a private copy of the tree
(tracked and modified files of the work tree, never the tree itself).
For every mutant that compiles, the module's own unit tests run first,
then the whole unit suite; a mutant they do not kill then meets the
module's integration scripts.  With
--sanitize, a mutant the plain build lets through is built again with
ASan+UBSan (build-san/, `make SANITIZE=address,undefined`) and meets the
same tests there: an out-of-bounds read is only visible that way.

A mutant is "killed" when some test fails or hangs past its time limit
(a hang is not a pass), "survived" otherwise; mutants that do not
compile do not count.  Mutants listed in bench/mutants_equivalent.json
(each with the reason it cannot change behaviour) are skipped and do not
count either: the sample draws the next candidate instead.  The kill
rate and every survivor (file, line, the mutated line) are printed and,
with --out, written as one Markdown section per seed into the given file
(docs/mutation.md keeps the figures of each seed; the text around the
sections is left alone).

    python3 bench/mutate.py [--per-file N] [--seed S] [--only SUBSTR]
                            [--sanitize] [--workdir DIR] [--jobs 2]
                            [--out docs/mutation.md]

The sample is deterministic for a given seed, equivalence list and tree:
the same command on the same commit tests the same mutants.  About 10 s
per mutant on a 2-core machine (one object rebuilt, the unit binaries
relinked); --workdir keeps the copy and its build directories between
runs, so a second run rebuilds only what changed.  Exit 0 when the kill
rate is at least 95 %.
"""
import argparse
import json
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

# The module's own unit tests, run first (one object rebuilt, one binary
# relinked): most mutants die here in seconds.  Survivors then meet the
# whole unit suite and the integration scripts above.
FIRST = {
    "oidc/fc_profile.c": ["oidc/test_fc_profile"],
    "connector/policy.c": ["connector/test_policy", "connector/test_policy_cred"],
    "connector/payable.c": ["connector/test_policy_cred"],
    "verifier/netguard.c": ["verifier/test_netguard"],
    "verifier/report.c": ["verifier/test_report"],
    "common/ident.c": ["common/test_ident"],
    "connector/ledger/merkle.c": ["connector/test_merkle"],
    "connector/ledger/note.c": ["connector/test_note"],
    "connector/ledger/ledger_verify.c": ["connector/test_ledger_verify"],
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


FUNC_RE = re.compile(r"^([a-z_][a-z0-9_]*)\(")


def candidates(path):
    """(line index, mutated line, enclosing function) for every mutant."""
    muts = []
    in_comment = False
    func = ""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    for n, line in enumerate(lines):
        m = FUNC_RE.match(line)
        if m:
            func = m.group(1)
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
                    muts.append((n, new, func))
    return lines, muts


def load_equivalent(path):
    """{(file, function, line, mutant): reason} from the equivalence list.
    Lines are compared stripped, so a mutant stays known when the code
    around it moves."""
    if not path or not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    eq = {}
    for i, e in enumerate(doc.get("mutants", [])):
        for k in ("file", "function", "line", "mutant", "reason"):
            if not isinstance(e.get(k), str) or not e[k].strip():
                sys.exit("%s: mutants[%d]: \"%s\" missing or empty" % (path, i, k))
        eq[(e["file"], e["function"], e["line"].strip(), e["mutant"].strip())] = e["reason"]
    return eq


def run(cmd, cwd, timeout):
    """cmd's exit status; a hang is killed (its whole process group) and
    returns 124, which counts as a kill: the test did not pass."""
    p = subprocess.Popen(cmd, cwd=cwd, shell=True, start_new_session=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        return p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        return 124


def sync_tree(src, dst):
    """Copy the tracked and untracked (not ignored) files of src into dst,
    only those whose bytes differ, so that make in dst rebuilds only what
    changed since the last run."""
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"],
                           cwd=src, capture_output=True, text=True, check=True).stdout.split()
    for f in files:
        a, b = os.path.join(src, f), os.path.join(dst, f)
        if not os.path.isfile(a):
            continue
        if os.path.isfile(b):
            with open(a, "rb") as x, open(b, "rb") as y:
                if x.read() == y.read():
                    continue
        os.makedirs(os.path.dirname(b) or dst, exist_ok=True)
        shutil.copy2(a, b)
        # Stamped now, not with the source's time: an object built from a
        # mutant of this file (an interrupted run) is older, so rebuilt.
        os.utime(b, None)


def attempt(make, build, tmp, target, scripts, unit_timeout):
    """Build the mutated tree in `build` and run the tests; the status."""
    tag = "" if build == "build" else "san "
    env = "RC_TEST_CERTS=%s/certs RC_TEST_DATA=tests/data " % build
    for t in FIRST.get(target, []):
        b = "%s/tests/unit/%s" % (build, t)
        if run(make + " " + b, tmp, 600) == 0 and run(env + b, tmp, unit_timeout) != 0:
            return "killed (%sunit)" % tag
    if run(make + " unit", tmp, unit_timeout) != 0:
        return "killed (%sunit)" % tag
    if scripts and run(make + " all", tmp, 900) != 0:
        return "killed (%sbuild)" % tag
    for s in scripts:
        sp = os.path.join("tests/integration", s)
        if not os.path.exists(os.path.join(tmp, sp)):
            continue
        rc = run("BUILD=%s sh %s" % (build, sp), tmp, 900)
        if rc != 0:
            return "killed (%s%s%s)" % (tag, s, ", timeout" if rc == 124 else "")
    return "survived"


def write_section(out, seed, text):
    """Put `text` between this seed's markers in `out`, replacing the
    previous run of the same seed, or append it."""
    begin = "<!-- mutate.py seed %d -->" % seed
    end = "<!-- end of mutate.py seed %d -->" % seed
    doc = ""
    if os.path.exists(out):
        with open(out, encoding="utf-8") as f:
            doc = f.read()
    block = begin + "\n" + text.rstrip("\n") + "\n" + end
    if begin in doc and end in doc:
        doc = doc[:doc.index(begin)] + block + doc[doc.index(end) + len(end):]
    else:
        doc = doc.rstrip("\n") + ("\n\n" if doc else "") + block + "\n"
    with open(out, "w", encoding="utf-8") as f:
        f.write(doc)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--per-file", type=int, default=12)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--only", default="")
    ap.add_argument("--out", default="")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--sanitize", action="store_true",
                    help="run mutants the plain build lets through under ASan+UBSan")
    ap.add_argument("--workdir", default="",
                    help="keep the tree copy and its builds here between runs")
    ap.add_argument("--equivalent", default="bench/mutants_equivalent.json")
    a = ap.parse_args()

    src = subprocess.run(["git", "rev-parse", "--show-toplevel"],
                         capture_output=True, text=True, check=True).stdout.strip()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=src,
                            capture_output=True, text=True, check=True).stdout.strip()
    eq_path = a.equivalent if os.path.isabs(a.equivalent) else os.path.join(src, a.equivalent)
    equivalent = load_equivalent(eq_path)
    if a.workdir:
        tmp = os.path.abspath(a.workdir)
        os.makedirs(tmp, exist_ok=True)
    else:
        tmp = tempfile.mkdtemp(prefix="raccord-mut.")
    sync_tree(src, tmp)
    for target in TARGETS:
        # An interrupted run may have left an object built from a mutant.
        os.utime(os.path.join(tmp, target), None)
    # An equivalence entry that matches no mutant any more is stale: the
    # code changed and the reason must be checked again.
    known = set()
    for target in TARGETS:
        lines, muts = candidates(os.path.join(tmp, target))
        known.update((target, fn, lines[n].strip(), new.strip()) for n, new, fn in muts)
    for k in equivalent:
        if k not in known:
            print("mutation: stale entry in %s (matches no mutant): %s in %s(): %s -> %s"
                  % (a.equivalent, k[0], k[1], k[2], k[3]))
    print("mutation: tree copied to %s (seed %d%s)" % (tmp, a.seed,
          ", sanitizers" if a.sanitize else ""), flush=True)
    make = "make -s -j%d WERROR=0" % a.jobs
    san = make + " SANITIZE=address,undefined"
    if run(make + " all unit", tmp, 1800) != 0:
        print("mutation: the unmutated tree does not build or pass its unit tests")
        return 2
    if a.sanitize and run(san + " all unit", tmp, 3600) != 0:
        print("mutation: the unmutated tree does not pass its unit tests under ASan+UBSan")
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
        for n, new, func in muts:
            if tried >= a.per_file:
                break
            orig = lines[n]
            key = (target, func, orig.strip(), new.strip())
            if key in equivalent:
                results.append((target, n + 1, orig.strip(), new.strip(),
                                "equivalent", equivalent[key]))
                print("%-14s %s:%d  %s" % ("equivalent", target, n + 1, new.strip()), flush=True)
                continue
            lines[n] = new
            with open(path, "w", encoding="utf-8") as f:
                f.write("\n".join(lines))
            obj = "build/" + target[:-2] + ".o"
            if run(make + " " + obj, tmp, 600) != 0:
                status = "invalid"
            else:
                tried += 1
                status = attempt(make, "build", tmp, target, scripts, 120)
                if status == "survived" and a.sanitize:
                    status = attempt(san, "build-san", tmp, target, scripts, 600)
            lines[n] = orig
            with open(path, "w", encoding="utf-8") as f:
                f.write("\n".join(lines))
            results.append((target, n + 1, orig.strip(), new.strip(), status, func))
            print("%-14s %s:%d  %s" % (status.split()[0], target, n + 1, new.strip()), flush=True)
    if not a.workdir:
        shutil.rmtree(tmp)
    valid = [r for r in results if r[4] not in ("invalid", "equivalent")]
    killed = [r for r in valid if r[4].startswith("killed")]
    eqs = [r for r in results if r[4] == "equivalent"]
    rate = 100.0 * len(killed) / len(valid) if valid else 0.0
    summary = ("mutation: %d mutants, %d killed, %d survived (%.1f %%), %d did not compile, "
               "%d known equivalent skipped, %.0f s" % (
                   len(valid), len(killed), len(valid) - len(killed), rate,
                   len([r for r in results if r[4] == "invalid"]), len(eqs), time.time() - t0))
    print(summary)
    if a.out:
        t = []
        cmd = "python3 bench/mutate.py --per-file %d --seed %d%s%s" % (
            a.per_file, a.seed, " --sanitize" if a.sanitize else "",
            " --only " + a.only if a.only else "")
        t.append("### Seed %d\n" % a.seed)
        dirty = subprocess.run(["git", "status", "--porcelain", "-uno", "--", ".",
                                ":!docs"], cwd=src, capture_output=True,
                               text=True).stdout.strip()
        t.append("`%s` on commit `%s`%s, %s.\n" % (
            cmd, commit, " (with uncommitted changes)" if dirty else "",
            time.strftime("%Y-%m-%d", time.gmtime())))
        t.append(summary.replace("mutation: ", "Result: ") + ".\n")
        t.append("| module | mutants | killed | rate | equivalent skipped |\n|---|---|---|---|---|")
        for target in TARGETS:
            v = [r for r in valid if r[0] == target]
            k = [r for r in v if r[4].startswith("killed")]
            e = [r for r in eqs if r[0] == target]
            if v:
                t.append("| `%s` | %d | %d | %.0f %% | %d |" % (
                    target, len(v), len(k), 100.0 * len(k) / len(v), len(e)))
        how = {}
        for r in killed:
            w = r[4][len("killed ("):-1]
            w = "sanitizer build" if w.startswith("san ") else (
                "unit tests" if w == "unit" else "integration scripts")
            how[w] = how.get(w, 0) + 1
        t.append("\nKilled by: " + ", ".join("%s %d" % (k, v) for k, v in sorted(how.items()))
                 + ".\n")
        surv = [r for r in valid if not r[4].startswith("killed")]
        t.append("Survivors:\n")
        if not surv:
            t.append("None.")
        for r in surv:
            t.append("- `%s:%d` (`%s`): `%s` → `%s`" % (r[0], r[1], r[5], r[2], r[3]))
        write_section(a.out, a.seed, "\n".join(t) + "\n")
    return 0 if rate >= 95.0 else 1


if __name__ == "__main__":
    sys.exit(main())
