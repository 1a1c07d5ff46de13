#!/bin/sh
# Re-verification (issue 9 §6, docs/api.md "Re-verification"): an awarded
# dossier is re-checked on a short schedule through the daemon's queue and
# worker; when its portal breaks after the award, three failing re-checks
# list it under GET /v1/alerts and in /metrics, and nothing is revoked; a
# restart keeps the schedule and the streak; when the portal recovers, the
# next re-check clears the alert.  Roles on /v1/alerts.  The portal
# "breaks" through a TCP relay on 127.0.0.2 that the daemon resolves
# portal.test to: it forwards to raccord-sim, or drops every connection
# while $WORK/broken exists.  Loopback only.  KEEP_LOG=FILE keeps a copy
# of the daemon's log.
set -u
. tests/integration/lib.sh
sim_start || exit 1
api_config "$WORK/cfg.json" 8000
IT_DP_ID=raccord-it
IT_DP_SECRET=sim-datapass-secret-7c41d09e
export IT_DP_ID IT_DP_SECRET

T_INSTR=it-instructor-token-5f1d2c
T_PAY=it-payment-token-91ab07
T_SELF=it-selfcheck-token-33e8aa
T_ADMIN=it-admin-token-c0ffee
. tests/integration/lib_daemon.sh
ledger_keys it.example/raccord/v1 || exit 1

# The relay: 127.0.0.2:PORTAL_PORT -> 127.0.0.1:PORTAL_PORT, or a closed
# connection while $WORK/broken exists.
python3 - "$PORTAL_PORT" "$WORK/broken" "$WORK/relay.ready" <<'PY' >"$WORK/relay.log" 2>&1 &
import os, socket, sys, threading
port, broken, ready = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.2", port))
ls.listen(64)
open(ready, "w").close()
def pipe(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
while True:
    c, _ = ls.accept()
    if os.path.exists(broken):
        c.close()
        continue
    u = socket.create_connection(("127.0.0.1", port))
    threading.Thread(target=pipe, args=(c, u), daemon=True).start()
    threading.Thread(target=pipe, args=(u, c), daemon=True).start()
PY
RELAY=$!
recheck_cleanup() {
	[ -n "${KEEP_LOG:-}" ] && cp "$WORK/daemon.log" "$KEEP_LOG"
	kill "$RELAY" 2>/dev/null
	daemon_cleanup
}
trap recheck_cleanup EXIT
trap 'exit 1' INT TERM

i=0; until [ -f "$WORK/relay.ready" ] || [ $i -gt 50 ]; do i=$((i + 1)); sleep 0.1; done
[ -f "$WORK/relay.ready" ] || { echo "relay did not start: $(cat "$WORK/relay.log")"; kill "$RELAY"; exit 1; }

python3 - "$WORK/d.json" "$WORK/cfg.json" "$PORT" "$WORK/jobs.sqlite" "$L" "$LEDGER_KEY" \
	"$T_INSTR" "$T_PAY" "$T_SELF" "$T_ADMIN" "$PORTAL_PORT" <<'PY'
import hashlib, json, sys
out, base, port, store, ledger, key, ti, tp, ts, ta, pp = sys.argv[1:12]
cfg = json.load(open(base))
h = lambda t: hashlib.sha256(t.encode()).hexdigest()
toks = [{"name": "dinum-1", "role": "instructor", "sha256": h(ti)},
        {"name": "paiement", "role": "payment", "sha256": h(tp)},
        {"name": "selfcheck-page", "role": "selfcheck", "sha256": h(ts)},
        {"name": "ops", "role": "admin", "sha256": h(ta)}]
cfg["daemon"] = {"listen": "127.0.0.1:%s" % port, "store": store, "tokens": toks,
                 "rate_per_token_min": 0, "rate_per_siren_hour": 0,
                 "recheck_interval_s": 2, "recheck_per_host": 1}
# portal.test on the portal's port goes through the relay.
r = cfg["network"]["resolve"]
cfg["network"]["resolve"] = [e.replace(":127.0.0.1", ":127.0.0.2")
                             if e == "portal.test:%s:127.0.0.1" % pp else e for e in r]
assert cfg["network"]["resolve"] != r
cfg["ledger"] = {"dir": ledger, "key_file": key}
json.dump(cfg, open(out, "w"), indent=2)
PY

# metric NAME: its value on /metrics, in MVAL (not in a subshell: req
# numbers the recorded responses)
metric() {
	req GET /metrics "$T_INSTR"
	MVAL=$(awk -v n="$1" '$1 == n { print $2 }' "$WORK/resp")
}
# wait_log PATTERN COUNT [TRIES]: until the daemon's log has COUNT lines matching
wait_log() {
	i=0
	until [ "$(grep -c "$1" "$WORK/daemon.log")" -ge "$2" ]; do
		i=$((i + 1)); [ $i -gt "${3:-600}" ] && return 1
		sleep 0.1
	done
}
# alerts: the number of alerts (instructor), in NALERTS
alerts() {
	req GET /v1/alerts "$T_INSTR"
	NALERTS=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["alerts"]))' "$WORK/resp")
}

fc_dossier "$WORK/ok.json" ok
daemon_start || exit 1

# --- award, then re-checks that pass --------------------------------------------
req POST /v1/dossiers "$T_INSTR" "$WORK/ok.json"; expect_code "submit" 202
ID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$WORK/resp")
req POST "/v1/dossiers/$ID/verify" "$T_INSTR"; expect_code "verify" 202
i=0
while :; do
	req GET "/v1/dossiers/$ID" "$T_INSTR"
	[ -n "$(jget '.get("award")')" ] && [ "$(jget '["state"]')" = done ] && break
	i=$((i + 1)); [ $i -gt 300 ] && break
	sleep 0.2
