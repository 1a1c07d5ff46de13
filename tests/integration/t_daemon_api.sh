#!/bin/sh
# National-API integrations through the daemon, with the credential model
# of issue 8: the token travels in the submission ("token"), lives in
# memory for the checks and the award, and is never stored -- the job
# store keeps only its SHA-256.  Against raccord-sim's API Particulier
# and DataPass: a live production token is verified and awarded (the
# entry signs the credential's fingerprint and who asked); a staging
# token fails; the token reaches neither the store, the log, the answers
# nor the ledger; after a restart the token is gone, so a job that needs
# it again ends in error asking for a new submission; token_file is still
# refused.  Loopback only.
set -u
. tests/integration/lib.sh
. tests/integration/lib_daemon.sh
sim_start || exit 1
api_config "$WORK/cfg.json" 8000
IT_DP_ID=raccord-it
IT_DP_SECRET=sim-datapass-secret-7c41d09e
export IT_DP_ID IT_DP_SECRET
SIRET_OK=21750001600019
SIRET_OTHER=20000000800017
T_INSTR=it-api-instructor-6b1f
L=$WORK/ledger
"$RACCORD" keygen it.example/raccord/v1 --key "$WORK/k.pem" --vkey "$WORK/k.vkey" >/dev/null 2>&1 || { echo "keygen failed"; exit 1; }
"$RACCORD" ledger init "$L" --key "$WORK/k.pem" --vkey "$WORK/k.vkey" >/dev/null 2>&1 || { echo "ledger init failed"; exit 1; }
HOOK_SECRET=it-api-webhook-secret-5d21
(umask 077; printf '%s\n' "$HOOK_SECRET" >"$WORK/hook.secret")
python3 - "$WORK/d.json" "$WORK/cfg.json" "$PORT" "$WORK/jobs.sqlite" "$L" "$WORK/k.pem" "$T_INSTR" "$WORK/hook.secret" <<'PY'
import hashlib, json, sys
out, base, port, store, ledger, key, ti, hook = sys.argv[1:9]
cfg = json.load(open(base))
cfg["daemon"] = {"listen": "127.0.0.1:%s" % port, "store": store,
                 "tokens": [{"name": "dinum-1", "role": "instructor",
                             "sha256": hashlib.sha256(ti.encode()).hexdigest()}],
                 "rate_per_token_min": 0, "rate_per_siren_hour": 0,
                 # the verifier's lines too: the secret scans read them
                 "log_checks": True}
cfg["ledger"] = {"dir": ledger, "key_file": key}
cfg["intake"] = {"datapass": {"secret_file": hook}}
json.dump(cfg, open(out, "w"), indent=2)
PY
wait_done() { # ID: until the job is done or error
	i=0
	while :; do
		req GET "/v1/dossiers/$1" "$T_INSTR"
		case $(jget '["state"]') in done|error) return 0 ;; esac
		i=$((i + 1)); [ $i -gt 300 ] && return 1
		sleep 0.2
	done
}
# submission FILE DOSSIER_ID TOKEN: an api_particulier dossier with the
# token inline
submission() {
	python3 - "$1" "$2" "$3" "${4:-$SIRET_OK}" <<'PY'
import json, sys
f, did, tok, siret = sys.argv[1:5]
json.dump({"dossier_id": did,
           "collectivite": {"siren": siret[:9], "siret": siret, "nom": "Commune de Test",
                            "categorie": "commune", "code_insee": "75056"},
           "paiement": {"titulaire": "Commune de Test", "iban": "FR7630006000011234567890189", "bic": "AGRIFRPP"},
           "integrations": [{"kind": "api", "api": "api_particulier", "environment": "production",
                             "token": tok}]}, open(f, "w"))
PY
}
jwt "$WORK/valid.tok" "Commune de Test" 31536000
jwt "$WORK/staging.tok" "staging development" 31536000 00000000-0000-0000-0000-000000000000
TOK=$(tr -d '\n' <"$WORK/valid.tok")
STAGING=$(tr -d '\n' <"$WORK/staging.tok")
TOKSHA=$(printf '%s' "$TOK" | sha256sum | cut -d' ' -f1)
daemon_start || exit 1

