# Helpers for the integration tests that drive `raccord serve` over HTTP.
# Source after tests/integration/lib.sh (which sets WORK, RACCORD, ok/nok).
#
#   free_port                      a free loopback TCP port
#   ledger_keys ORIGIN             keygen + ledger init: $L (ledger dir),
#                                  $LEDGER_KEY, $LEDGER_VKEY
#   config_patch OUT BASE PATCH    write OUT = BASE config + the JSON object
#                                  PATCH merged at the top level (python dict
#                                  literal evaluated with `h` = sha256 hex)
#   daemon_start [CFG]             start the daemon on $BASE (default config
#                                  $WORK/d.json), wait for /healthz; DPID
#   daemon_stop                    SIGTERM and wait; returns its exit status
#   req METHOD PATH TOKEN [BODYFILE] [curl args...]
#                                  sets CODE; body in $WORK/resp, headers in
#                                  $WORK/hdrs; every answer is kept in
#                                  $WORK/bodies + $WORK/responses.tsv for the
#                                  OpenAPI check (tests/integration/openapi_check.py)
#   expect_code NAME WANT          ok/nok on $CODE
#   jget EXPR                      python subscript of the JSON in $WORK/resp
#   wait_state ID STATE [TOKEN]    poll GET /v1/dossiers/ID until STATE
#
# The EXIT trap kills a daemon left running, then runs lib.sh's cleanup.

free_port() { python3 tests/integration/free_port.py; }
PORT=${PORT:-$(free_port)}
BASE=http://127.0.0.1:$PORT
DPID=
NRESP=0
mkdir -p "$WORK/bodies"

ledger_keys() {
	L=$WORK/ledger
	LEDGER_KEY=$WORK/k.pem
	LEDGER_VKEY=$WORK/k.vkey
	"$RACCORD" keygen "$1" --key "$LEDGER_KEY" --vkey "$LEDGER_VKEY" >/dev/null 2>&1 || { echo "keygen failed"; return 1; }
	"$RACCORD" ledger init "$L" --key "$LEDGER_KEY" --vkey "$LEDGER_VKEY" >/dev/null 2>&1 || { echo "ledger init failed"; return 1; }
}

config_patch() {
	python3 - "$1" "$2" "$3" <<'PY'
import hashlib, json, sys
out, base, patch = sys.argv[1:4]
cfg = json.load(open(base))
h = lambda t: hashlib.sha256(t.encode()).hexdigest()
cfg.update(eval(patch, {"h": h}))
json.dump(cfg, open(out, "w"), indent=2)
PY
}

daemon_start() {
	"$RACCORD" serve --config "${1:-$WORK/d.json}" >>"$WORK/daemon.out" 2>>"$WORK/daemon.log" &
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

daemon_stop() {
	kill -TERM "$DPID"
	wait "$DPID"
	rc=$?
	DPID=
	return $rc
}

daemon_cleanup() {
	[ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null
	cleanup
}
trap daemon_cleanup EXIT INT TERM

req() {
	m=$1 p=$2 t=$3
	shift 3
	if [ $# -gt 0 ] && [ -f "$1" ]; then b=$1; shift; set -- --data-binary "@$b" -H "Content-Type: application/json" "$@"; fi
	if [ -n "$t" ]; then set -- -H "Authorization: Bearer $t" "$@"; fi
	CODE=$(curl -s -o "$WORK/resp" -D "$WORK/hdrs" -w '%{http_code}' -X "$m" "$@" "$BASE$p")
	NRESP=$((NRESP + 1))
	cp "$WORK/resp" "$WORK/bodies/$NRESP"
	ct=$(grep -i '^Content-Type:' "$WORK/hdrs" | tail -1 | cut -d' ' -f2- | tr -d '\r')
	printf '%s\t%s\t%s\t%s\t%s\n' "$m" "$p" "$CODE" "$ct" "$NRESP" >>"$WORK/responses.tsv"
}

expect_code() {
	if [ "$CODE" = "$2" ]; then ok "$1"; else nok "$1: HTTP $CODE, want $2: $(head -c 300 "$WORK/resp")"; fi
}

jget() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); v=eval("d"+sys.argv[2]); print("" if v is None else v)' "$WORK/resp" "$1"; }

wait_state() {
	i=0
	while :; do
		req GET "/v1/dossiers/$1" "${3:-$T_INSTR}"
		[ "$CODE" = 200 ] && [ "$(jget '["state"]')" = "$2" ] && return 0
		i=$((i + 1)); [ $i -gt 300 ] && return 1
		sleep 0.2
	done
}
