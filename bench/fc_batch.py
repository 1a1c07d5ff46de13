#!/usr/bin/env python3
"""The FranceConnect --batch benchmark (issue 2): one phase per call.

bench/run.sh starts a fresh raccord-sim for every phase (its server-side
stores grow with every flow started, which would make later phases pay for
earlier ones), calls this script with the phase and the simulator's pid and
ports, stops the simulator, and finally calls it with "report":

  idle             what the rest of the shared machine uses meanwhile
  raccord N L      raccord check --batch over N generated dossiers of the
                   simulator's correct "ok" portal, per-host limit L
  s_time C         openssl s_time -new with C clients at once (C = 0: one
                   client, -reuse) against the portal TLS listener
  curl_start K     K runs of `curl --version`: the price of a curl process
  curl N P         the same requests as raccord, one curl process per request
                   (bench/curl_dossier.sh), N dossiers, xargs -P P
  report           the summary table of every phase

Each measured process tree is run under GNU time (peak RSS) and waited for
with os.wait4 (user+system CPU, children included).  The simulator's CPU
comes from /proc/<pid>/stat and the whole machine's from /proc/stat, so the
load of other users of this shared machine shows up as "other CPU".  Python
3 standard library only.
"""
import argparse
import collections
import http.client
import json
import os
import re
import signal
import ssl
import subprocess
import sys
import tempfile
import time

TCK = os.sysconf("SC_CLK_TCK")
CURL_STATUSES = "200 302 302 302 302 200 400 200 200"  # see curl_dossier.sh
REQS_PER_DOSSIER = 9  # raccord's exchanges for the "ok" portal


def proc_cpu(pid):
    """User+system CPU seconds of process pid (all its threads)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TCK


def machine_cpu():
    """(busy, total) CPU seconds of the whole machine since boot."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]
    total = sum(v[:8])
    return (total - idle) / TCK, total / TCK


class Meter:
    """Wall time, the simulator's CPU and the machine's busy CPU of a phase."""

    def __init__(self, sim_pid):
        self.sim_pid = sim_pid

    def __enter__(self):
        self.t0 = time.monotonic()
        self.s0 = proc_cpu(self.sim_pid)
        self.m0 = machine_cpu()
        return self

    def __exit__(self, *exc):
        self.wall = time.monotonic() - self.t0
        self.sim = proc_cpu(self.sim_pid) - self.s0
        m1 = machine_cpu()
        self.busy = m1[0] - self.m0[0]
        self.capacity = m1[1] - self.m0[1]
        return False


def run(argv, stdin=None, stdout=None, stderr=None, timeout=300):
    """Run argv: (exit status, CPU seconds, peak RSS in KiB).

    CPU is user+system of the whole process tree, from os.wait4.  Peak RSS
    comes from GNU time (%M, the largest process of the tree): wait4's own
    ru_maxrss would include this Python process's RSS, which a forked child
    inherits as its high-water mark until it execs.
    """
    fd, rssfile = tempfile.mkstemp(prefix="rss.")
    os.close(fd)
    p = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", rssfile] + argv,
                         stdin=stdin, stdout=stdout, stderr=stderr,
                         start_new_session=True)
    deadline = time.monotonic() + timeout
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid == p.pid:
            rc = os.waitstatus_to_exitcode(status)
            break
        if time.monotonic() > deadline:
            print("  timed out after %ds: %s" % (timeout, " ".join(argv[:3])),
                  file=sys.stderr)
            os.killpg(p.pid, signal.SIGKILL)  # the group we started
            pid, status, ru = os.wait4(p.pid, 0)
            rc = -9
            break
        time.sleep(0.02)
    p.returncode = rc
    try:
        with open(rssfile) as f:
            rss = int(f.read().split()[-1])
    except (OSError, ValueError, IndexError):
        rss = 0
    os.unlink(rssfile)
    return rc, ru.ru_utime + ru.ru_stime, rss