done
[ "$(jget '["award"]["decisions"][0]["outcome"]')" = awarded ] && ok "awarded through the relay" || nok "award: $(head -c 600 "$WORK/resp")"
wait_log "job=$ID recheck=verified streak=0" 1 && ok "the awarded job is re-checked on schedule (verified)" || { nok "no re-check:"; tail -5 "$WORK/daemon.log"; }
alerts; [ "$NALERTS" = 0 ] && ok "no alert while the portal works" || nok "alerts: $(cat "$WORK/resp")"
req GET "/v1/dossiers/$ID" "$T_INSTR"
[ "$(jget '["verdict"]')" = verified ] && ok "a re-check leaves the job's verdict" || nok "verdict: $(jget '["verdict"]')"

# --- the portal breaks ---------------------------------------------------------------
: >"$WORK/broken"
wait_log "job=$ID recheck=\(failed\|inconclusive\|error\) streak=2" 1 && ok "two failing re-checks" || { nok "no failing re-checks:"; tail -5 "$WORK/daemon.log"; }
alerts; [ "$NALERTS" = 0 ] && ok "two in a row: not yet an alert" || nok "alert after two: $(cat "$WORK/resp")"
wait_log "job=$ID recheck=\(failed\|inconclusive\|error\) streak=3 alert=1" 1 && ok "the third raises the alert" || { nok "no alert in the log:"; tail -5 "$WORK/daemon.log"; }
alerts; [ "$NALERTS" = 1 ] && ok "GET /v1/alerts lists it" || nok "alerts: $(cat "$WORK/resp")"
[ "$(jget '["alerts"][0]["id"]')" = "$ID" ] && [ "$(jget '["alerts"][0]["dossier_id"]')" = IT-ok ] \
	&& [ "$(jget '["alerts"][0]["host"]')" = portal.test ] && ok "the alert names the job, the dossier and the host" || nok "alert: $(cat "$WORK/resp")"
metric raccord_recheck_alerts; [ "${MVAL:-0}" -ge 1 ] && ok "/metrics counts it" || nok "metrics: $(grep recheck "$WORK/resp")"
[ "$(wc -l <"$L/entries.jsonl")" -eq 1 ] && ok "nothing revoked: one ledger entry" || nok "$(wc -l <"$L/entries.jsonl") entries"
req GET "/v1/dossiers/$ID" "$T_INSTR"
[ "$(jget '["award"]["decisions"][0]["outcome"]')" = awarded ] && ok "the award stays on the job" || nok "award: $(head -c 300 "$WORK/resp")"

# --- roles on /v1/alerts ----------------------------------------------------------
req GET /v1/alerts ""; expect_code "alerts without a token: 401" 401
req GET /v1/alerts "not-a-token"; expect_code "alerts with an unknown token: 401" 401
req GET /v1/alerts "$T_SELF"; expect_code "alerts as selfcheck: 403" 403
req GET /v1/alerts "$T_PAY"; expect_code "alerts as payment: 200" 200
req GET /v1/alerts "$T_ADMIN"; expect_code "alerts as admin: 200" 200
req POST /v1/alerts "$T_INSTR"; expect_code "POST /v1/alerts: 405" 405

# --- a restart keeps the schedule and the streak ---------------------------------
daemon_stop
n=$(grep -c "job=$ID recheck=" "$WORK/daemon.log")
daemon_start || exit 1
alerts; [ "$NALERTS" = 1 ] && ok "after a restart the alert is still listed" || nok "alerts after restart: $(cat "$WORK/resp")"
wait_log "job=$ID recheck=" $((n + 1)) && ok "re-checks go on after a restart" || nok "no re-check after the restart"
last=$(grep "job=$ID recheck=" "$WORK/daemon.log" | tail -1 | sed -n 's/.* streak=\([0-9]*\).*/\1/p')
[ "${last:-0}" -ge 4 ] && ok "the streak went on from the store ($last)" || nok "streak: $(grep "job=$ID recheck=" "$WORK/daemon.log" | tail -1)"

# --- the portal recovers -------------------------------------------------------------
rm -f "$WORK/broken"
n=$(grep -c "job=$ID recheck=verified" "$WORK/daemon.log")
wait_log "job=$ID recheck=verified streak=0" $((n + 1)) && ok "a verified re-check" || nok "no verified re-check: $(tail -3 "$WORK/daemon.log")"
alerts; [ "$NALERTS" = 0 ] && ok "the recovery clears the alert" || nok "alerts: $(cat "$WORK/resp")"
metric raccord_recheck_alerts; [ "${MVAL:-0}" = 0 ] && ok "/metrics: no alert" || nok "metrics: $(grep recheck "$WORK/resp")"
metric 'raccord_rechecks_total{outcome="verified"}'; [ "${MVAL:-0}" -ge 1 ] && ok "/metrics counts re-checks by outcome" || nok "metrics: $(grep rechecks_total "$WORK/resp")"
[ "$(wc -l <"$L/entries.jsonl")" -eq 1 ] && ok "still one ledger entry" || nok "$(wc -l <"$L/entries.jsonl") entries"
daemon_stop

if grep -q "Sanitizer\|runtime error" "$WORK/daemon.log"; then
	nok "sanitizer report in the daemon's log:"; grep -m5 "Sanitizer\|runtime error" "$WORK/daemon.log"
else
	ok "no sanitizer report in the daemon's log"
fi
if python3 tests/integration/openapi_check.py docs/openapi.yaml "$WORK/responses.tsv" "$WORK/bodies" >"$WORK/openapi.out" 2>&1; then
	ok "$(tail -1 "$WORK/openapi.out")"
else
	nok "responses differ from docs/openapi.yaml:"; cat "$WORK/openapi.out"
fi

finish t_recheck