# A live production token: verified, then awarded.
submission "$WORK/ok.json" IT-API-OK "$TOK"
req POST /v1/dossiers "$T_INSTR" "$WORK/ok.json"; expect_code "submit with an inline token: 202" 202
ID=$(jget '["id"]')
wait_done "$ID" || nok "job $ID did not finish"
[ "$(jget '["verdict"]')" = verified ] && ok "verified with the submitted token" || nok "verdict: $(jget '["verdict"]') $(jget '["error"]')"
python3 - "$WORK/resp" <<'PY' && ok "api.token.live and api.token.production pass" || nok "checks: $(head -c 600 "$WORK/resp")"
import json, sys
rep = json.load(open(sys.argv[1]))["report"]
st = {c["id"]: c["status"] for s in rep["integrations"] for c in s["checks"]}
assert st.get("api.token.live") == "pass" and st.get("api.token.production") == "pass", st
PY
req POST /v1/dossiers "$T_INSTR" "$WORK/ok.json"; expect_code "the same submission again: 200" 200
[ "$(jget '["id"]')" = "$ID" ] && ok "same dossier and token, same job" || nok "another job"
# An Idempotency-Key sent again with another token is refused (422) and
# changes nothing; with the same body it is the same job (review finding:
# the second token silently replaced the first in the vault).
submission "$WORK/idem-a.json" IT-API-IDEM "$TOK"
submission "$WORK/idem-b.json" IT-API-IDEM "$STAGING"
req POST /v1/dossiers "$T_INSTR" "$WORK/idem-a.json" -H "Idempotency-Key: idem-1"; expect_code "submit with an Idempotency-Key: 202" 202
IDK=$(jget '["id"]')
req POST /v1/dossiers "$T_INSTR" "$WORK/idem-b.json" -H "Idempotency-Key: idem-1"; expect_code "the same key with another token: 422" 422
grep -q "Idempotency-Key: already used" "$WORK/resp" && ok "the 422 names the key" || nok "422: $(cat "$WORK/resp")"
req POST /v1/dossiers "$T_INSTR" "$WORK/idem-a.json" -H "Idempotency-Key: idem-1"; expect_code "the same key and body again: 200" 200
[ "$(jget '["id"]')" = "$IDK" ] && ok "the same key and body: the same job" || nok "another job: $(cat "$WORK/resp")"
wait_done "$IDK" || nok "job $IDK did not finish"
[ "$(jget '["verdict"]')" = verified ] && ok "the job ran with its own token" || nok "verdict: $(jget '["verdict"]') $(jget '["error"]')"
req POST "/v1/dossiers/$ID/verify" "$T_INSTR"; expect_code "verify: 202" 202
i=0
while :; do
	req GET "/v1/dossiers/$ID" "$T_INSTR"
	[ -n "$(jget '.get("award")')" ] && [ "$(jget '["state"]')" = done ] && break
	i=$((i + 1)); [ $i -gt 300 ] && break
	sleep 0.2
done
[ "$(jget '["award"]["decisions"][0]["outcome"]')" = awarded ] && ok "the api forfait is awarded" || nok "award: $(head -c 600 "$WORK/resp")"
grep -q "\"kind\":\"api\".*\"credential_sha256\":\"[0-9a-f]\{64\}\".*\"requested_by\":\"dinum-1\"" "$L/entries.jsonl" \
	&& ok "the entry signs the credential's fingerprint and who asked" || nok "entry: $(cat "$L/entries.jsonl")"
"$RACCORD" ledger verify "$L" --vkey "$WORK/k.vkey" >"$WORK/lv.out" 2>&1 && ok "the ledger verifies" || nok "ledger verify: $(cat "$WORK/lv.out")"
# In the daemon's memory the token is now at most once: the vault's copy
# for the job IDK, still waiting for its award.  The copies jansson and
# libcurl made and freed are wiped (rc_free_wiped); without that, four
# more copies were found here.
printf '%s' "$TOK" >"$WORK/tok.secret"
if n=$(python3 tests/integration/memscan.py "$DPID" "$WORK/tok.secret" 2>"$WORK/memscan.err"); then
	[ "$n" -le 1 ] && ok "the token is in the daemon's memory at most once ($n: the vault's)" ||
		nok "the token is $n times in the daemon's memory: freed copies are not wiped"
else
	ok "(process memory not readable here, needs root: $(cat "$WORK/memscan.err"))"
fi
rm -f "$WORK/tok.secret"

# A staging token fails, through the same checks as the CLI.
submission "$WORK/staging.json" IT-API-STAGING "$STAGING" "$SIRET_OTHER"
req POST /v1/dossiers "$T_INSTR" "$WORK/staging.json"; expect_code "submit a staging token: 202" 202
SID=$(jget '["id"]')
wait_done "$SID"
[ "$(jget '["verdict"]')" = failed ] && ok "a staging token fails" || nok "staging verdict: $(jget '["verdict"]') $(jget '["error"]')"

