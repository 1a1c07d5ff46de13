#!/bin/sh
# raccord serve's démarches-simplifiées poller (docs/intake.md) against
# the DS stand-in (tests/dssim/server.mjs, graphql-js over DS's schema,
# HTTPS with the test CA) and raccord-sim's portals, loopback only:
# DS down (503, then 429 with Retry-After honoured) queues nothing and
# fails nothing; then every dossier over three pages is mapped, the
# mapped ones queued as jobs and checked, each verdict written back
# (failed rules in French, the report's permalink), the unmapped ones
# given their reason; later polls ask updatedSince and queue nothing
# again; an instructor's verify puts the award and its receipt in the
# annotation; a dossier changed after its check is checked again; a
# write-back refused by DS stays pending and is done later, the job
# never failed; auto_instruction off then on; /metrics per connector;
# the DS token in no log.  A DS dossier naming an API waits for its token
# (awaiting_credential, the annotation says where): given on the
# self-check page's form (a staging token: failed) then by the vendor
# route (the live one: verified, then awarded); refusals (404, 400, 409)
# change nothing; the tokens in no log, store, annotation nor ledger.
set -u
. tests/integration/lib.sh
. tests/integration/lib_daemon.sh
sim_start || exit 1
api_config "$WORK/cfg.json" 8000
IT_DP_ID=raccord-it
IT_DP_SECRET=sim-datapass-secret-7c41d09e
RACCORD_DS_TOKEN=it-ds-token-9d2c41e7aa
export IT_DP_ID IT_DP_SECRET RACCORD_DS_TOKEN
T_INSTR=it-instructor-token-3a9e1c
if [ ! -d tests/dssim/node_modules/graphql ]; then
	echo "FAIL tests/dssim/node_modules/graphql is missing: npm ci --prefix tests/dssim"
	echo "t_intake_ds_daemon: 0 passed, 1 failed"; exit 1
fi
DSPID=

ds_start() {
	rm -f "$WORK/ds.port"
	node tests/dssim/server.mjs --port-file "$WORK/ds.port" --cert "$CERTS/server.pem" \
		--key "$CERTS/server.key" --token "$RACCORD_DS_TOKEN" \
		--rewrite "https://mairie.example.fr=https://portal.test:$PORTAL_PORT/ok" "$@" \
		>"$WORK/ds.out" 2>&1 &
	DSPID=$!
	i=0
	until [ -s "$WORK/ds.port" ]; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 "$DSPID" 2>/dev/null; then
			echo "the DS stand-in did not start:"; cat "$WORK/ds.out"; return 1
		fi
		sleep 0.1
	done
	DS_PORT=$(cat "$WORK/ds.port")
}
# daemon_cfg AUTO_INSTRUCTION(true|false) [PER_ADDRESS_HOUR PER_NUMBER_HOUR]
# (the credential limits; absent: the defaults, 20 and 6)
daemon_cfg() {
	python3 - "$WORK/cfg.json" "$WORK/d.json" "$DS_PORT" "$PORT" "$WORK/jobs.sqlite" "$L" "$T_INSTR" "$1" "$LEDGER_KEY" "${2:-}" "${3:-}" <<'PY'
import hashlib, json, sys
base, out, dsport, port, store, ledger, ti, auto, key, per_addr, per_num = sys.argv[1:12]
cfg = json.load(open(base))
cfg["daemon"] = {"listen": "127.0.0.1:%s" % port, "store": store,
                 "public_url": "https://raccord.example.fr/",
                 "selfcheck": {"enabled": True},
                 # the verifier's lines too: the token scans below read them
                 "log_checks": True,
                 "tokens": [{"name": "dinum-1", "role": "instructor",
                             "sha256": hashlib.sha256(ti.encode()).hexdigest()}]}
cfg["ledger"] = {"dir": ledger, "key_file": key}
cfg["intake"] = {"ds": {
  "graphql_url": "https://localhost:%s/api/v2/graphql" % dsport,
  "demarche": 4242, "instructeur_id": "SW5zdHJ1Y3RldXItMQ==",
  "annotation": "Vérification raccord", "poll_interval_s": 1,
  "auto_instruction": auto == "true",
  "mapping": {"kind": "Type d'intégration",
              "client_id": "Identifiant client FranceConnect (client_id)",
              "login_url": "Adresse de connexion",
              "redirect_uri": "URL de retour (redirect_uri)",
              "environment": "Environnement", "iban": "IBAN", "bic": "BIC"}}}
if per_addr:
    cfg["intake"]["ds"]["credential_per_address_hour"] = int(per_addr)
if per_num:
    cfg["intake"]["ds"]["credential_per_number_hour"] = int(per_num)
json.dump(cfg, open(out, "w"), indent=2)
PY
}
trap '[ -n "$DSPID" ] && kill "$DSPID" 2>/dev/null; daemon_cleanup' EXIT INT TERM