def dossier(ports, flavour, i):
    pp = ports["portal"]
    b = "https://portal.test:%d/%s" % (pp, flavour)
    return {
        "dossier_id": "BENCH-%06d" % i,
        "collectivite": {"siren": "217500016", "siret": "21750001600019",
                         "nom": "Commune de Banc d'essai %d" % i,
                         "categorie": "commune", "code_insee": "75056"},
        "paiement": {"titulaire": "Commune de Banc d'essai",
                     "iban": "FR7630006000011234567890189", "bic": "AGRIFRPP"},
        "integrations": [{
            "kind": "franceconnect", "environment": "production",
            "client_id": "cid-" + flavour,
            "login_url": b + "/auth/franceconnect",
            "redirect_uri": b + "/callback",
            "post_logout_redirect_uri": b + "/",
            "button_page_url": b + "/connexion"}]}


def write_config(path, ports, ca, per_host, global_conc):
    resolve = ["fc.test:%d:127.0.0.1" % ports["fc"],
               "portal.test:%d:127.0.0.1" % ports["portal"]]
    cfg = {
        "franceconnect": {"production": {"discovery_url":
            "https://fc.test:%d/api/v2/.well-known/openid-configuration"
            % ports["fc"]}},
        "network": {"ca_file": ca, "resolve": resolve,
                    "allow_private": ["127.0.0.0/8"],
                    "timeout_ms": 30000, "connect_timeout_ms": 5000,
                    "per_host_concurrency": per_host,
                    "global_concurrency": global_conc},
    }
    with open(path, "w") as f:
        json.dump(cfg, f, indent=2)


def sim_tls_counts(a, port):
    """raccord-sim's "full=N resumed=M" TLS handshakes of one listener."""
    ctx = ssl.create_default_context(cafile=a.ca)
    ctx.check_hostname = False  # 127.0.0.1 for portal.test / fc.test
    try:
        c = http.client.HTTPSConnection("127.0.0.1", port, timeout=5,
                                        context=ctx)
        c.request("GET", "/_sim/tls")
        return c.getresponse().read().decode().strip()
    except (OSError, http.client.HTTPException) as e:
        return "? (%s)" % e


def bench_raccord(a, ports, n, per_host, label):
    glob = max(64, 2 * per_host)  # two hosts: portal.test and fc.test
    cfg = os.path.join(a.work, "cfg-%d.json" % per_host)
    write_config(cfg, ports, a.ca, per_host, glob)
    batch = os.path.join(a.work, "batch-%d-%d.jsonl" % (n, ports["portal"]))
    if not os.path.exists(batch):
        with open(batch, "w") as f:
            for i in range(n):
                f.write(json.dumps(dossier(ports, "ok", i),
                                   separators=(",", ":")) + "\n")
    out = os.path.join(a.work, "raccord-%s.out" % label)
    err = os.path.join(a.work, "raccord-%s.err" % label)
    argv = [a.raccord, "check", "--config", cfg, "--format", "json",
            "--batch", batch]
    with open(out, "w") as fo, open(err, "w") as fe, Meter(a.sim_pid) as m:
        rc, cpu, rss = run(argv, stdout=fo, stderr=fe, timeout=120)
    verdicts = collections.Counter()
    failures = collections.Counter()
    exchanges = handshakes = 0
    with open(out) as f:
        for line in f:
            r = json.loads(line)
            verdicts[r.get("verdict", "error: " + r.get("error", "?"))] += 1
            for sec in r.get("integrations", []):
                for c in sec["checks"]:
                    if c["status"] not in ("pass", "skip"):
                        failures["%s=%s" % (c["id"], c["status"])] += 1
            for e in r.get("exchanges", []):
                exchanges += 1
                if (e.get("timings") or {}).get("tls", 0) > 0:
                    handshakes += 1
    sim_tls = {k: sim_tls_counts(a, ports[k]) for k in ("portal", "fc")}
    res = {
        "what": "raccord --batch", "label": label, "n": n,
        "per_host": per_host, "global": glob, "exit": rc,
        "wall_s": m.wall, "cpu_s": cpu, "maxrss_kib": rss,
        "sim_cpu_s": m.sim, "machine_busy_s": m.busy,
        "other_cpu_s": m.busy - cpu - m.sim,
        "requests": exchanges + 1,  # + the discovery document, once
        "tls_handshakes": handshakes,
        "sim_tls": sim_tls,
        "verdicts": dict(verdicts), "non_pass_checks": dict(failures),
        "ok": rc == 0 and verdicts.get("verified", 0) == n,
    }
    if not res["ok"]:
        with open(err) as f:
            res["stderr_tail"] = f.read()[-600:]
    return res


