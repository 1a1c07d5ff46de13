#!/bin/sh
# daemon.metrics_listen: /metrics on a second, internal listener (no token,
# Prometheus text 0.0.4), 404 on the main listener; only /metrics there;
# a metrics address equal to daemon.listen, or not host:port, refused at
# start with the directive named.  Loopback only.
NAME=t_metrics
. tests/ledger_shim/lib.sh
set -u
L=$WORK/L
mk_ledger "$L"
T_INSTR=it-metrics-instructor-41c2
T_SELF=it-metrics-selfcheck-9a07
free_port() { python3 tests/integration/free_port.py; }
PORT=$(free_port)
MPORT=$(free_port)
BASE=http://127.0.0.1:$PORT
MBASE=http://127.0.0.1:$MPORT
# config FILE METRICS_LISTEN ("" for none)
config() {
	python3 - "$1" "$PORT" "$2" "$WORK/jobs.sqlite" "$L" "$WORK/k.pem" "$T_INSTR" "$T_SELF" <<'PY'
import hashlib, json, sys
out, port, mlisten, store, ledger, key, ti, ts = sys.argv[1:9]
h = lambda t: hashlib.sha256(t.encode()).hexdigest()
d = {"listen": "127.0.0.1:%s" % port, "store": store,
     "tokens": [{"name": "dinum-1", "role": "instructor", "sha256": h(ti)},
                {"name": "page", "role": "selfcheck", "sha256": h(ts)}]}
if mlisten:
    d["metrics_listen"] = mlisten
json.dump({"daemon": d, "ledger": {"dir": ledger, "key_file": key}}, open(out, "w"), indent=2)
PY
}
DPID=
trap '[ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null; rm -rf "$WORK"' EXIT INT TERM
start() {
	"$RACCORD" serve --config "$1" >"$WORK/daemon.out" 2>>"$WORK/daemon.log" &
	DPID=$!
	i=0
	until curl -s -o /dev/null "$BASE/healthz"; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 "$DPID" 2>/dev/null; then
			echo "raccord serve did not start:"; tail -5 "$WORK/daemon.log"; exit 1
		fi
		sleep 0.1
	done
}
stop() { kill -TERM "$DPID"; wait "$DPID"; rc=$?; DPID=; [ $rc = 0 ] && ok || ko "SIGTERM: exit $rc"; }
code() { # URL [curl args]: HTTP status; body in $WORK/resp
	u=$1; shift
	curl -s -o "$WORK/resp" -D "$WORK/hdrs" -w '%{http_code}' "$@" "$u"
}
expect() { if [ "$2" = "$3" ]; then ok; else ko "$1: HTTP $3, want $2: $(head -c 200 "$WORK/resp")"; fi; }
prom_ok() { # the body is Prometheus text 0.0.4 with the daemon's series
	python3 - "$WORK/resp" <<'PY'
import re, sys
typed, seen = set(), set()
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    m = re.match(r"# TYPE ([a-z_]+) (counter|gauge)$", line)
    if m: typed.add(m.group(1)); continue
    if line.startswith("# HELP "): continue
    m = re.match(r'([a-z_]+)(\{[a-z_]+="[^"\\]*"\})? ([0-9]+)$', line)
    assert m and m.group(1) in typed, line
    seen.add(m.group(1))
assert {"raccord_worker_up", "raccord_jobs", "raccord_http_responses_total",
        "raccord_ledger_entries"} <= seen, seen
PY
}

# With the internal listener.
config "$WORK/m.json" "127.0.0.1:$MPORT"
start "$WORK/m.json"
grep -q "metrics on 127.0.0.1:$MPORT" "$WORK/daemon.log" && ok || ko "no 'metrics on' log line"
expect "internal /metrics without a token" 200 "$(code "$MBASE/metrics")"
grep -qi '^Content-Type: text/plain; version=0.0.4; charset=utf-8' "$WORK/hdrs" && ok || ko "metrics Content-Type"
prom_ok && ok || ko "not Prometheus text: $(head -c 300 "$WORK/resp")"
expect "main /metrics with an instructor token: 404" 404 "$(code "$BASE/metrics" -H "Authorization: Bearer $T_INSTR")"
expect "main /metrics without a token: 404" 404 "$(code "$BASE/metrics")"
expect "internal listener: another path is 404" 404 "$(code "$MBASE/healthz")"
expect "internal listener: /v1/ledger/checkpoint is 404" 404 "$(code "$MBASE/v1/ledger/checkpoint" -H "Authorization: Bearer $T_INSTR")"
expect "internal listener: POST /metrics is 405" 405 "$(code "$MBASE/metrics" -X POST --data-binary 'x=1')"
grep -qi '^Allow: GET' "$WORK/hdrs" && ok || ko "405 without Allow"
expect "main listener still serves" 200 "$(code "$BASE/v1/ledger/checkpoint" -H "Authorization: Bearer $T_INSTR")"
# The requests above are counted on the internal listener.
code "$MBASE/metrics" >/dev/null
grep -q 'raccord_http_responses_total{code="4xx"} [1-9]' "$WORK/resp" && ok || ko "4xx not counted: $(grep 4xx "$WORK/resp")"
stop

# Without it: /metrics on the main listener, with a token and a role.
config "$WORK/n.json" ""
start "$WORK/n.json"
expect "main /metrics as instructor" 200 "$(code "$BASE/metrics" -H "Authorization: Bearer $T_INSTR")"
prom_ok && ok || ko "not Prometheus text"
expect "main /metrics without a token: 401" 401 "$(code "$BASE/metrics")"
expect "main /metrics as selfcheck: 403" 403 "$(code "$BASE/metrics" -H "Authorization: Bearer $T_SELF")"
curl -s -o /dev/null "$MBASE/metrics" && ko "the internal port is open without metrics_listen" || ok
stop

# Bad addresses are refused at start, naming the directive.
config "$WORK/same.json" "127.0.0.1:$PORT"
"$RACCORD" serve --config "$WORK/same.json" >"$WORK/out" 2>&1
rc=$?
[ $rc = 2 ] && grep -q "daemon.metrics_listen: the same address as daemon.listen" "$WORK/out" && ok || ko "same address: exit $rc: $(cat "$WORK/out")"
config "$WORK/bad.json" "127.0.0.1"
"$RACCORD" serve --config "$WORK/bad.json" >"$WORK/out" 2>&1
rc=$?
[ $rc = 2 ] && grep -q "daemon.metrics_listen" "$WORK/out" && ok || ko "no port: exit $rc: $(cat "$WORK/out")"
grep -q "$T_INSTR" "$WORK/daemon.log" && ko "a token reached the log" || ok
finish