ctl() { curl -s --cacert "$CERTS/ca.pem" -X POST --data "$1" "https://localhost:$DS_PORT/_ctl" >/dev/null; }
state() { curl -s --cacert "$CERTS/ca.pem" "https://localhost:$DS_PORT/_state" >"$WORK/state.json"; }
writes() { state; python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["writes"]))' "$WORK/state.json"; }
text_of() { state; python3 -c 'import json,sys; w=[x for x in json.load(open(sys.argv[1]))["writes"] if x["dossierId"]==sys.argv[2]]; print(w[-1]["text"] if w else "")' "$WORK/state.json" "$1"; }
# (req runs in this shell, never in $(...): lib_daemon.sh numbers the
# answers it keeps for the OpenAPI check)
jobs_count() { req GET "/v1/dossiers?limit=100" "$T_INSTR"; NJOBS=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["jobs"]))' "$WORK/resp"); }
metrics_get() { req GET /metrics "$T_INSTR"; cp "$WORK/resp" "$WORK/metrics"; }
metric() { sed -n "s/^raccord_intake_ds_total{what=\"$1\"} //p" "$WORK/metrics"; }
# wait_for SECONDS COMMAND...: until the command succeeds
wait_for() {
	end=$(($(date +%s) + $1)); shift
	until "$@"; do
		[ "$(date +%s)" -ge "$end" ] && return 1; sleep 0.2
	done
}
writes_at_least() { [ "$(writes)" -ge "$1" ]; }
text_has() { case "$(text_of "$1")" in *"$2"*) return 0 ;; esac; return 1; }

ledger_keys it.example/raccord/v1 || exit 1

# --- DS down: 503 without Retry-After, then 429 with Retry-After: 3.
ds_start --page 3 || exit 1
ctl '{"down": 503, "retryAfter": 0}'
daemon_cfg false
daemon_start || exit 1
wait_for 10 grep -q "intake=ds DS .*HTTP 503, DS is unavailable.*next poll in" "$WORK/daemon.log" \
	&& ok "DS down (503): the poll stops, the log says so and when it retries" || nok "503: $(tail -3 "$WORK/daemon.log")"
ctl '{"down": 429, "retryAfter": 3}'
sleep 8
state
python3 - "$WORK/state.json" <<'PY' && ok "429 with Retry-After: 3 s: polls at least 3 s apart" || nok "Retry-After not honoured: $(head -c 600 "$WORK/state.json")"
import json, sys
t = [q["t"] for q in json.load(open(sys.argv[1]))["queries"] if q.get("refused") == 429]
assert len(t) >= 2, t
gaps = [b - a for a, b in zip(t, t[1:])]
assert all(g >= 2900 for g in gaps), gaps
PY
jobs_count
[ "$NJOBS" = 0 ] && [ "$(writes)" = 0 ] && ok "DS down: nothing queued, nothing written, nothing failed" || nok "DS down: $NJOBS jobs, $(writes) writes"
metrics_get
[ "$(metric unavailable)" -ge 2 ] 2>/dev/null && ok "metrics: DS unavailable counted" || nok "unavailable=$(metric unavailable)"

# --- DS back: every dossier, three pages, mapped ones checked, all annotated.
ctl '{"down": null}'
wait_for 30 writes_at_least 7 && ok "DS back: 7 dossiers annotated" || nok "$(writes) writes: $(tail -5 "$WORK/daemon.log")"
state
python3 - "$WORK/state.json" <<'PY' && ok "the first pass paged: 3 pages, each asked with the previous endCursor" || nok "paging: $(head -c 600 "$WORK/state.json")"
import json, sys
q = [x["variables"] for x in json.load(open(sys.argv[1]))["queries"] if "demarche" in x.get("variables", {})]
assert len(q) >= 3, q
assert q[0].get("after") is None and q[1]["after"] and q[2]["after"] and q[1]["after"] != q[2]["after"], q
PY
jobs_count
[ "$NJOBS" = 3 ] && ok "three mapped dossiers: two queued, one (an API) waiting for its token" || nok "$NJOBS jobs"
J101=$(python3 -c 'import json,sys; print([j["id"] for j in json.load(open(sys.argv[1]))["jobs"] if j["dossier_id"]=="DS-4242-101"][0])' "$WORK/resp")
t=$(text_of RG9zc2llci0101)
case "$t" in "raccord : vérification vérifiée."*"Rapport : https://raccord.example.fr/v1/dossiers/$J101"*) ok "DS 101: verified, with the report's permalink" ;; *) nok "DS 101: '$t'" ;; esac
t=$(text_of RG9zc2llci0102)
case "$t" in *"non vérifiable"*"champ \"Adresse de connexion\" (login_url) is empty"*) ok "DS 102 (unmapped): its reason in the annotation" ;; *) nok "DS 102: '$t'" ;; esac
grep -q "intake=ds dossier=102 refused: DS dossier 102: champ \"Adresse de connexion\"" "$WORK/daemon.log" \
	&& ok "DS 102: its reason in the log" || nok "no refusal logged"