def bench_curl(a, ports, n, par, label):
    jars = os.path.join(a.work, "jars")
    os.makedirs(jars, exist_ok=True)
    out = os.path.join(a.work, "curl-%s.out" % label)
    idx = os.path.join(a.work, "curl-idx-%d" % n)
    with open(idx, "w") as f:
        f.write("".join("%d\n" % i for i in range(1, n + 1)))
    disc = ["curl", "-sS", "-o", "/dev/null", "--cacert", a.ca,
            "--proto", "=https", "--resolve",
            "fc.test:%d:127.0.0.1" % ports["fc"], "-w", "%{http_code}",
            "https://fc.test:%d/api/v2/.well-known/openid-configuration"
            % ports["fc"]]
    argv = ["xargs", "-P", str(par), "-n", "1", "sh", a.curl_script,
            str(ports["portal"]), str(ports["fc"]), a.ca, jars, "ok"]
    with Meter(a.sim_pid) as m:
        dout = subprocess.run(disc, capture_output=True, text=True).stdout
        with open(idx) as fi, open(out, "w") as fo:
            rc, cpu, rss = run(argv, stdin=fi, stdout=fo,
                               stderr=subprocess.STDOUT, timeout=240)
    # The discovery curl was waited for by subprocess.run: count its CPU
    # through RUSAGE_CHILDREN would mix phases, so it is left out (1 request).
    good = bad = 0
    bad_lines = []
    with open(out) as f:
        for line in f:
            parts = line.split(None, 1)
            if len(parts) == 2 and parts[1].strip() == CURL_STATUSES:
                good += 1
            else:
                bad += 1
                if len(bad_lines) < 3:
                    bad_lines.append(line.strip()[:200])
    res = {
        "what": "curl, one process per request", "label": label, "n": n,
        "parallel": par, "exit": rc, "wall_s": m.wall, "cpu_s": cpu,
        "maxrss_kib": rss, "sim_cpu_s": m.sim, "machine_busy_s": m.busy,
        "other_cpu_s": m.busy - cpu - m.sim,
        "requests": n * REQS_PER_DOSSIER + 1, "tls_handshakes":
        n * REQS_PER_DOSSIER + 1, "dossiers_as_expected": good,
        "dossiers_unexpected": bad, "discovery_status": dout,
        "ok": rc == 0 and good == n and dout == "200",
    }
    if bad_lines:
        res["unexpected_sample"] = bad_lines
    return res


def bench_curl_start(a, k):
    """CPU and wall of k `curl --version` runs: the price of one process."""
    script = "i=0; while [ $i -lt %d ]; do curl --version >/dev/null; " \
             "i=$((i + 1)); done" % k
    with Meter(a.sim_pid) as m:
        rc, cpu, rss = run(["sh", "-c", script], timeout=60)
    return {"what": "curl --version", "n": k, "exit": rc, "wall_s": m.wall,
            "cpu_s": cpu, "maxrss_kib": rss, "machine_busy_s": m.busy,
            "other_cpu_s": m.busy - cpu - m.sim, "ok": rc == 0}


