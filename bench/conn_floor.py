#!/usr/bin/env python3
"""The CPU floor of one new HTTPS connection on this machine (issue 7 §5).

Run by hand, never in CI:  python3 bench/conn_floor.py [--build build]

What raccord pays per connection on a site that closes its connections,
measured without raccord, with the same libraries (Debian's libcurl and
OpenSSL 3.0), against raccord-sim --close on loopback:

  ctx      SSL_CTX_new + SSL_CTX_free through libssl (ctypes): libcurl 7.88
           builds one TLS context per new connection, whatever the caller
           does (raccord can only adjust it in CURLOPT_SSL_CTX_FUNCTION,
           after it is built).
  resumed  one curl process fetching the portal's home page N times: every
           fetch is a new TCP + TLS connection (the site closes), each
           resuming the previous session as raccord's share does; CPU
           (user + system, from wait4) per fetch, minus a 1-fetch run.
  full     the same with --no-sessionid: every connection a full TLS 1.3
           handshake (ECDHE, certificate chain, ECDSA signature).

The simulator's own count of full and resumed handshakes is printed beside
each, so that what was measured is shown, not assumed.  Python 3 standard
library, curl and raccord-sim only.
"""
import argparse
import ctypes
import http.client
import json
import os
import ssl
import statistics
import subprocess
import sys
import tempfile
import time


def ctx_cost(n):
    """Microseconds of CPU per SSL_CTX_new + SSL_CTX_free (median of 5)."""
    lib = ctypes.CDLL("libssl.so.3")
    lib.TLS_client_method.restype = ctypes.c_void_p
    lib.SSL_CTX_new.restype = ctypes.c_void_p
    lib.SSL_CTX_new.argtypes = [ctypes.c_void_p]
    lib.SSL_CTX_free.argtypes = [ctypes.c_void_p]
    meth = lib.TLS_client_method()
    lib.SSL_CTX_free(lib.SSL_CTX_new(meth))  # one-off initialisation
    runs = []
    for _ in range(5):
        t = time.process_time()
        for _ in range(n):
            c = lib.SSL_CTX_new(meth)
            if not c:
                sys.exit("conn_floor: SSL_CTX_new failed")
            lib.SSL_CTX_free(c)
        runs.append((time.process_time() - t) / n * 1e6)
    return statistics.median(runs), runs


def tls_counts(port, ca):
    ctx = ssl.create_default_context(cafile=ca)
    ctx.check_hostname = False
    c = http.client.HTTPSConnection("127.0.0.1", port, timeout=5, context=ctx)
    c.request("GET", "/_sim/tls")
    kv = dict(x.split("=") for x in c.getresponse().read().decode().split())
    return int(kv["full"]), int(kv["resumed"])


def curl_cpu(urls, port, ca, extra):
    """User + system CPU seconds of one curl process fetching urls."""
    argv = ["curl", "-sS", "--fail", "-o", "/dev/null", "--cacert", ca,
            "--proto", "=https", "--resolve",
            "portal.test:%d:127.0.0.1" % port] + extra
    argv += urls[:1]
    for u in urls[1:]:
        argv += ["-o", "/dev/null", u]
    pid = os.spawnvp(os.P_NOWAIT, "curl", argv)
    _, status, ru = os.wait4(pid, 0)
    if status != 0:
        sys.exit("conn_floor: curl failed (%d)" % status)
    return ru.ru_utime + ru.ru_stime


def per_conn(n, port, ca, extra, rounds):
    """CPU ms per connection (median over rounds) and handshakes seen."""
    url = "https://portal.test:%d/ok/" % port
    f0, r0 = tls_counts(port, ca)
    per = []
    for _ in range(rounds):
        one = curl_cpu([url], port, ca, extra)
        many = curl_cpu([url] * n, port, ca, extra)
        per.append((many - one) / (n - 1) * 1e3)
    f1, r1 = tls_counts(port, ca)
    # Raw counts: each round's 1-fetch run and first connection are full,
    # and so is the first /_sim/tls connection above (counted on close).
    return statistics.median(per), per, f1 - f0, r1 - r0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("-n", type=int, default=500, help="connections per run")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--ctx", type=int, default=2000,
                    help="SSL_CTX_new calls per timing")
    a = ap.parse_args()
    sim = os.path.join(a.build, "raccord-sim")
    certs = os.path.join(a.build, "certs")
    ca = os.path.abspath(os.path.join(certs, "ca.pem"))
    if not os.access(sim, os.X_OK) or not os.path.exists(ca):
        sys.exit("conn_floor: need %s and %s (make)" % (sim, ca))
    work = tempfile.mkdtemp(prefix="raccord-floor.")
    ports = os.path.join(work, "ports.json")
    proc = subprocess.Popen([sim, "--certs", certs, "--ports-file", ports,
                             "--close"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if os.path.exists(ports) and os.path.getsize(ports) > 0:
                break
            time.sleep(0.1)
        port = json.load(open(ports))["portal"]
        print("load average %s; curl %s; %s" % (
            " ".join("%.2f" % x for x in os.getloadavg()),
            subprocess.run(["curl", "--version"], capture_output=True,
                           text=True).stdout.split()[1],
            ssl.OPENSSL_VERSION))
        med, runs = ctx_cost(a.ctx)
        print("SSL_CTX_new + free: %.0f us (runs %s)" % (
            med, ", ".join("%.0f" % r for r in runs)))
        for name, extra in (("resumed", []), ("full", ["--no-sessionid"])):
            med, per, full, res = per_conn(a.n, port, ca, extra, a.rounds)
            print("new connection + GET, %s: %.3f ms CPU (runs %s; "
                  "the simulator saw %d full, %d resumed handshakes, "
                  "1 + 2 x rounds of them full by construction)" % (
                      name, med, ", ".join("%.3f" % p for p in per),
                      full, res))
    finally:
        proc.terminate()
        proc.wait()
        for f in os.listdir(work):
            os.unlink(os.path.join(work, f))
        os.rmdir(work)


if __name__ == "__main__":
    main()
