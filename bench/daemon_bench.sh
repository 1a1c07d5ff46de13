#!/bin/sh
# Benchmark of issue 9 (run by hand, never in CI or tests): raccord serve
# beside nginx, and dossiers through the daemon beside raccord check
# --batch, all on loopback against raccord-sim, in the same run.
#
#   BUILD=build sh bench/daemon_bench.sh
#
# 1. The daemon's resident memory when idle (VmRSS after start, and after
#    the load below).
# 2. wrk on GET /healthz and GET /v1/dossiers/{id} (a finished job with
#    its report), then on nginx (Debian's, one worker process) serving
#    static files of the very same bytes: requests per second and the
#    ratio daemon / nginx.
# 3. N dossiers of the simulator's correct "ok" portal submitted to the
#    daemon (POST /v1/dossiers, then waiting until none is queued or
#    running): the daemon's CPU (utime + stime from /proc) per dossier,
#    and its worker thread's alone, beside raccord check --batch over the
#    same N dossiers (GNU time).  Twice: the POSTs one after the other
#    (the worker keeps up: mostly one job per verifier run), then N other
#    dossiers PAR at a time (default 8: jobs queue up and the worker
#    checks them in batches).
#
# Environment: BUILD (default build), N dossiers (default 50), PAR (8), KA (1:
# a third phase over one keep-alive connection), GATHER
# (daemon.batch_gather_ms; default: the daemon's own), PERF or STRACE (a file:
# perf record -g, or strace -c -f, of the daemon during the first phase), DUR seconds
# per wrk run (default 5), CONNS wrk connections (default 16).  Needs wrk,
# nginx (apt-get install wrk nginx), curl, python3, /usr/bin/time.  Run it
# under nice on a shared machine; docs/bench.md has figures.
set -u
BUILD=${BUILD:-build}
N=${N:-50}
DUR=${DUR:-5}
CONNS=${CONNS:-16}
for t in wrk nginx curl python3 /usr/bin/time; do
	command -v $t >/dev/null || { echo "daemon_bench: $t not installed (apt-get install wrk nginx time)" >&2; exit 2; }
