#!/bin/sh
# DataPass webhooks on raccord serve (docs/intake.md): a signed approve
# of a FranceConnect habilitation re-checks the dossier of its SIRET; a
# forged, unsigned, replayed, stale or future event changes nothing and
# gets 401/409/400; other events are acknowledged and ignored; the secret
# never reaches the log.  Loopback only.
set -u
. tests/integration/lib.sh
. tests/integration/lib_daemon.sh
sim_start || exit 1
api_config "$WORK/cfg.json" 8000
IT_DP_ID=raccord-it
IT_DP_SECRET=sim-datapass-secret-7c41d09e
export IT_DP_ID IT_DP_SECRET
T_INSTR=it-instructor-token-5f1d2c
HOOK_SECRET=it-webhook-secret-0b7e52c9a1
umask 077
printf '%s\n' "$HOOK_SECRET" >"$WORK/hook.secret"
python3 - "$WORK/cfg.json" "$WORK/d.json" "$PORT" "$WORK/jobs.sqlite" "$WORK/ledger" "$T_INSTR" "$WORK/hook.secret" <<'PY'
import hashlib, json, sys
base, out, port, store, ledger, ti, secret = sys.argv[1:8]
cfg = json.load(open(base))
cfg["daemon"] = {"listen": "127.0.0.1:%s" % port, "store": store,
                 "tokens": [{"name": "dinum-1", "role": "instructor",
                             "sha256": hashlib.sha256(ti.encode()).hexdigest()}]}
cfg["ledger"] = {"dir": ledger, "key_file": ledger + ".key"}
cfg["intake"] = {"datapass": {"secret_file": secret, "max_age_s": 300}}
json.dump(cfg, open(out, "w"), indent=2)
PY
"$RACCORD" keygen it.example/raccord/v1 --key "$WORK/ledger.key" --vkey "$WORK/k.vkey" >/dev/null 2>&1 &&
	"$RACCORD" ledger init "$WORK/ledger" --key "$WORK/ledger.key" --vkey "$WORK/k.vkey" >/dev/null 2>&1 ||
	{ echo "ledger init failed"; exit 1; }
daemon_start || exit 1

# event FILE EVENT MODEL SIRET AGE_S: a DataPass webhook body
event() {
	python3 - "$@" <<'PY'
import json, sys, time
f, ev, model, siret, age = sys.argv[1:6]
org = {"id": 7, "name": "Commune de Test"}
if siret: org["siret"] = siret
json.dump({"event": ev, "fired_at": int(time.time()) - int(age), "model_type": model,
           "model_id": 42, "data": {"id": 42, "state": "validated", "organization": org}},
          open(f, "w"))
PY
}
# hook FILE [SECRET|-]: POST it signed with SECRET (default the real one; - : unsigned)
hook() {
	f=$1 s=${2:-$HOOK_SECRET}
	if [ "$s" = - ]; then
		set -- -H "X-Other: 1"
	else
		sig=$(python3 -c 'import hmac,hashlib,sys; print(hmac.new(sys.argv[1].encode(), open(sys.argv[2],"rb").read(), hashlib.sha256).hexdigest())' "$s" "$f")
		set -- -H "X-Hub-Signature-256: sha256=$sig"
	fi
	CODE=$(curl -s -o "$WORK/resp" -w '%{http_code}' -X POST -H "Content-Type: application/json" \
		--data-binary "@$f" "$@" "$BASE/v1/hooks/datapass")
	record POST
}
# Every webhook answer is kept for the OpenAPI check at the end.
record() {
	NRESP=$((NRESP + 1))
	cp "$WORK/resp" "$WORK/bodies/$NRESP"
	printf '%s\t/v1/hooks/datapass\t%s\tapplication/json\t%s\n' "$1" "$CODE" "$NRESP" >>"$WORK/responses.tsv"
}
attempts() {
	CODE=$(curl -s -o "$WORK/resp" -w '%{http_code}' -H "Authorization: Bearer $T_INSTR" "$BASE/v1/dossiers/$ID")
	jget '["attempts"]'
}
# wait_attempts N: the job has run N times and is done
wait_attempts() {
	i=0
	while :; do
		a=$(attempts)
		[ "$a" = "$1" ] && [ "$(jget '["state"]')" = done ] && return 0
		i=$((i + 1)); [ $i -gt 300 ] && return 1
		sleep 0.2
	done
}

fc_dossier "$WORK/ok.json" ok
CODE=$(curl -s -o "$WORK/resp" -w '%{http_code}' -H "Authorization: Bearer $T_INSTR" \
	-H "Content-Type: application/json" --data-binary "@$WORK/ok.json" "$BASE/v1/dossiers")