def bench_s_time(a, ports, mode, clients=1):
    argv = ["openssl", "s_time", "-connect", "127.0.0.1:%d" % ports["portal"],
            "-" + mode, "-time", str(a.s_time), "-CAfile", a.ca,
            "-verify", "2"]
    out = os.path.join(a.work, "s_time-%s-%d.out" % (mode, clients))
    if clients > 1:  # several clients at once: the machine's capacity
        q = " ".join("'%s'" % x for x in argv)
        argv = ["sh", "-c", " ".join("%s >%s.%d 2>&1 &" % (q, out, k)
                                     for k in range(clients)) + " wait; "
                + "cat %s.* >%s" % (out, out)]
    with open(out + ".log", "w") as fo, Meter(a.sim_pid) as m:
        rc, cpu, rss = run(argv, stdout=fo, stderr=subprocess.STDOUT,
                           timeout=a.s_time + 30)
    if clients == 1:
        os.replace(out + ".log", out)
    text = open(out).read()
    # Per client, the last "N connections in T real seconds" line.
    n = 0
    for part in re.split(r"Collecting connection statistics|"
                         r"Now timing with session id reuse", text)[1:]:
        conns = re.findall(r"(\d+) connections in [\d.]+ real seconds", part)
        n += int(conns[-1]) if conns else 0
    # s_time prints one '*' per full handshake and one 'r' per resumed
    # session, on lines of their own.
    marks = "".join(l for l in text.splitlines() if re.fullmatch(r"[*r]+", l))
    resumed = marks.count("r")
    verified = "verify error" not in text and "verify return:0" not in text
    return {"what": "openssl s_time -" + mode + (" x%d" % clients
                                                 if clients > 1 else ""),
            "exit": rc, "clients": clients,
            "connections": n, "wall_s": m.wall, "cpu_s": cpu,
            "maxrss_kib": rss, "sim_cpu_s": m.sim, "machine_busy_s": m.busy,
            "other_cpu_s": m.busy - cpu - m.sim,
            "resumed_marks": resumed, "verify_ok": verified,
            "ok": rc == 0 and n > 0 and verified}


def bench_idle(a):
    """What the rest of the machine uses while we run nothing (the
    simulator is up and idle)."""
    with Meter(a.sim_pid) as m:
        time.sleep(a.idle)
    return {"what": "idle", "wall_s": m.wall, "sim_cpu_s": m.sim,
            "machine_busy_s": m.busy, "other_cpu_s": m.busy - m.sim,
            "ok": True}