done
. tests/integration/lib.sh
NPID= DPID= PERFPID=
bench_cleanup() {
	[ -n "$PERFPID" ] && kill -INT "$PERFPID" 2>/dev/null
	[ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null
	[ -n "$NPID" ] && kill "$NPID" 2>/dev/null
	cleanup
}
trap bench_cleanup EXIT
trap 'exit 1' INT TERM
sim_start || exit 1
write_config "$WORK/cfg.json" 30000
free_port() {
	python3 tests/integration/free_port.py
}
PORT=$(free_port)
NPORT=$(free_port)
BASE=http://127.0.0.1:$PORT
TOK=bench-instructor-token-1d5c
"$RACCORD" keygen bench.example/raccord/v1 --key "$WORK/k.pem" --vkey "$WORK/k.vkey" >/dev/null 2>&1 || exit 1
"$RACCORD" ledger init "$WORK/ledger" --key "$WORK/k.pem" --vkey "$WORK/k.vkey" >/dev/null 2>&1 || exit 1
python3 - "$WORK/cfg.json" "$WORK/d.json" "$PORT" "$WORK" "$TOK" "${GATHER:-}" <<'PY'
import hashlib, json, sys
base, out, port, work, tok, gather = sys.argv[1:7]
cfg = json.load(open(base))
cfg["daemon"] = {"listen": "127.0.0.1:%s" % port, "store": work + "/jobs.sqlite",
                 "tokens": [{"name": "bench", "role": "instructor",
                             "sha256": hashlib.sha256(tok.encode()).hexdigest()}],
                 "queue_max": 100000, "max_connections": 1024,
                 "rate_per_token_min": 0, "rate_per_siren_hour": 0}
if gather:
    cfg["daemon"]["batch_gather_ms"] = int(gather)
cfg["ledger"] = {"dir": work + "/ledger", "key_file": work + "/k.pem"}
json.dump(cfg, open(out, "w"), indent=2)
PY
"$RACCORD" serve --config "$WORK/d.json" >/dev/null 2>"$WORK/daemon.log" &
DPID=$!
i=0
until curl -s -o /dev/null "$BASE/healthz"; do
	i=$((i + 1)); [ $i -gt 100 ] && { echo "raccord serve did not start: $(tail -3 "$WORK/daemon.log")"; exit 1; }
	sleep 0.1
done
sleep 2
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
cpu() { # utime + stime of pid, seconds
	python3 -c 'import os,sys; f=open("/proc/%s/stat" % sys.argv[1]).read().rsplit(")", 1)[1].split(); print((int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK"))' "$1"
}
scpu() { # stime of pid alone (the kernel's share), seconds
	python3 -c 'import os,sys; f=open("/proc/%s/stat" % sys.argv[1]).read().rsplit(")", 1)[1].split(); print(int(f[12]) / os.sysconf("SC_CLK_TCK"))' "$1"
}
RSS_IDLE=$(rss "$DPID")
echo "daemon idle RSS: $RSS_IDLE kB"

# A finished job to read.
fc_dossier "$WORK/ok.json" ok
ID=$(curl -s -H "Authorization: Bearer $TOK" -H "Content-Type: application/json" --data-binary "@$WORK/ok.json" "$BASE/v1/dossiers" |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
i=0
until curl -s -H "Authorization: Bearer $TOK" "$BASE/v1/dossiers/$ID" | grep -q '"state":"done"'; do
	i=$((i + 1)); [ $i -gt 300 ] && { echo "job $ID did not finish"; exit 1; }
	sleep 0.2
done
mkdir -p "$WORK/www"
curl -s -o "$WORK/www/healthz" "$BASE/healthz"
curl -s -o "$WORK/www/dossier" -H "Authorization: Bearer $TOK" "$BASE/v1/dossiers/$ID"
chmod 711 "$WORK"; chmod 755 "$WORK/www"; chmod 644 "$WORK/www/"*
cat >"$WORK/nginx.conf" <<NGX
worker_processes 1;
daemon off;
pid $WORK/nginx.pid;
error_log $WORK/nginx.err;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $WORK/ngx-body;
	proxy_temp_path $WORK/ngx-proxy;
	fastcgi_temp_path $WORK/ngx-fcgi;
	uwsgi_temp_path $WORK/ngx-uwsgi;
	scgi_temp_path $WORK/ngx-scgi;
	server {
		listen 127.0.0.1:$NPORT;
		root $WORK/www;
		default_type application/json;
	}
}
NGX
nginx -p "$WORK" -c "$WORK/nginx.conf" &
NPID=$!
i=0
until curl -s -o /dev/null "http://127.0.0.1:$NPORT/healthz"; do
	i=$((i + 1)); [ $i -gt 50 ] && { echo "nginx did not start: $(cat "$WORK/nginx.err")"; exit 1; }
	sleep 0.1
done

# rps URL [HEADER]: requests per second of one wrk run
rps() {
	if [ $# -gt 1 ]; then
		wrk -t1 -c"$CONNS" -d"${DUR}s" -H "$2" "$1" >"$WORK/wrk.out" 2>&1
	else
		wrk -t1 -c"$CONNS" -d"${DUR}s" "$1" >"$WORK/wrk.out" 2>&1
	fi
	grep -q "Non-2xx" "$WORK/wrk.out" && { echo "wrk: non-2xx answers on $1" >&2; cat "$WORK/wrk.out" >&2; }
	awk '/^Requests\/sec:/ { print $2 }' "$WORK/wrk.out"
}
H_D=$(rps "$BASE/healthz")
H_N=$(rps "http://127.0.0.1:$NPORT/healthz")
J_D=$(rps "$BASE/v1/dossiers/$ID" "Authorization: Bearer $TOK")
J_N=$(rps "http://127.0.0.1:$NPORT/dossier")
RSS_LOAD=$(rss "$DPID")
ratio() { python3 -c 'import sys; print("%.0f %%" % (100 * float(sys.argv[1]) / float(sys.argv[2])))' "$1" "$2"; }
printf '%-28s %10s %10s %8s\n' "wrk, $CONNS conn., ${DUR} s" "raccord" "nginx" "ratio"
printf '%-28s %10s %10s %8s\n' "GET /healthz ($(wc -c <"$WORK/www/healthz") B)" "$H_D" "$H_N" "$(ratio "$H_D" "$H_N")"
printf '%-28s %10s %10s %8s\n' "GET /v1/dossiers/{id} ($(wc -c <"$WORK/www/dossier") B)" "$J_D" "$J_N" "$(ratio "$J_D" "$J_N")"
echo "daemon RSS: idle $RSS_IDLE kB, after the wrk runs $RSS_LOAD kB"
kill "$NPID"; wait "$NPID" 2>/dev/null; NPID=

# N dossiers: through the daemon, then with raccord check --batch.
python3 - "$WORK/ok.json" "$WORK/batch.jsonl" "$WORK/post" "$N" <<'PY'
import json, os, sys
src, batch, d, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
base = json.load(open(src))
os.makedirs(d, exist_ok=True)
with open(batch, "w") as b:
    for i in range(n):
        x = json.loads(json.dumps(base))
        x["dossier_id"] = "BENCH-%d" % i
        s = json.dumps(x, separators=(",", ":"))
        b.write(s + "\n")
        open("%s/%d.json" % (d, i), "w").write(s)
        x["dossier_id"] = "BENCH-P-%d" % i
        open("%s/p%d.json" % (d, i), "w").write(json.dumps(x, separators=(",", ":")))
PY
# The worker thread's own CPU (its name is raccord-worker), the rest being
# the HTTP side (the POSTs: screening, the job store's durable commit) and
# SQLite work of both.
wcpu() { # [s]: its stime alone
	python3 -c '
import os, sys
for t in os.listdir("/proc/%s/task" % sys.argv[1]):
    s = open("/proc/%s/task/%s/stat" % (sys.argv[1], t)).read()
    if s[s.index("(") + 1:s.rindex(")")] == "raccord-worker":
        f = s.rsplit(")", 1)[1].split()
        print(((int(f[11]) if sys.argv[2] != "s" else 0) + int(f[12])) / os.sysconf("SC_CLK_TCK"))
        break
else:
    print(0)' "$1" "${2:-}"
}
# phase PREFIX PAR: post the N dossiers PREFIX<i>.json, PAR at a time
# (1: one after the other, each curl waiting for its answer), wait until
# none is queued or running; sets C (daemon CPU s), W (worker CPU s), T
# (wall s), RUNS (verifier runs: batch lines plus jobs claimed alone).
phase() {
	L0=$(wc -l <"$WORK/daemon.log")
	c0=$(cpu "$DPID"); s0=$(scpu "$DPID"); w0=$(wcpu "$DPID"); ws0=$(wcpu "$DPID" s); t0=$(date +%s.%N)
	i=0
	if [ "$2" = 0 ]; then # one client, one keep-alive connection
		while [ $i -lt "$N" ]; do
			[ $i -gt 0 ] && echo "next"
			printf 'url = "%s"\ndata-binary = "@%s"\noutput = "/dev/null"\nheader = "Authorization: Bearer %s"\nheader = "Content-Type: application/json"\n' \
				"$BASE/v1/dossiers" "$WORK/post/$1$i.json" "$TOK"
			i=$((i + 1))
		done >"$WORK/curl.cfg"
		curl -s -K "$WORK/curl.cfg"
	else
		while [ $i -lt "$N" ]; do echo "$i"; i=$((i + 1)); done |
			xargs -P "$2" -I{} curl -s -o /dev/null -H "Authorization: Bearer $TOK" \
				-H "Content-Type: application/json" --data-binary "@$WORK/post/$1{}.json" "$BASE/v1/dossiers"
	fi
	i=0
	while :; do
		m=$(curl -s -H "Authorization: Bearer $TOK" "$BASE/metrics")
		q=$(echo "$m" | awk '$1 == "raccord_jobs{state=\"queued\"}" { print $2 }')
		r=$(echo "$m" | awk '$1 == "raccord_jobs{state=\"running\"}" { print $2 }')
		[ "${q:-1}" = 0 ] && [ "${r:-1}" = 0 ] && break
		i=$((i + 1)); [ $i -gt 1200 ] && { echo "the daemon did not finish the dossiers"; exit 1; }
		sleep 0.5
	done
	T=$(python3 -c 'import sys; print(float(sys.argv[2]) - float(sys.argv[1]))' "$t0" "$(date +%s.%N)")
	C=$(python3 -c 'import sys; print(float(sys.argv[2]) - float(sys.argv[1]))' "$c0" "$(cpu "$DPID")")
	W=$(python3 -c 'import sys; print(float(sys.argv[2]) - float(sys.argv[1]))' "$w0" "$(wcpu "$DPID")")
	S=$(python3 -c 'import sys; print(float(sys.argv[2]) - float(sys.argv[1]))' "$s0" "$(scpu "$DPID")")
	WS=$(python3 -c 'import sys; print(float(sys.argv[2]) - float(sys.argv[1]))' "$ws0" "$(wcpu "$DPID" s)")
	echo "phase $1: kernel per dossier: daemon $(python3 -c "print('%.2f' % ($S * 1000 / $N))") ms, its worker $(python3 -c "print('%.2f' % ($WS * 1000 / $N))") ms" >&2
	tail -n +$((L0 + 1)) "$WORK/daemon.log" >"$WORK/phase.log"
	nb=$(grep -c "batch jobs=" "$WORK/phase.log")
	nj=$(grep -o "batch jobs=[0-9]*" "$WORK/phase.log" | awk -F= '{ s += $2 } END { print s + 0 }')
	na=$(grep -c "state=running award=" "$WORK/phase.log")
	RUNS="$na jobs in $((nb + na - nj)) runs"
}
# PERF=FILE: perf record -g of the daemon during the first phase; or
# STRACE=FILE: strace -c -f of it (one of the two).
if [ -n "${PERF:-}" ]; then
	perf record -F 2000 -g -o "$PERF" -p "$DPID" >/dev/null 2>&1 &
	PERFPID=$!; sleep 0.5
elif [ -n "${STRACE:-}" ]; then
	strace -c -f -o "$STRACE" -p "$DPID" 2>/dev/null &
	PERFPID=$!; sleep 0.5
fi
phase "" 1
[ -n "$PERFPID" ] && { kill -INT "$PERFPID"; wait "$PERFPID"; PERFPID=; }
C_SEQ=$C W_SEQ=$W T_SEQ=$T R_SEQ=$RUNS S_SEQ=$S
phase p "${PAR:-8}"
C_PAR=$C W_PAR=$W T_PAR=$T R_PAR=$RUNS S_PAR=$S
# KA=1: a third phase, N more dossiers posted one after the other by one
# client over one keep-alive connection (as an instructors' tool would).
if [ "${KA:-0}" = 1 ]; then
	python3 - "$WORK/post" "$N" <<'PY'
import sys
d, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    s = open("%s/%d.json" % (d, i)).read().replace('"BENCH-%d"' % i, '"BENCH-K-%d"' % i)
    open("%s/k%d.json" % (d, i), "w").write(s)
PY
	phase k 0
	echo "raccord serve, one keep-alive client: CPU/dossier $(python3 -c "print('%.1f' % ($C * 1000 / $N))") ms (worker $(python3 -c "print('%.1f' % ($W * 1000 / $N))") ms), kernel $(python3 -c "print('%.1f' % ($S * 1000 / $N))") ms, wall $(python3 -c "print('%.1f' % $T)") s, $RUNS"
fi
# Verified jobs, from the log's one line per job (the listing pages by 500).
DONE=$(grep -c " state=done verdict=verified" "$WORK/daemon.log")
/usr/bin/time -f "%U %S %e" -o "$WORK/time.out" "$RACCORD" check --config "$WORK/cfg.json" --format json \
	--batch "$WORK/batch.jsonl" >"$WORK/batch.out" 2>"$WORK/batch.err"
B_OK=$(grep -c '"verdict":"verified"' "$WORK/batch.out")
python3 - "$N" "$(cat "$WORK/time.out" | tail -1)" "$DONE" "$B_OK" "$C_SEQ" "$W_SEQ" "$T_SEQ" "$R_SEQ" \
	"$S_SEQ" "$C_PAR" "$W_PAR" "$T_PAR" "$R_PAR" "$S_PAR" "${PAR:-8}" "${KA:-0}" <<'PY'
import sys
ka = sys.argv[16] == "1"
n = int(sys.argv[1]); u, s, e = map(float, sys.argv[2].split())
done, bok = sys.argv[3], sys.argv[4]
b = (u + s) / n * 1000
print("%d dossiers                      CPU/dossier (worker)    wall    vs CLI (worker)  kernel   verifier runs" % n)
for label, c, w, t, r, k in (("raccord serve, POSTs in a row", *sys.argv[5:10]),
                             ("raccord serve, %s POSTs at once" % sys.argv[15], *sys.argv[10:15])):
    d, wk = float(c) / n * 1000, float(w) / n * 1000
    print("%-31s %6.1f ms (%5.1f ms) %6.1f s  %4.0f %% (%4.0f %%)  %4.1f ms  %s" % (label, d, wk, float(t), 100 * d / b, 100 * wk / b, float(k) / n * 1000, r))
print("%-31s %6.1f ms            %6.1f s                    %4.1f ms" % ("raccord check --batch", b, e, s / n * 1000))
print("verified: daemon %s of %d (+1 earlier job), CLI %s of %d" % (done, (3 if ka else 2) * n, bok, n))
PY
kill -TERM "$DPID"; wait "$DPID"; DPID=
