#!/bin/sh
# Instruction counts (valgrind --tool=callgrind) of N dossiers through
# raccord serve beside raccord check --batch over the same N dossiers:
# the load-independent companion of bench/daemon_bench.sh (issue 9, "CPU
# per portal within 10 % of the CLI").  Run by hand, never in CI.
#
#   BUILD=build N=50 sh bench/daemon_callgrind.sh
#   SEQ=1 BUILD=build N=20 sh bench/daemon_callgrind.sh
#
# SEQ=1: each POST waits until the job before it is finished (read from
# the daemon's log, so the wait adds nothing to the count): dossiers
# arriving one at a time, each job its own verifier run, the case of
# daemon_bench.sh's "POSTs in a row" phase when the worker keeps up.
# FC_DISC_AGE=S sets daemon.fc_discovery_max_age_s (0: the discovery
# document fetched by every run, as before it was kept).
#
# The daemon runs under callgrind with instrumentation off until it listens;
# instrumentation is switched on (callgrind_control -i on) just before the
# first POST and off once no job is queued or running, so its count
# covers the POSTs, the polls of /metrics, the jobs and their store
# writes, as daemon_bench.sh's /proc CPU does; the N POSTs go as fast as
# curl goes, as in daemon_bench.sh.  The CLI's count is its whole process, as GNU time measures it
# there.  Prints instructions per dossier of each and their ratio, and
# keeps the callgrind files in OUT (default /tmp/raccord-callgrind).
set -u
BUILD=${BUILD:-build}
N=${N:-20}
OUT=${OUT:-/tmp/raccord-callgrind}
for t in valgrind callgrind_control callgrind_annotate curl python3; do
	command -v $t >/dev/null || { echo "daemon_callgrind: $t not installed" >&2; exit 2; }