J104=$(python3 -c 'import json,sys; print([j["id"] for j in json.load(open(sys.argv[1]))["jobs"] if j["dossier_id"]=="DS-4242-104"][0])' "$WORK/resp")
t=$(text_of RG9zc2llci0104)
case "$t" in *"en attente du jeton: déposez-le sur https://raccord.example.fr/#jeton-ds avec le numéro de dossier 104"*"POST https://raccord.example.fr/v1/intake/ds/104/credential"*) ok "DS 104 (API kind): the annotation says where to give the token" ;; *) nok "DS 104: '$t'" ;; esac
req GET "/v1/dossiers/$J104" "$T_INSTR"
[ "$(jget '["state"]')" = awaiting_credential ] && ok "DS 104's job: state awaiting_credential" || nok "DS 104's job: $(head -c 300 "$WORK/resp")"
req POST "/v1/dossiers/$J104/verify" "$T_INSTR"; expect_code "verify a job waiting for its API token: 409" 409
kill -0 "$DPID" 2>/dev/null && ok "unmapped dossiers: the daemon still runs" || nok "the daemon died"
state
python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["instructions"] == []' "$WORK/state.json" \
	&& ok "auto_instruction off: no dossier passed into instruction" || nok "instructions: $(cat "$WORK/state.json" | head -c 300)"

# --- Later polls: updatedSince kept, nothing queued or written again.
sleep 3
state
python3 - "$WORK/state.json" <<'PY' && ok "later polls ask updatedSince (the last dateDerniereModification)" || nok "updatedSince: $(head -c 400 "$WORK/state.json")"
import json, sys
q = [x["variables"] for x in json.load(open(sys.argv[1]))["queries"] if "demarche" in x.get("variables", {})]
assert q[-1].get("updatedSince") == "2026-11-30T10:15:32+01:00", q[-1]
PY
metrics_get
[ "$(metric seen)" = 7 ] && [ "$(metric mapped)" = 3 ] && [ "$(metric refused)" = 4 ] \
	&& ok "metrics count dossiers, not reads: seen 7, mapped 3, refused 4 after several polls" \
	|| nok "metrics per read: seen=$(metric seen) mapped=$(metric mapped) refused=$(metric refused)"
jobs_count
[ "$NJOBS" = 3 ] && [ "$(writes)" = 7 ] && ok "unchanged dossiers: not queued again, no second annotation" || nok "$NJOBS jobs, $(writes) writes"

# --- Touched in DS without a change that matters: not queued again.
ctl '{"touch": {"number": 101, "label": "Environnement", "value": "Production"}}'
sleep 3
jobs_count
[ "$NJOBS" = 3 ] && [ "$(writes)" = 7 ] && ok "a dossier modified in DS with the same content: not queued again" || nok "same content: $NJOBS jobs, $(writes) writes"

# --- The instructor verifies: the award and its receipt in the annotation.
req POST "/v1/dossiers/$J101/verify" "$T_INSTR"
[ "$CODE" = 202 ] && ok "verify DS 101's job: 202" || nok "verify: $CODE $(cat "$WORK/resp")"
wait_for 30 text_has RG9zc2llci0101 "Attribution" && ok "after verify, the annotation is written again with the award" || nok "DS 101 after verify: '$(text_of RG9zc2llci0101)'"
t=$(text_of RG9zc2llci0101)
case "$t" in *"accordée"*"registre n° "*"Reçu : https://raccord.example.fr/v1/ledger/proof/"*"Empreinte des preuves (SHA-256) : "*) ok "the award, its ledger entry and receipt in the annotation" ;; *) nok "award text: '$t'" ;; esac
[ "$(writes)" = 8 ] && ok "the annotation overwritten, not a second one" || nok "$(writes) writes"
state
python3 -c 'import json,sys; w=json.load(open(sys.argv[1]))["writes"]; assert len({x["annotationId"] for x in w if x["dossierId"]=="RG9zc2llci0101"}) == 1' "$WORK/state.json" \
	&& ok "the same annotation champ each time" || nok "annotation ids"

# --- A dossier changed after its check: checked again.
ctl "{\"touch\": {\"number\": 101, \"label\": \"Adresse de connexion\", \"value\": \"https://portal.test:$PORTAL_PORT/no_nonce/auth/franceconnect\"}}"
wait_for 30 text_has RG9zc2llci0101 "échouée" && ok "DS 101 changed: checked again" || nok "changed DS 101: '$(text_of RG9zc2llci0101)'"
t=$(text_of RG9zc2llci0101)
case "$t" in *"Règles non respectées"*"(fc."*"À corriger : "*) ok "its failed rules in plain French, with the fix" ;; *) nok "rules: '$t'" ;; esac
jobs_count
[ "$NJOBS" = 4 ] && ok "another job for the changed content" || nok "$NJOBS jobs"