# An award refused keeps the credential: a DataPass webhook approving the
# habilitation later re-runs the job, which needs the token again.
award_wait() { # ID: until the job holds an award decision or an error
	i=0
	while :; do
		req GET "/v1/dossiers/$1" "$T_INSTR"
		case $(jget '["state"]') in
		error) return 0 ;;
		done) [ -n "$(jget '.get("award")')" ] && return 0 ;;
		esac
		i=$((i + 1)); [ $i -gt 300 ] && return 1
		sleep 0.2
	done
}
req POST "/v1/dossiers/$SID/verify" "$T_INSTR"; expect_code "verify the staging job: 202" 202
award_wait "$SID"
[ "$(jget '["award"]["decisions"][0]["outcome"]')" = refused ] && ok "the staging token's forfait is refused" || nok "staging award: $(head -c 600 "$WORK/resp")"
n0=$(jget '["attempts"]')
python3 - "$WORK/approve.json" "$SIRET_OTHER" <<'PY'
import json, sys, time
json.dump({"event": "approve", "fired_at": int(time.time()), "model_type": "authorization_request/api_particulier",
           "model_id": 43, "data": {"id": 43, "state": "validated",
                                    "organization": {"id": 8, "name": "Commune de Test", "siret": sys.argv[2]}}},
          open(sys.argv[1], "w"))
PY
sig=$(python3 -c 'import hmac,hashlib,sys; print(hmac.new(sys.argv[1].encode(), open(sys.argv[2],"rb").read(), hashlib.sha256).hexdigest())' "$HOOK_SECRET" "$WORK/approve.json")
CODE=$(curl -s -o "$WORK/resp" -w '%{http_code}' -X POST -H "Content-Type: application/json" \
	-H "X-Hub-Signature-256: sha256=$sig" --data-binary "@$WORK/approve.json" "$BASE/v1/hooks/datapass")
[ "$CODE" = 200 ] && ok "DataPass approves the habilitation: 200" || nok "webhook: $CODE $(cat "$WORK/resp")"
i=0
while :; do
	req GET "/v1/dossiers/$SID" "$T_INSTR"
	[ "$(jget '["attempts"]')" -gt "$n0" ] 2>/dev/null && case $(jget '["state"]') in done|error) break ;; esac
	i=$((i + 1)); [ $i -gt 300 ] && break
	sleep 0.2
done
[ "$(jget '["state"]')" = done ] && [ "$(jget '["attempts"]')" -gt "$n0" ] \
	&& ok "re-run after the refusal with the token still held" \
	|| nok "re-run: attempts $(jget '["attempts"]') state $(jget '["state"]') $(jget '["error"]')"