done
. tests/integration/lib.sh
DPID=
cg_cleanup() {
	[ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null
	cleanup
}
trap cg_cleanup EXIT
trap 'exit 1' INT TERM
mkdir -p "$OUT"
sim_start || exit 1
write_config "$WORK/cfg.json" 60000
PORT=$(python3 tests/integration/free_port.py)
BASE=http://127.0.0.1:$PORT
TOK=bench-instructor-token-1d5c
"$RACCORD" keygen bench.example/raccord/v1 --key "$WORK/k.pem" --vkey "$WORK/k.vkey" >/dev/null 2>&1 || exit 1
"$RACCORD" ledger init "$WORK/ledger" --key "$WORK/k.pem" --vkey "$WORK/k.vkey" >/dev/null 2>&1 || exit 1
python3 - "$WORK/cfg.json" "$WORK/d.json" "$PORT" "$WORK" "$TOK" <<'PY'
import hashlib, json, os, sys
base, out, port, work, tok = sys.argv[1:6]
cfg = json.load(open(base))
cfg["daemon"] = {"listen": "127.0.0.1:%s" % port, "store": work + "/jobs.sqlite",
                 "tokens": [{"name": "bench", "role": "instructor",
                             "sha256": hashlib.sha256(tok.encode()).hexdigest()}],
                 "queue_max": 100000, "max_connections": 1024,
                 "rate_per_token_min": 0, "rate_per_siren_hour": 0}
if os.environ.get("FC_DISC_AGE"):
    cfg["daemon"]["fc_discovery_max_age_s"] = int(os.environ["FC_DISC_AGE"])
cfg["ledger"] = {"dir": work + "/ledger", "key_file": work + "/k.pem"}
json.dump(cfg, open(out, "w"), indent=2)
PY
# Under valgrind a TLS handshake can take seconds: lib.sh's 2 s connect
# limit would end some as timeouts.
python3 - "$WORK/cfg.json" "$WORK/d.json" <<'PY'
import json, sys
for f in sys.argv[1:]:
    cfg = json.load(open(f))
    cfg["network"]["connect_timeout_ms"] = 30000
    json.dump(cfg, open(f, "w"), indent=2)
PY
fc_dossier "$WORK/ok.json" ok
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
PY
rm -f "$OUT/daemon.cg" "$OUT/cli.cg"
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$OUT/daemon.cg" \
	"$RACCORD" serve --config "$WORK/d.json" >/dev/null 2>"$WORK/daemon.log" &
DPID=$!
i=0
until curl -s -m 10 -o /dev/null "$BASE/healthz"; do
	i=$((i + 1)); [ $i -gt 600 ] && { echo "raccord serve did not start: $(tail -3 "$WORK/daemon.log")"; exit 1; }
	sleep 0.2
done
idle() {
	m=$(curl -s -H "Authorization: Bearer $TOK" "$BASE/metrics")
	q=$(echo "$m" | awk '$1 == "raccord_jobs{state=\"queued\"}" { print $2 }')
	r=$(echo "$m" | awk '$1 == "raccord_jobs{state=\"running\"}" { print $2 }')
	[ "${q:-1}" = 0 ] && [ "${r:-1}" = 0 ]
}
wait_idle() {
	i=0
	until idle; do
		i=$((i + 1)); [ $i -gt 3000 ] && { echo "the daemon did not finish the dossiers"; exit 1; }
		sleep 0.2
	done
}
# The worker's probe engine is built after /healthz answers: wait for it
# (its one-off cost is the daemon's start, not the dossiers').
i=0
until grep -q "engine=jobs event=new" "$WORK/daemon.log"; do
	i=$((i + 1)); [ $i -gt 600 ] && { echo "no probe engine: $(tail -3 "$WORK/daemon.log")"; exit 1; }
	sleep 0.2
done
callgrind_control -i on "$DPID" >/dev/null
i=0
while [ $i -lt "$N" ]; do
	curl -s -o /dev/null -H "Authorization: Bearer $TOK" -H "Content-Type: application/json" \
		--data-binary "@$WORK/post/$i.json" "$BASE/v1/dossiers"
	i=$((i + 1))
	if [ "${SEQ:-0}" = 1 ]; then
		k=0
		until [ "$(grep -c ' state=done verdict=\| state=error verdict=' "$WORK/daemon.log")" -ge $i ]; do
			k=$((k + 1)); [ $k -gt 1200 ] && { echo "job $i did not finish"; exit 1; }
			sleep 0.1
		done
	fi
done
wait_idle
callgrind_control -i off "$DPID" >/dev/null
DONE=$(curl -s -H "Authorization: Bearer $TOK" "$BASE/v1/dossiers?verdict=verified&limit=500" |
	python3 -c 'import json,sys; print(len(json.load(sys.stdin)["jobs"]))')
kill -TERM "$DPID"; wait "$DPID"; DPID=
cp "$WORK/daemon.log" "$OUT/daemon.log"
valgrind --tool=callgrind --callgrind-out-file="$OUT/cli.cg" \
	"$RACCORD" check --config "$WORK/cfg.json" --format json \
	--batch "$WORK/batch.jsonl" >"$WORK/batch.out" 2>"$WORK/batch.err"
B_OK=$(grep -c '"verdict":"verified"' "$WORK/batch.out")
total() { callgrind_annotate "$1" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }'; }
D=$(total "$OUT/daemon.cg")
C=$(total "$OUT/cli.cg")
python3 - "$N" "$D" "$C" "$DONE" "$B_OK" <<'PY'
import sys
n, d, c = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
print("%d dossiers             instructions/dossier  verified" % n)
print("raccord serve (POST)  %12.1f M         %s" % (d / n / 1e6, sys.argv[4]))
print("raccord check --batch %12.1f M         %s" % (c / n / 1e6, sys.argv[5]))
print("daemon / CLI: %.0f %%" % (100.0 * d / c))
PY
echo "callgrind files: $OUT/daemon.cg $OUT/cli.cg (callgrind_annotate --inclusive=yes)"