expect_code "submit a dossier" 202
ID=$(jget '["id"]')
wait_attempts 1 && ok "the dossier was checked once" || nok "job: $(cat "$WORK/resp")"

FC=authorization_request/france_connect
event "$WORK/approve.json" approve "$FC" 21750001600019 0
hook "$WORK/approve.json" wrong-secret; expect_code "forged signature: 401" 401
grep -q "X-Hub-Signature-256" "$WORK/resp" && ok "the 401 names the header" || nok "$(cat "$WORK/resp")"
hook "$WORK/approve.json" -; expect_code "no signature: 401" 401
sleep 1
[ "$(attempts)" = 1 ] && [ "$(jget '["state"]')" = done ] && ok "a refused webhook changes nothing" || nok "job moved: $(head -c 300 "$WORK/resp")"

hook "$WORK/approve.json"; expect_code "signed approve: 200" 200
[ "$(jget '["action"]')" = recheck ] && [ "$(jget '["requeued"]')" = 1 ] && ok "one dossier queued for a re-check" || nok "$(cat "$WORK/resp")"
wait_attempts 2 && ok "the dossier was checked again" || nok "no re-check: $(cat "$WORK/resp")"
hook "$WORK/approve.json"; expect_code "the same event again: 409" 409
sleep 1
[ "$(attempts)" = 2 ] && ok "a replay re-checks nothing" || nok "replay re-ran the job: $(cat "$WORK/resp")"

event "$WORK/stale.json" approve "$FC" 21750001600019 301
hook "$WORK/stale.json"; expect_code "event older than max_age_s: 400" 400
grep -q "older than intake.datapass.max_age_s" "$WORK/resp" && ok "the 400 says it is stale" || nok "$(cat "$WORK/resp")"
event "$WORK/future.json" approve "$FC" 21750001600019 -3600
hook "$WORK/future.json"; expect_code "event from the future: 400" 400
event "$WORK/other.json" approve "$FC" 21330063500017 0
hook "$WORK/other.json"; expect_code "approve for another SIRET: 200" 200
[ "$(jget '["requeued"]')" = 0 ] && ok "another SIRET's approve queues nothing" || nok "$(cat "$WORK/resp")"
event "$WORK/submit.json" submit "$FC" 21750001600019 0
hook "$WORK/submit.json"; expect_code "submit event: 200" 200
[ "$(jget '["action"]')" = ignored ] && ok "a submit event is ignored, with why" || nok "$(cat "$WORK/resp")"
printf '{"event": "approve"' >"$WORK/bad.json"
hook "$WORK/bad.json"; expect_code "signed but malformed: 400" 400
sleep 1
[ "$(attempts)" = 2 ] && ok "only the one approve re-checked" || nok "attempts $(attempts)"
CODE=$(curl -s -o "$WORK/resp" -w '%{http_code}' "$BASE/v1/hooks/datapass")
expect_code "GET: 405" 405
record GET
if python3 tests/integration/openapi_check.py docs/openapi.yaml "$WORK/responses.tsv" "$WORK/bodies" >"$WORK/openapi.out" 2>&1; then
	ok "$(tail -1 "$WORK/openapi.out")"
else
	nok "responses differ from docs/openapi.yaml:"; cat "$WORK/openapi.out"
fi

CODE=$(curl -s -o "$WORK/resp" -w '%{http_code}' -H "Authorization: Bearer $T_INSTR" "$BASE/metrics")
expect_code "metrics" 200
python3 - "$WORK/resp" <<'PY' && ok "metrics count the webhooks per connector and outcome" || nok "metrics: $(grep intake "$WORK/resp")"
import re, sys
m = dict(re.findall(r'^raccord_intake_datapass_events_total\{outcome="([a-z_]+)"\} ([0-9]+)$', open(sys.argv[1]).read(), re.M))
want = {"recheck": "2", "ignored": "1", "bad_signature": "2", "bad_body": "3", "replay": "1", "error": "0"}
assert m == want, m
assert re.search(r'^raccord_intake_datapass_requeued_total 1$', open(sys.argv[1]).read(), re.M)
PY
grep -q "$HOOK_SECRET" "$WORK/daemon.log" "$WORK/daemon.out" "$WORK/jobs.sqlite" && nok "the webhook secret was written out" || ok "the secret is in no log and not in the store"
grep -q "intake=datapass refused=signature" "$WORK/daemon.log" && ok "forgeries are logged" || nok "no log line for the forgery"
grep -q "intake=datapass refused=replay" "$WORK/daemon.log" && ok "replays are logged" || nok "no log line for the replay"
finish t_intake_datapass