def fmt_table(results):
    rows = []
    hdr = ("run", "n", "conc", "wall s", "portals/s", "req/s",
           "CPU s", "CPU ms/portal", "sim CPU ms/portal", "other CPU s",
           "peak RSS MiB", "TLS hs", "result")
    rows.append(hdr)
    for r in results:
        w = r["what"]
        if w == "raccord --batch":
            n = r["n"]
            v = r["verdicts"]
            res = "%d/%d verified" % (v.get("verified", 0), n)
            st = r.get("sim_tls")
            if st:
                res += "; sim TLS portal %s, fc %s" % (st["portal"], st["fc"])
            rows.append((
                "raccord --batch", str(n),
                "%d/host" % r["per_host"], "%.2f" % r["wall_s"],
                "%.1f" % (n / r["wall_s"]),
                "%.0f" % (r["requests"] / r["wall_s"]),
                "%.2f" % r["cpu_s"], "%.2f" % (1000 * r["cpu_s"] / n),
                "%.2f" % (1000 * r["sim_cpu_s"] / n),
                "%.1f" % r["other_cpu_s"], "%.1f" % (r["maxrss_kib"] / 1024),
                str(r["tls_handshakes"]), res + ("" if r["exit"] == 0 else
                                                 ", exit %d" % r["exit"])))
        elif w.startswith("curl, one"):
            n = r["n"]
            rows.append((
                "curl per request", str(n), "-P %d" % r["parallel"],
                "%.2f" % r["wall_s"], "%.1f" % (n / r["wall_s"]),
                "%.0f" % (r["requests"] / r["wall_s"]),
                "%.2f" % r["cpu_s"], "%.1f" % (1000 * r["cpu_s"] / n),
                "%.2f" % (1000 * r["sim_cpu_s"] / n),
                "%.1f" % r["other_cpu_s"], "%.1f" % (r["maxrss_kib"] / 1024),
                str(r["tls_handshakes"]),
                "%d/%d as expected" % (r["dossiers_as_expected"], n)))
        elif w == "idle":
            rows.append((
                "(nothing of ours)", "-", "-", "%.2f" % r["wall_s"], "-", "-",
                "0", "-", "-", "%.1f" % r["other_cpu_s"], "-", "-",
                "other users busy %.2f of %d cores"
                % (r["other_cpu_s"] / r["wall_s"], os.cpu_count())))
        elif w == "curl --version":
            rows.append((
                "curl --version", str(r["n"]), "1", "%.2f" % r["wall_s"],
                "-", "%.0f/s" % (r["n"] / r["wall_s"]), "%.2f" % r["cpu_s"],
                "%.1f/run" % (1000 * r["cpu_s"] / r["n"]), "-",
                "%.1f" % r["other_cpu_s"], "%.1f" % (r["maxrss_kib"] / 1024),
                "0", "exit %d" % r["exit"]))
        else:
            c = max(r["connections"], 1)
            rows.append((
                r["what"], str(r["connections"]), str(r["clients"]),
                "%.2f" % r["wall_s"], "-",
                "%.0f hs/s" % (r["connections"] / r["wall_s"]),
                "%.2f" % r["cpu_s"], "%.2f/hs" % (1000 * r["cpu_s"] / c),
                "%.2f/hs" % (1000 * r["sim_cpu_s"] / c),
                "%.1f" % r["other_cpu_s"], "%.1f" % (r["maxrss_kib"] / 1024),
                str(r["connections"]),
                "%s, %d resumed" % ("verified" if r["verify_ok"]
                                    else "VERIFY FAILED", r["resumed_marks"])))
    widths = [max(len(row[i]) for row in rows) for i in range(len(hdr))]
    lines = []
    for j, row in enumerate(rows):
        lines.append("| " + " | ".join(c.ljust(widths[i])
                                         for i, c in enumerate(row)) + " |")
        if j == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def report(a):
    results = [json.loads(l) for l in open(a.results)]
    meta = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "nproc": os.cpu_count(),
        "cpu_model": next((l.split(":", 1)[1].strip()
                           for l in open("/proc/cpuinfo")
                           if l.startswith("model name")), "?"),
        "loadavg_end": open("/proc/loadavg").read().split()[:3],
    }
    print("date %s  nproc %d  cpu %s  loadavg (1, 5, 15 min) at the end: %s"
          % (meta["date"], meta["nproc"], meta["cpu_model"],
             " ".join(meta["loadavg_end"])))
    print(fmt_table(results))
    print()
    print("CPU = user+sys of the measured process tree (wait4); sim CPU = "
          "raccord-sim over the same interval (a fresh simulator per row); "
          "other CPU = whole machine busy time minus both, i.e. other users "
          "of this shared machine; TLS hs = TLS handshakes made by the "
          "client.")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"meta": meta, "results": results}, f, indent=1)
    bad = [r for r in results if not r["ok"]]
    for r in bad:
        print("PROBLEM in %s %s: %s" % (r["what"], r.get("label", ""),
                                        json.dumps(r)[:800]))
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(
        description="one phase of bench/run.sh, or the final report")
    ap.add_argument("phase", choices=["idle", "raccord", "s_time",
                                      "curl_start", "curl", "report"])
    ap.add_argument("args", nargs="*", type=int,
                    help="raccord: N PER_HOST; s_time: CLIENTS (-new), "
                         "0 for -reuse; curl: N PARALLEL; curl_start: K")
    ap.add_argument("--results", required=True, help="JSON lines, appended")
    ap.add_argument("--raccord")
    ap.add_argument("--curl-script")
    ap.add_argument("--ports")
    ap.add_argument("--ca")
    ap.add_argument("--sim-pid", type=int)
    ap.add_argument("--work")
    ap.add_argument("--s-time", type=int, default=10)
    ap.add_argument("--idle", type=int, default=3)
    ap.add_argument("--json", default="")
    a = ap.parse_args()
    if a.phase == "report":
        return report(a)
    a.ca = os.path.abspath(a.ca)
    ports = json.load(open(a.ports))
    if a.phase == "idle":
        r = bench_idle(a)
    elif a.phase == "raccord":
        n, lim = a.args
        bench_raccord(a, ports, 20, lim, "warmup")  # page cache, first conns
        r = bench_raccord(a, ports, n, lim, "ph%d-n%d" % (lim, n))
    elif a.phase == "s_time":
        c = a.args[0]
        r = bench_s_time(a, ports, "new" if c > 0 else "reuse", max(c, 1))
    elif a.phase == "curl_start":
        r = bench_curl_start(a, a.args[0])
    else:
        n, par = a.args
        r = bench_curl(a, ports, n, par, "n%d-p%d" % (n, par))
    with open(a.results, "a") as f:
        f.write(json.dumps(r) + "\n")
    if not r["ok"]:
        print("  PROBLEM: %s" % json.dumps(r)[:1500], file=sys.stderr)
    return 0 if r["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