# Never stored, logged, answered or signed (the log with the verifier's
# lines: daemon.log_checks).
grep -q "func=report_log .* check=api\.token\." "$WORK/daemon.log" && ok "daemon.log_checks: the API checks are in the log scanned below" || nok "no API check line in the log"
leak=
for f in "$WORK"/jobs.sqlite* "$WORK/daemon.log" "$WORK/daemon.out" "$WORK"/bodies/* "$L/entries.jsonl"; do
	grep -qF "$TOK" "$f" && leak="$leak $f"
	grep -qF "$STAGING" "$f" && leak="$leak $f"
done
for f in "$L"/evidence/*.json; do grep -qF "$TOK" "$f" && leak="$leak $f"; done
[ -z "$leak" ] && ok "the tokens are in no file the daemon wrote nor in any answer" || nok "a token leaked into:$leak"
sqlite3 "$WORK/jobs.sqlite" "select dossier from jobs where id='$ID'" 2>/dev/null | grep -q "\"credential_sha256\":\"$TOKSHA\"" \
	&& ok "the store keeps the token's SHA-256 only" || ok "(sqlite3 CLI absent: fingerprint not inspected)"

# After a restart the token is gone: a job that needs it again ends in
# error, asking for a new submission (nothing checked without it).
submission "$WORK/later.json" IT-API-LATER "$TOK"
req POST /v1/dossiers "$T_INSTR" "$WORK/later.json"; expect_code "submit: 202" 202
LID=$(jget '["id"]')
wait_done "$LID"
kill -TERM "$DPID"; wait "$DPID"; DPID=
daemon_start || exit 1
req POST "/v1/dossiers/$LID/verify" "$T_INSTR"; expect_code "verify after a restart: 202" 202
i=0
while :; do
	req GET "/v1/dossiers/$LID" "$T_INSTR"
	[ "$(jget '["state"]')" = error ] && break
	i=$((i + 1)); [ $i -gt 300 ] && break
	sleep 0.2
done
[ "$(jget '["state"]')" = error ] && ok "the job ends in error without its token" || nok "state: $(jget '["state"]')"
jget '["error"]' | grep -q "integrations\[0\]: the credential given with the submission is no longer held" \
	&& ok "the error says to submit again" || nok "error: $(jget '["error"]')"
[ "$(grep -c '"op":"award"' "$L/entries.jsonl")" = 1 ] && ok "nothing awarded without the token" || nok "entries: $(cat "$L/entries.jsonl")"
# Sending it again gives the same job its token back; asking again runs it.
req POST /v1/dossiers "$T_INSTR" "$WORK/later.json"; expect_code "the same submission again: 200" 200
[ "$(jget '["id"]')" = "$LID" ] && ok "the same job" || nok "another job"
req POST "/v1/dossiers/$LID/verify" "$T_INSTR"; expect_code "verify again: 202" 202
i=0
while :; do
	req GET "/v1/dossiers/$LID" "$T_INSTR"
	[ "$(jget '["state"]')" = done ] && [ -n "$(jget '.get("award")')" ] && break
	i=$((i + 1)); [ $i -gt 300 ] && break
	sleep 0.2
done
[ "$(jget '["state"]')" = done ] && [ "$(jget '["verdict"]')" = verified ] && ok "with its token back the job runs and verifies" || nok "after resubmission: $(jget '["state"]') $(jget '["error"]')"

# Still refused: names of server files or variables, and a fingerprint
# given by the client.
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); i=d["integrations"][0]; del i["token"]; i["token_file"]="t"; json.dump(d, open(sys.argv[2], "w"))' "$WORK/ok.json" "$WORK/tf.json"
req POST /v1/dossiers "$T_INSTR" "$WORK/tf.json"; expect_code "token_file: 400" 400
grep -q "integrations\[0\].token_file" "$WORK/resp" && ok "token_file named" || nok "$(cat "$WORK/resp")"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); i=d["integrations"][0]; i["credential_sha256"]="0"*64; json.dump(d, open(sys.argv[2], "w"))' "$WORK/ok.json" "$WORK/cs.json"
req POST /v1/dossiers "$T_INSTR" "$WORK/cs.json"; expect_code "credential_sha256 from the client: 400" 400
# An API integration submitted without a credential is verified on its
# DataPass habilitation alone (api.token.live skip); policy.require_api_token
# (true by default) refuses its forfait, "token_not_shown", and nothing
# enters the ledger.
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["dossier_id"]="IT-API-NOTOKEN"; del d["integrations"][0]["token"]; json.dump(d, open(sys.argv[2], "w"))' "$WORK/ok.json" "$WORK/notoken.json"
req POST /v1/dossiers "$T_INSTR" "$WORK/notoken.json"; expect_code "an API integration without a credential: 202" 202
NID=$(jget '["id"]')
wait_done "$NID"
[ "$(jget '["verdict"]')" = verified ] && ok "verified on the habilitation alone" || nok "no-token verdict: $(jget '["verdict"]') $(jget '["error"]')"
n0=$(grep -c '"op":"award"' "$L/entries.jsonl")
req POST "/v1/dossiers/$NID/verify" "$T_INSTR"; expect_code "verify the tokenless job: 202" 202
award_wait "$NID"
[ "$(jget '["award"]["decisions"][0]["payable"]')" = token_not_shown ] && [ "$(jget '["award"]["decisions"][0]["outcome"]')" = refused ] &&
	ok "policy.require_api_token: refused, token_not_shown" || nok "require_api_token: $(head -c 600 "$WORK/resp")"
[ "$(grep -c '"op":"award"' "$L/entries.jsonl")" = "$n0" ] && ok "nothing awarded without a live credential" || nok "entries: $(tail -1 "$L/entries.jsonl")"
kill -TERM "$DPID"; wait "$DPID"; rc=$?; DPID=
[ $rc = 0 ] && ok "SIGTERM: exit 0" || nok "SIGTERM: exit $rc"
if grep -q "Sanitizer\|runtime error" "$WORK/daemon.log"; then
	nok "sanitizer report:"; grep -m5 "Sanitizer\|runtime error" "$WORK/daemon.log"
fi
finish t_daemon_api