# --- DS refuses the write-back: pending, the job done, written later.
ctl '{"downMutations": true}'
ctl "{\"touch\": {\"number\": 107, \"label\": \"Adresse de connexion\", \"value\": \"https://portal.test:$PORTAL_PORT/no_nonce/auth/franceconnect\"}}"
wait_for 30 grep -q "intake=ds dossier=107 job=.* write-back pending" "$WORK/daemon.log" \
	&& ok "write-back refused by DS: pending, logged" || nok "no pending write-back: $(tail -3 "$WORK/daemon.log")"
req GET "/v1/dossiers?limit=100" "$T_INSTR"
python3 -c 'import json,sys; j=[x for x in json.load(open(sys.argv[1]))["jobs"] if x["dossier_id"]=="DS-4242-107"]; assert j[-1]["state"]=="done", j' "$WORK/resp" \
	&& ok "DS down for the write-back: the job is done, not failed" || nok "job 107: $(cat "$WORK/resp")"
ctl '{"downMutations": false}'
wait_for 30 text_has RG9zc2llci0107 "échouée" && ok "DS back: the pending annotation written" || nok "DS 107: '$(text_of RG9zc2llci0107)'"
m() { metric "$1"; }
# The simulator records the write before it answers; the daemon counts it
# once the answer is back: wait for the count (still exactly 10 below).
written10() { metrics_get; [ "$(m annotations_written)" -ge 10 ] 2>/dev/null; }
wait_for 10 written10
[ "$(m seen)" -ge 7 ] && [ "$(m mapped)" -ge 3 ] && [ "$(m refused)" -ge 4 ] && [ "$(m queued)" = 4 ] \
	&& [ "$(m annotations_written)" = 10 ] && [ "$(m errors)" -ge 1 ] && [ "$(m instructed)" = 0 ] \
	&& ok "metrics: seen, mapped, refused, queued 4, annotations written 10, errors" || nok "metrics: $(grep raccord_intake_ds "$WORK/metrics")"
[ "$(m awaiting_credential)" = 1 ] && ok "metrics: one dossier waiting for its token" || nok "awaiting=$(m awaiting_credential)"
# --- DS 104 changed in DS while it waits for its token: a newer waiting
# job, the old one closed (superseded, naming the newer), never checked.
ctl '{"touch": {"number": 104, "label": "IBAN", "value": "FR14 2004 1010 0505 0001 3M02 606"}}'
jobs104() {
	req GET "/v1/dossiers?limit=100" "$T_INSTR"
	python3 -c 'import json,sys; j=[x["id"] for x in json.load(open(sys.argv[1]))["jobs"] if x["dossier_id"]=="DS-4242-104"]; assert len(j)==2, j; print(j[-1])' "$WORK/resp" >"$WORK/j104" 2>/dev/null
}
wait_for 30 jobs104 && ok "DS 104 changed while waiting: a newer job" || nok "DS 104 changed: $(cat "$WORK/resp" | head -c 400)"
J104NEW=$(cat "$WORK/j104")
req GET "/v1/dossiers/$J104NEW" "$T_INSTR"
[ "$(jget '["state"]')" = awaiting_credential ] && ok "the newer job waits for the token" || nok "newer 104: $(head -c 300 "$WORK/resp")"
req GET "/v1/dossiers/$J104" "$T_INSTR"
[ "$(jget '["state"]')" = superseded ] && case "$(jget '["error"]')" in "superseded by job $J104NEW: DS dossier 104 changed"*) true ;; *) false ;; esac \
	&& ok "the old job: superseded, its error names the newer job" || nok "old 104: $(head -c 400 "$WORK/resp")"
req POST "/v1/dossiers/$J104/verify" "$T_INSTR"; expect_code "verify a superseded job: 409" 409
req GET "/v1/dossiers?state=superseded" "$T_INSTR"
[ "$(jget '["jobs"][0]["id"]')" = "$J104" ] && ok "GET /v1/dossiers?state=superseded lists it" || nok "state=superseded: $(head -c 300 "$WORK/resp")"
J104OLD=$J104 J104=$J104NEW
# --- DS 104's token (docs/intake.md, "Credentials"): given by a vendor
# with POST /v1/intake/ds/{number}/credential (a public route), checked
# against the dossier's SIRET, annotated, awarded on an instructor's verify;
# before it, a token given on the self-check page's form.
jwt "$WORK/valid.tok" "Commune de Test" 31536000
TOK=$(tr -d '\n' <"$WORK/valid.tok")
python3 -c 'import json,sys; json.dump({"token": sys.argv[2]}, open(sys.argv[1], "w"))' "$WORK/tok.json" "$TOK"
req POST /v1/intake/ds/999/credential "" "$WORK/tok.json"; expect_code "a token for an unknown DS number: 404" 404
printf '{"token": "deux mots"}' >"$WORK/badtok.json"
req POST /v1/intake/ds/104/credential "" "$WORK/badtok.json"; expect_code "a malformed token: 400" 400
printf '{"token": "x", "siret": "21750001600019"}' >"$WORK/badkey.json"
req POST /v1/intake/ds/104/credential "" "$WORK/badkey.json"; expect_code "an unknown key beside the token: 400" 400
req POST /v1/intake/ds/10x4/credential "" "$WORK/tok.json"; expect_code "a number that is not one: 404" 404
req GET /v1/intake/ds/104/credential ""; expect_code "GET: 405" 405
req POST /v1/intake/ds/102/credential "" "$WORK/tok.json"; expect_code "a DS dossier that does not map: 409" 409
req GET "/v1/dossiers/$J104" "$T_INSTR"
[ "$(jget '["state"]')" = awaiting_credential ] && ok "refused tokens changed nothing: still awaiting_credential" || nok "DS 104's job: $(head -c 300 "$WORK/resp")"
# The self-check page's form first (the page is on): a staging token, so
# the check fails; then the vendor's route with the live token replaces it.
curl -s "$BASE/" >"$WORK/page.html"
python3 - "$WORK/page.html" <<'PY' && ok "GET /: the DS token section (labelled fields, CSRF)" || nok "no DS token section: $(grep -c jeton "$WORK/page.html")"
import re, sys
h = open(sys.argv[1], encoding="utf-8").read()
s = h[h.index('id="jeton-ds"'):]
assert 'action="/jeton-ds"' in s and 'name="csrf" value="' in s, s[:300]
for i in ("ds_number", "ds_token", "ds_client_id", "ds_client_secret"):
    assert re.search(r'<label class="fr-label" for="%s">' % i, s) and ('id="%s"' % i) in s, i
assert 'type="password"' in s
assert 'name="client_id"' in s and 'name="client_secret"' in s, "DGFiP fields"
PY
CSRF=$(sed -n '/id="jeton-ds"/,$p' "$WORK/page.html" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1)
jwt "$WORK/staging.tok" "staging development" 31536000 00000000-0000-0000-0000-000000000000
STAGING=$(tr -d '\n' <"$WORK/staging.tok")
form_post() { # NUMBER TOKEN CSRF
	curl -s -o "$WORK/form.html" -w '%{http_code}' --data-urlencode "ds_number=$1" \
		--data-urlencode "token=$2" --data-urlencode "csrf=$3" "$BASE/jeton-ds"
}
c=$(form_post 104 "$STAGING" "forged")
[ "$c" = 403 ] && grep -q 'data-testid="csrf-refused"' "$WORK/form.html" && ok "the form without its CSRF token: 403" || nok "forged CSRF: $c"
c=$(form_post "cent quatre" "$STAGING" "$CSRF")
[ "$c" = 400 ] && grep -q "Numéro de dossier invalide" "$WORK/form.html" && ok "the form with a number that is not one: 400, in French" || nok "bad number: $c"
c=$(form_post 104 "$STAGING" "$CSRF")
[ "$c" = 202 ] && grep -q 'data-testid="ds-token-accepted"' "$WORK/form.html" && ok "DS 104's token by the self-check form: accepted" || nok "form: $c $(head -c 300 "$WORK/form.html")"
wait_for 30 text_has RG9zc2llci0104 "vérification échouée" && ok "the form's (staging) token checked: failed, annotated" || nok "DS 104 after the form: '$(text_of RG9zc2llci0104)'"
req POST /v1/intake/ds/104/credential "" "$WORK/tok.json"; expect_code "DS 104's token by the API route: 202 (it replaces the failed one)" 202
[ "$(jget '["id"]')" = "$J104" ] && [ "$(jget '["state"]')" = queued ] && ok "the answer names DS 104's job, queued" || nok "answer: $(cat "$WORK/resp")"
wait_for 30 text_has RG9zc2llci0104 "vérification vérifiée" && ok "DS 104 checked with its token: verified, annotated" || nok "DS 104: '$(text_of RG9zc2llci0104)' $(tail -3 "$WORK/daemon.log")"
req GET "/v1/dossiers/$J104" "$T_INSTR"
python3 - "$WORK/resp" <<'PY' && ok "DS 104's job done and verified; api.token.live passed" || nok "DS 104's job: $(head -c 600 "$WORK/resp")"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["state"] == "done" and j["verdict"] == "verified", j["state"]
st = {c["id"]: c["status"] for s in j["report"]["integrations"] for c in s["checks"]}
assert st.get("api.token.live") == "pass", st
PY
req POST "/v1/dossiers/$J104/verify" "$T_INSTR"; expect_code "the instructor verifies DS 104: 202" 202
wait_for 30 text_has RG9zc2llci0104 "Attribution (api) : accordée" && ok "DS 104 awarded, the award in its annotation" || nok "DS 104 after verify: '$(text_of RG9zc2llci0104)'"
req POST /v1/intake/ds/104/credential "" "$WORK/tok.json"; expect_code "a new token for an awarded DS dossier: 409" 409
req GET "/v1/dossiers/$J104OLD" "$T_INSTR"
[ "$(jget '["state"]')" = superseded ] && ok "the superseded job took no token and stays closed" || nok "old 104 after the tokens: $(head -c 300 "$WORK/resp")"
# A DS number's budget (six an hour) is used only by credentials its
# dossier takes (two so far for 104): the refusals above and these four
# do not lock its owner out.
for k in 1 2 3 4; do
	req POST /v1/intake/ds/104/credential "" "$WORK/tok.json"
	[ "$CODE" = 409 ] || nok "refusal $k for the awarded DS 104: HTTP $CODE (want 409, never 429)"
done
ok "refused requests use no DS number's budget: four more for DS 104, each 409"
# --- A DGFiP API (docs/intake.md, "Credentials"): DS 101 now names API
# Impôt particulier; it waits for its client id and secret (the DGFiP
# model of POST /v1/dossiers: the id stored, the secret in the vault).
DG_ID=dgfip-valid DG_SECRET=sim-dgfip-secret-5be2
ctl '{"touch": {"number": 101, "label": "Type d'"'"'intégration", "value": "API Impôt particulier"}}'
wait_for 30 text_has RG9zc2llci0101 "en attente des identifiants DGFiP (client_id et client_secret): déposez-les sur https://raccord.example.fr/#jeton-ds avec le numéro de dossier 101" \
	&& ok "DS 101 (DGFiP API): the annotation asks for the client id and secret" || nok "DS 101 DGFiP: '$(text_of RG9zc2llci0101)'"
req GET "/v1/dossiers?limit=100" "$T_INSTR"
J101D=$(python3 -c 'import json,sys; print([j["id"] for j in json.load(open(sys.argv[1]))["jobs"] if j["dossier_id"]=="DS-4242-101"][-1])' "$WORK/resp")
req GET "/v1/dossiers/$J101D" "$T_INSTR"
[ "$(jget '["state"]')" = awaiting_credential ] && ok "DS 101's DGFiP job: awaiting_credential" || nok "DS 101's job: $(head -c 300 "$WORK/resp")"
req POST /v1/intake/ds/101/credential "" "$WORK/tok.json"
[ "$CODE" = 400 ] && grep -q "a DGFiP API: give its OAuth client credentials, client_id and client_secret" "$WORK/resp" \
	&& ok "a token for a DGFiP dossier: 400, asking for client_id and client_secret" || nok "token for DGFiP: $CODE $(cat "$WORK/resp")"
# (six credentials an hour per DS number: the form below tries a client
# id without its secret)
printf '{"client_id": "dgfip valid", "client_secret": "%s"}' "$DG_SECRET" >"$WORK/dg2.json"
req POST /v1/intake/ds/101/credential "" "$WORK/dg2.json"
[ "$CODE" = 400 ] && grep -q "client_id: 1 to 256 printable" "$WORK/resp" && ok "a client_id with a blank: 400 naming client_id" || nok "bad client_id: $CODE $(cat "$WORK/resp")"
printf '{"client_id": "%s", "client_secret": 7}' "$DG_ID" >"$WORK/dg3.json"
req POST /v1/intake/ds/101/credential "" "$WORK/dg3.json"; expect_code "client_secret not a string: 400" 400
req GET "/v1/dossiers/$J101D" "$T_INSTR"
[ "$(jget '["state"]')" = awaiting_credential ] && ok "refused DGFiP credentials changed nothing" || nok "DS 101's job: $(head -c 300 "$WORK/resp")"
# The self-check form's DGFiP fields first (a wrong secret: the check
# fails), then the vendor's route with the right one, replacing it.
form_dg() { # NUMBER CLIENT_ID SECRET
	curl -s -o "$WORK/form.html" -w '%{http_code}' --data-urlencode "ds_number=$1" \
		--data-urlencode "token=" --data-urlencode "client_id=$2" \
		--data-urlencode "client_secret=$3" --data-urlencode "csrf=$CSRF" "$BASE/jeton-ds"
}
c=$(form_dg 101 "$DG_ID" "")
[ "$c" = 400 ] && grep -q "identifiant client et son secret client" "$WORK/form.html" && ok "the form with a DGFiP client id and no secret: 400, in French" || nok "form DGFiP no secret: $c"
c=$(form_dg 101 "$DG_ID" "wrong-secret-5be2")
[ "$c" = 202 ] && grep -q 'data-testid="ds-token-accepted"' "$WORK/form.html" && ok "DS 101's DGFiP credentials by the self-check form: accepted" || nok "form DGFiP: $c $(head -c 300 "$WORK/form.html")"
wait_for 30 text_has RG9zc2llci0101 "vérification échouée" && ok "the form's (wrong) DGFiP secret checked: failed, annotated" || nok "DS 101 after the form: '$(text_of RG9zc2llci0101)'"
printf '{"client_id": "%s", "client_secret": "%s"}' "$DG_ID" "$DG_SECRET" >"$WORK/dg.json"
req POST /v1/intake/ds/101/credential "" "$WORK/dg.json"; expect_code "DS 101's DGFiP client id and secret by the route: 202 (replacing the failed one)" 202
[ "$(jget '["id"]')" = "$J101D" ] && ok "the answer names DS 101's newest job" || nok "answer: $(cat "$WORK/resp")"
wait_for 30 text_has RG9zc2llci0101 "vérification vérifiée" && ok "DS 101 checked with its DGFiP credentials: verified, annotated" || nok "DS 101: '$(text_of RG9zc2llci0101)' $(tail -3 "$WORK/daemon.log")"
req GET "/v1/dossiers/$J101D" "$T_INSTR"
python3 - "$WORK/resp" <<'PY' && ok "DS 101's DGFiP job done and verified; api.token.live passed (client credentials)" || nok "DS 101's job: $(head -c 600 "$WORK/resp")"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["state"] == "done" and j["verdict"] == "verified", j["state"]
st = {c["id"]: c["status"] for s in j["report"]["integrations"] for c in s["checks"]}
assert st.get("api.token.live") == "pass", st
PY
state
grep -q "func=report_log .* check=api\.token\." "$WORK/daemon.log" && ok "daemon.log_checks: the API checks are in the log scanned below" || nok "no API check line in the log"
: >"$WORK/leaks"
for f in "$WORK/daemon.log" "$WORK/daemon.out" "$WORK"/jobs.sqlite* "$WORK/state.json" "$WORK/ds.out" "$L"/*.jsonl "$L"/evidence/*; do
	[ -f "$f" ] && { grep -q -F "$TOK" "$f" || grep -q -F "$STAGING" "$f" || grep -q -F "$DG_SECRET" "$f"; } && echo "$f" >>"$WORK/leaks"
done
[ ! -s "$WORK/leaks" ] && ok "DS 104's token and DS 101's DGFiP secret in no log, store, annotation nor ledger" || nok "a secret leaked into: $(cat "$WORK/leaks")"
DGSHA=$(printf '%s' "$DG_SECRET" | sha256sum | cut -d' ' -f1)
grep -q "$DGSHA" "$WORK"/jobs.sqlite* && ok "the store keeps the DGFiP secret's SHA-256 only" || nok "no credential_sha256 of the DGFiP secret in the store"
# DS 101 back to FranceConnect (its login still without nonce): checked
# again, failed, for the auto_instruction part below.
ctl '{"touch": {"number": 101, "label": "Type d'"'"'intégration", "value": "FranceConnect"}}'
wait_for 30 text_has RG9zc2llci0101 "échouée" && ok "DS 101 back to FranceConnect: checked again" || nok "DS 101 back: '$(text_of RG9zc2llci0101)'"
TOKSHA=$(printf '%s' "$TOK" | sha256sum | cut -d' ' -f1)
grep -q "$TOKSHA" "$WORK"/jobs.sqlite* && ok "the store keeps the token's SHA-256 only" || nok "no credential_sha256 in the store"
daemon_stop || nok "the daemon did not stop cleanly"

# --- The credential limits are directives (intake.ds.credential_per_*_hour):
# 0 is refused at start; 4 per address and 2 per DS number after a restart.
daemon_cfg true 0 2
"$RACCORD" config dump --config "$WORK/d.json" >/dev/null 2>"$WORK/lim.err" \
	&& nok "credential_per_address_hour 0 accepted" \
	|| { grep -q "intake.ds.credential_per_address_hour" "$WORK/lim.err" && ok "credential_per_address_hour 0: refused, the directive named" || nok "limit 0: $(cat "$WORK/lim.err")"; }
# --- auto_instruction on (the same store, reopened): passed into instruction.
daemon_cfg true 4 2
daemon_start || exit 1
for k in 1 2 3; do
	req POST /v1/intake/ds/104/credential "" "$WORK/tok.json"
	[ "$CODE" = 409 ] || nok "limits 4/2: refusal $k for DS 104 (awarded): HTTP $CODE"
done
ok "limits 4/2: three refusals for DS 104, none counted against its number"
# The number's limit, from another loopback address (its own budget per
# address): DS 101 back to a DGFiP API takes two credentials (each checked,
# failed: a wrong secret), then the third is 429.
ctl '{"touch": {"number": 101, "label": "Type d'"'"'intégration", "value": "API Impôt particulier"}}'
wait_for 30 text_has RG9zc2llci0101 "en attente des identifiants DGFiP" && ok "limits 4/2: DS 101 waits for DGFiP credentials again" || nok "DS 101 DGFiP again: '$(text_of RG9zc2llci0101)'"
printf '{"client_id": "%s", "client_secret": "wrong-secret-7c1a"}' "$DG_ID" >"$WORK/dgw.json"
for k in 1 2; do
	req POST /v1/intake/ds/101/credential "" "$WORK/dgw.json" --interface 127.0.0.2; expect_code "limits 4/2: DGFiP credentials $k for DS 101: 202" 202
	jid=$(jget '["id"]')
	wait_state "$jid" done && [ "$(jget '["verdict"]')" = failed ] || nok "DS 101 credentials $k: $(head -c 300 "$WORK/resp")"
done
req POST /v1/intake/ds/101/credential "" "$WORK/dgw.json" --interface 127.0.0.2
[ "$CODE" = 429 ] && grep -qi '^Retry-After: [1-9]' "$WORK/hdrs" && grep -q "too many credentials for DS dossier 101" "$WORK/resp" \
	&& ok "credential_per_number_hour 2: the third credentials DS 101 would take: 429 with Retry-After" || nok "per number 2: HTTP $CODE $(head -c 200 "$WORK/resp")"
# The same limit on the self-check page's form (its CSRF token is bound to
# the client address: the page read from 127.0.0.2).
curl -s --interface 127.0.0.2 "$BASE/" >"$WORK/page2.html"
CSRF2=$(sed -n '/id="jeton-ds"/,$p' "$WORK/page2.html" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1)
c=$(curl -s -o "$WORK/form.html" -D "$WORK/form.hdrs" -w '%{http_code}' --interface 127.0.0.2 --data-urlencode "ds_number=101" \
	--data-urlencode "token=" --data-urlencode "client_id=$DG_ID" --data-urlencode "client_secret=wrong-secret-7c1a" \
	--data-urlencode "csrf=$CSRF2" "$BASE/jeton-ds")
[ "$c" = 429 ] && grep -q 'data-testid="rate-limited"' "$WORK/form.html" && grep -q "pour ce dossier" "$WORK/form.html" \
	&& grep -qi '^Retry-After: [1-9]' "$WORK/form.hdrs" && ok "the form: the same per-number limit, 429 in French with Retry-After" || nok "form per number: $c $(grep -o 'data-testid="[a-z-]*"' "$WORK/form.html" | head -3)"
# DS 101 back to FranceConnect: a new job (its newest), checked, failed.
newest101() { # into $WORK/n101 (req not in a subshell: it numbers the answers)
	req GET "/v1/dossiers?limit=100" "$T_INSTR"
	python3 -c 'import json,sys; print([j["id"] for j in json.load(open(sys.argv[1]))["jobs"] if j["dossier_id"]=="DS-4242-101"][-1])' "$WORK/resp" >"$WORK/n101"
}
newest101
J101DG=$(cat "$WORK/n101")
ctl '{"touch": {"number": 101, "label": "Type d'"'"'intégration", "value": "FranceConnect"}}'
fc101() { newest101; j=$(cat "$WORK/n101"); [ "$j" != "$J101DG" ] && wait_state "$j" done && [ "$(jget '["verdict"]')" = failed ]; }
wait_for 30 fc101 || nok "DS 101 back to FranceConnect: no new failed job ($(cat "$WORK/n101"))"
req POST /v1/intake/ds/999/credential "" "$WORK/tok.json"; expect_code "limits 4/2: a fourth request from this address, another number: 404" 404
req POST /v1/intake/ds/998/credential "" "$WORK/tok.json"
[ "$CODE" = 429 ] && grep -qi '^Retry-After: [1-9]' "$WORK/hdrs" && ok "credential_per_address_hour 4: the fifth token from this address is 429" || nok "per address 4: HTTP $CODE"
ctl "{\"touch\": {\"number\": 101, \"label\": \"Adresse de connexion\", \"value\": \"https://portal.test:$PORTAL_PORT/ok/auth/franceconnect\"}}"
wait_for 30 text_has RG9zc2llci0101 "vérifiée" && ok "auto_instruction: DS 101 checked again" || nok "DS 101: '$(text_of RG9zc2llci0101)'"
inst() { state; python3 -c 'import json,sys; i=json.load(open(sys.argv[1]))["instructions"]; assert [x["dossierId"] for x in i] == ["RG9zc2llci0101"], i' "$WORK/state.json"; }
wait_for 10 inst && ok "auto_instruction on: DS 101 passed into instruction, nothing else" || nok "instructions: $(head -c 400 "$WORK/state.json")"
grep -q "dossierAccepter\|dossierRefuser" "$WORK/daemon.log" && nok "accept/refuse seen" || ok "never accepted nor refused"

# --- Metrics and secrets.
metrics_get
[ "$(metric instructed)" = 1 ] && ok "metrics: instructed 1" || nok "metrics: $(grep raccord_intake_ds "$WORK/metrics")"
daemon_stop || nok "the daemon did not stop cleanly"
grep -q "$RACCORD_DS_TOKEN" "$WORK/daemon.log" "$WORK/daemon.out" "$WORK/jobs.sqlite"* && nok "the DS token leaked" || ok "the DS token is in no log and not in the store"
python3 tests/integration/openapi_check.py docs/openapi.yaml "$WORK/responses.tsv" "$WORK/bodies" >"$WORK/oa.out" 2>&1 \
	&& ok "every daemon answer matches docs/openapi.yaml" || nok "OpenAPI: $(tail -3 "$WORK/oa.out")"
finish t_intake_ds_daemon
