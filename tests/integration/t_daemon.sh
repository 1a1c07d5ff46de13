#!/bin/sh
# raccord serve driven over HTTP with curl against raccord-sim: the
# instructor flow to an award and a receipt `raccord ledger verify`
# accepts, idempotent resubmission, every route with every role and with
# no token, kill -9 with jobs queued then restart, kill -9 during the
# batch those jobs then run in (each job finishes exactly once),
# malformed JSON, oversized body, unknown route, wrong method, SIGHUP
# token reload, SIGTERM exit 0.  Loopback only.
set -u
. tests/integration/lib.sh
. tests/integration/lib_daemon.sh
sim_start || exit 1
api_config "$WORK/cfg.json" 8000
IT_DP_ID=raccord-it
IT_DP_SECRET=sim-datapass-secret-7c41d09e
export IT_DP_ID IT_DP_SECRET

T_INSTR=it-instructor-token-5f1d2c
T_PAY=it-payment-token-91ab07
T_SELF=it-selfcheck-token-33e8aa
T_ADMIN=it-admin-token-c0ffee
T_NEW=it-reloaded-token-77aa

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
                 "queue_max": 5, "connection_timeout_s": 5, "shutdown_timeout_s": 30,
                 "max_connections": 64, "rate_per_token_min": 0, "rate_per_siren_hour": 0,
                 # Each arrival claimed at once, so that jobs queue behind a
                 # hung one below (gathering: t_daemon_batch.sh).
                 "batch_gather_ms": 0,
                 # The verifier's -v lines too (off by default:
                 # t_daemon_batch.sh sees one line per job).
                 "log_checks": True}
# Long enough that a job hanging on the stopped simulator outlives the
# submissions behind it, however slow a loaded machine runs this script.
cfg["network"]["timeout_ms"] = cfg["network"]["connect_timeout_ms"] = 20000
cfg["ledger"] = {"dir": ledger, "key_file": key}
json.dump(cfg, open(out, "w"), indent=2)
PY
}
daemon_config "$WORK/d.json"

fc_dossier "$WORK/ok.json" ok
daemon_start || exit 1

# --- health ------------------------------------------------------------------
req GET /healthz ""; expect_code "healthz without a token" 200
req GET /readyz ""; expect_code "readyz: store, ledger and worker" 200
[ "$(jget '["worker"]')" = ok ] && ok "readyz names the worker" || nok "readyz: $(cat "$WORK/resp")"

# --- the instructor flow ------------------------------------------------------
req POST /v1/dossiers "$T_INSTR" "$WORK/ok.json"; expect_code "submit a dossier: 202" 202
ID=$(jget '["id"]')
[ "$(jget '["state"]')" = queued ] && ok "202 says queued" || nok "state: $(cat "$WORK/resp")"
echo "$ID" | grep -Eq '^[0-9a-f]{32}$' && ok "job id is 128 random bits in hex" || nok "job id '$ID'"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["integrations"][0], d["dossier_id"] = d["integrations"][0], d["dossier_id"]; print(json.dumps(d, indent=4, sort_keys=True))' "$WORK/ok.json" >"$WORK/ok-reformatted.json"
req POST /v1/dossiers "$T_INSTR" "$WORK/ok-reformatted.json"; expect_code "same dossier again (other layout): 200" 200
[ "$(jget '["id"]')" = "$ID" ] && ok "same dossier, same job" || nok "resubmission made job $(jget '["id"]'), want $ID"
wait_state "$ID" done && ok "the job ran" || nok "job not done: $(cat "$WORK/resp")"
[ "$(jget '["verdict"]')" = verified ] && ok "verdict verified" || nok "verdict: $(jget '["verdict"]') $(jget '["error"]')"
[ "$(jget '["report"]["verdict"]')" = verified ] && ok "the report is the CLI's report" || nok "report: $(head -c 300 "$WORK/resp")"
[ "$(jget '["submitted_by"]')" = dinum-1 ] && ok "the job records the token name" || nok "submitted_by"
# kill -9 in the middle of the award (the worker waits for the ledger's
# lock, held here): after the restart the award still happens, once.
python3 -c 'import fcntl,sys,time; f=open(sys.argv[1], "a"); fcntl.flock(f, fcntl.LOCK_EX); open(sys.argv[2], "w").close(); time.sleep(120)' "$L/lock" "$WORK/locked" &
LOCKER=$!
i=0; until [ -f "$WORK/locked" ] || [ $i -gt 50 ]; do i=$((i + 1)); sleep 0.1; done
req POST "/v1/dossiers/$ID/verify" "$T_INSTR"; expect_code "verify: 202" 202
i=0; until grep -q "job=$ID state=running award=1" "$WORK/daemon.log" || [ $i -gt 100 ]; do i=$((i + 1)); sleep 0.1; done
sleep 0.3
kill -9 "$DPID"; wait "$DPID" 2>/dev/null
kill "$LOCKER"; wait "$LOCKER" 2>/dev/null
[ "$(wc -l <"$L/entries.jsonl")" -eq 0 ] && ok "kill -9 while the award waits for the ledger" || nok "entries before the restart"
daemon_start || exit 1
i=0
while :; do
	req GET "/v1/dossiers/$ID" "$T_INSTR"
	[ -n "$(jget '.get("award")')" ] && [ "$(jget '["state"]')" = done ] && break
	i=$((i + 1)); [ $i -gt 300 ] && break
	sleep 0.2
done
[ "$(jget '["award"]["decisions"][0]["outcome"]')" = awarded ] && ok "awarded" || nok "award: $(head -c 600 "$WORK/resp")"
[ "$(jget '["award"]["requested_by"]')" = dinum-1 ] && ok "the award records who asked" || nok "requested_by"
SEQ=$(jget '["award"]["decisions"][0]["seq"]')
[ "$SEQ" = 0 ] && ok "entry 0" || nok "seq $SEQ"
req POST "/v1/dossiers/$ID/verify" "$T_INSTR"; expect_code "verify again: 200, nothing new" 200
[ "$(wc -l <"$L/entries.jsonl")" -eq 1 ] && ok "one ledger entry" || nok "$(wc -l <"$L/entries.jsonl") entries"
grep -q '^{"v":3,.*,"requested_by":"dinum-1"}$' "$L/entries.jsonl" && ok "the signed award entry names the token that asked" || nok "requested_by not in the entry: $(cat "$L/entries.jsonl")"
"$RACCORD" ledger verify "$L" --vkey "$WORK/k.vkey" >"$WORK/lv.out" 2>&1 && ok "raccord ledger verify accepts the ledger" || nok "ledger verify: $(cat "$WORK/lv.out")"
req GET "/v1/ledger/proof/$SEQ" "$T_PAY"; expect_code "payment reads the proof" 200
cp "$WORK/resp" "$WORK/proof"
req GET "/v1/ledger/entries?start=0&end=1" "$T_PAY"; expect_code "payment reads the entries" 200
python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["entries"][0])' "$WORK/resp" >"$WORK/entry0"
cmp -s "$WORK/entry0" "$L/entries.jsonl" && ok "entries are the stored bytes" || nok "entry differs from entries.jsonl"
"$RACCORD" ledger verify --vkey "$WORK/k.vkey" --receipt "$WORK/proof" --entry "$WORK/entry0" --seq "$SEQ" >"$WORK/rv.out" 2>&1 \
	&& ok "the served proof verifies offline with the served entry" || nok "receipt: $(cat "$WORK/rv.out")"
"$RACCORD" ledger verify --vkey "$WORK/k.vkey" --receipt "$L/receipts/$SEQ.tlog-proof" --seq "$SEQ" >"$WORK/rv.out" 2>&1 \
	&& ok "the receipt verifies" || nok "receipt: $(cat "$WORK/rv.out")"
req GET /v1/ledger/checkpoint "$T_PAY"; expect_code "payment reads the checkpoint" 200
cmp -s "$WORK/resp" "$L/checkpoint" && ok "checkpoint is the signed note" || nok "checkpoint differs"

# Revocation through the same append protocol (award_revoke).
printf '{"reason": "portail fermé, dossier DP-1 annulé"}' >"$WORK/reason.json"
printf '{"why": "x"}' >"$WORK/noreason.json"
req POST /v1/awards/0/revoke "$T_INSTR" "$WORK/noreason.json"; expect_code "revoke without a reason: 400" 400
grep -q "why: unknown key" "$WORK/resp" && ok "the unknown key is named" || nok "$(cat "$WORK/resp")"
req POST /v1/awards/7/revoke "$T_INSTR" "$WORK/reason.json"; expect_code "revoke of no entry: 404" 404
req POST /v1/awards/0/revoke "$T_INSTR" "$WORK/reason.json"; expect_code "revoke: 200" 200
[ "$(jget '["seq"]')" = 1 ] && [ "$(jget '["requested_by"]')" = dinum-1 ] && ok "revoke entry 1, by dinum-1" || nok "revoke: $(cat "$WORK/resp")"
req POST /v1/awards/0/revoke "$T_INSTR" "$WORK/reason.json"; expect_code "revoke twice: 409" 409
req POST /v1/awards/1/revoke "$T_INSTR" "$WORK/reason.json"; expect_code "revoke of a revoke: 409" 409
[ "$(wc -l <"$L/entries.jsonl")" -eq 2 ] && ok "two ledger entries" || nok "$(wc -l <"$L/entries.jsonl") entries"
grep -q '"reason":"portail fermé, dossier DP-1 annulé"' "$L/entries.jsonl" && ok "the reason is in the revoke entry" || nok "reason not stored"
sed -n 2p "$L/entries.jsonl" | grep -q '"op":"revoke".*"requested_by":"dinum-1"}$' && ok "the revoke entry names the token that asked" || nok "revoke requested_by: $(sed -n 2p "$L/entries.jsonl")"
"$RACCORD" ledger verify "$L" --vkey "$WORK/k.vkey" >"$WORK/lv.out" 2>&1 && ok "the ledger verifies after the revoke" || nok "ledger verify: $(cat "$WORK/lv.out")"
req GET "/v1/ledger/consistency?from=1" "$T_PAY"; expect_code "consistency proof" 200
"$RACCORD" ledger consistency "$L" --from 1 --vkey "$WORK/k.vkey" >"$WORK/cons.cli" 2>&1
cmp -s "$WORK/resp" "$WORK/cons.cli" && ok "the same bytes as raccord ledger consistency" || nok "consistency differs from the CLI's"
req GET "/v1/ledger/consistency?from=9" "$T_PAY"; expect_code "consistency from past the end: 400" 400
req GET "/v1/ledger/consistency?from=1&to=1" "$T_PAY"; expect_code "consistency to an old size: 400" 400
"$RACCORD" ledger export "$L" --vkey "$WORK/k.vkey" --out "$WORK/X" >/dev/null 2>&1 || nok "CLI export"
req GET /v1/ledger/export.csv "$T_PAY"; expect_code "export.csv" 200
cmp -s "$WORK/resp" "$WORK/X/awards.csv" && ok "export.csv: the bytes of raccord ledger export" || nok "export.csv differs"
req GET /v1/ledger/export.json "$T_PAY"; expect_code "export.json" 200
cmp -s "$WORK/resp" "$WORK/X/awards.json" && ok "export.json: the bytes of raccord ledger export" || nok "export.json differs"
grep -q "requested_by\|dinum-1" "$WORK/X/awards.csv" && nok "requested_by is a CSV column" || ok "requested_by is not an export column"
"$RACCORD" ledger verify-export "$WORK/X" --vkey "$WORK/k.vkey" >"$WORK/ve.out" 2>&1 && ok "an export with requested_by verifies" || nok "verify-export: $(tail -3 "$WORK/ve.out")"
python3 "$WORK/X/verify_export.py" --vkey "$WORK/k.vkey" "$WORK/X" >"$WORK/ve.out" 2>&1 && ok "the offline recipe accepts it" || nok "verify_export.py: $(tail -3 "$WORK/ve.out")"
ls -d "${TMPDIR:-/tmp}"/raccord-export.* >/dev/null 2>&1 && nok "an export left its temporary directory" || ok "exports leave nothing behind"
req GET /metrics "$T_INSTR"; expect_code "metrics" 200
python3 - "$WORK/resp" <<'PY2' && ok "metrics in Prometheus text format" || nok "metrics: $(head -c 400 "$WORK/resp")"
import re, sys
typed, seen = set(), {}
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    m = re.match(r"# TYPE ([a-z_]+) (counter|gauge)$", line)
    if m: typed.add(m.group(1)); continue
    if line.startswith("# HELP "): continue
    m = re.match(r'([a-z_]+)(\{[a-z_]+="[^"\\]*"\})? ([0-9]+)$', line)
    assert m and m.group(1) in typed, line
    seen[m.group(1) + (m.group(2) or "")] = int(m.group(3))
assert seen["raccord_ledger_entries"] == 2, seen
assert seen['raccord_jobs{state="done"}'] >= 1, seen
assert seen['raccord_http_responses_total{code="2xx"}'] >= 5, seen
assert seen["raccord_worker_up"] == 1, seen
PY2
req GET "/v1/dossiers?siren=217500016&state=done&verdict=verified" "$T_INSTR"; expect_code "listing" 200
[ "$(jget '["jobs"][0]["id"]')" = "$ID" ] && ok "listing finds the job" || nok "listing: $(cat "$WORK/resp")"
req GET "/v1/dossiers?verdict=failed" "$T_INSTR"
[ "$(jget '["jobs"]')" = "[]" ] && ok "listing filters on verdict" || nok "verdict filter: $(cat "$WORK/resp")"
req GET "/v1/dossiers?state=bogus" "$T_INSTR"; expect_code "listing with a bad state: 400" 400

# --- roles: every route with every role and no token --------------------------
# route_roles METHOD PATH BODY "none instr pay self admin" (expected codes)
route_roles() {
	m=$1 p=$2 b=$3 want=$4
	set -- $want
	for t in "" "$T_INSTR" "$T_PAY" "$T_SELF" "$T_ADMIN" "not-a-token"; do
		if [ -z "$t" ]; then w=$1; name=none
		elif [ "$t" = "$T_INSTR" ]; then w=$2; name=instructor
		elif [ "$t" = "$T_PAY" ]; then w=$3; name=payment
		elif [ "$t" = "$T_SELF" ]; then w=$4; name=selfcheck
		elif [ "$t" = "$T_ADMIN" ]; then w=$5; name=admin
		else w=${6:-401}; name=wrong-token; fi
		if [ -n "$b" ]; then req "$m" "$p" "$t" "$b"; else req "$m" "$p" "$t"; fi
		if [ "$CODE" = "$w" ]; then ok "$m $p as $name: $w"; else nok "$m $p as $name: $CODE, want $w"; fi
	done
}
route_roles GET /healthz "" "200 200 200 200 200 200"
route_roles GET /v1/dossiers "" "401 200 403 403 200"
route_roles GET "/v1/dossiers/$ID" "" "401 200 403 404 200"
route_roles POST "/v1/dossiers/$ID/verify" "" "401 200 403 403 200"
route_roles GET /v1/ledger/checkpoint "" "401 200 200 403 200"
route_roles GET "/v1/ledger/entries" "" "401 200 200 403 200"
route_roles GET "/v1/ledger/proof/0" "" "401 200 200 403 200"
route_roles POST /v1/dossiers "$WORK/ok.json" "401 200 403 200 200"
route_roles GET "/v1/ledger/consistency?from=1" "" "401 200 200 403 200"
route_roles GET /metrics "" "401 200 200 403 200"
route_roles GET /v1/ledger/export.csv "" "401 200 200 403 200"
route_roles GET /v1/ledger/export.json "" "401 200 200 403 200"
route_roles POST /v1/awards/0/revoke "$WORK/reason.json" "401 409 403 403 409"
grep -q WWW-Authenticate "$WORK/hdrs" || { req GET /v1/dossiers ""; grep -qi "WWW-Authenticate: Bearer" "$WORK/hdrs" && ok "401 says Bearer" || nok "no WWW-Authenticate"; }
fc_dossier "$WORK/self.json" multihop
req POST /v1/dossiers "$T_SELF" "$WORK/self.json"; expect_code "selfcheck submits" 202
SID=$(jget '["id"]')
req GET "/v1/dossiers/$SID" "$T_SELF"; expect_code "selfcheck reads its own job" 200
for t in "$T_INSTR" "$T_PAY" "$T_SELF" "$T_ADMIN" "" "not-a-token"; do
	if grep -q -- "$t" "$WORK/daemon.log" "$WORK/jobs.sqlite"* 2>/dev/null && [ -n "$t" ] && [ "$t" != "not-a-token" ]; then
		nok "a token reached the log or the store"
	fi
done
grep -qi "authorization\|bearer" "$WORK/daemon.log" && nok "the log mentions Authorization" || ok "no token or Authorization value in the log"

# --- bad input ---------------------------------------------------------------
printf '{"dossier_id": "x",' >"$WORK/trunc.json"
req POST /v1/dossiers "$T_INSTR" "$WORK/trunc.json"; expect_code "truncated JSON: 400" 400
grep -q "request body" "$WORK/resp" && ok "the error names the body" || nok "$(cat "$WORK/resp")"
printf '{"dossier_id": "a", "dossier_id": "b"}' >"$WORK/dup.json"
req POST /v1/dossiers "$T_INSTR" "$WORK/dup.json"; expect_code "duplicate key: 400" 400
grep -q "duplicate" "$WORK/resp" && ok "duplicate key named" || nok "$(cat "$WORK/resp")"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["x"]=eval("["*20+"1"+"]"*20); json.dump(d, open(sys.argv[2], "w"))' "$WORK/ok.json" "$WORK/deep.json"
req POST /v1/dossiers "$T_INSTR" "$WORK/deep.json"; expect_code "nested too deep: 400" 400
grep -q 'x\[0\]' "$WORK/resp" && ok "depth error names the path" || nok "$(cat "$WORK/resp")"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["collectivite"]["siren"]="123456789"; json.dump(d, open(sys.argv[2], "w"))' "$WORK/ok.json" "$WORK/badsiren.json"
req POST /v1/dossiers "$T_INSTR" "$WORK/badsiren.json"; expect_code "invalid SIREN: 400" 400
grep -q "collectivite.siren" "$WORK/resp" && ok "the CLI's message with the JSON path" || nok "$(cat "$WORK/resp")"
# The message quotes the first 40 bytes of the value; a cut inside "é"
# left a message jansson refused and the answer was a 500.
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["collectivite"]["siret"]="1"*39+"\u00e9tablissement"; json.dump(d, open(sys.argv[2], "w"))' "$WORK/ok.json" "$WORK/cutsiret.json"
req POST /v1/dossiers "$T_INSTR" "$WORK/cutsiret.json"; expect_code "a value cut inside a UTF-8 character: 400" 400
grep -q "collectivite.siret" "$WORK/resp" && ok "the cut value's error names its path" || nok "$(cat "$WORK/resp")"
# Every problem of a dossier in one answer (issue 14): the daemon's own rule
# and the parser's, each naming its path; then past 20, the rest counted.
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["collectivite"]["siren"]="217500017"; d["collectivite"]["categorie"]="Commune"; d["integrations"][0]["token_file"]="t"; d["integrations"][0]["login_url"]="ftp://x/"; json.dump(d, open(sys.argv[2], "w"))' "$WORK/ok.json" "$WORK/many.json"
req POST /v1/dossiers "$T_INSTR" "$WORK/many.json"; expect_code "a dossier with four mistakes: 400" 400
python3 - "$WORK/resp" <<'PY2' && ok "400 lists every error (errors, more_errors)" || nok "all errors: $(cat "$WORK/resp")"
import json, sys
r = json.load(open(sys.argv[1]))
want = ["integrations[0].token_file: a dossier submitted to the daemon",
        "request body: collectivite.siren: 217500017",
        "request body: collectivite.categorie: unknown categorie \"Commune\"; did you mean \"commune\"?",
        "request body: integrations[0].login_url",
        "request body: integrations[0].token_file: not used by kind franceconnect"]
e = r["errors"]
assert r["error"] == e[0] and r["more_errors"] == 0, r
assert len(e) == len(want), e
for w in want:
    assert any(w in m for m in e), (w, e)
PY2
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d.update({"zz%02d" % i: 1 for i in range(25)}); d["collectivite"]["siren"]="217500017"; json.dump(d, open(sys.argv[2], "w"))' "$WORK/ok.json" "$WORK/toomany.json"
req POST /v1/dossiers "$T_INSTR" "$WORK/toomany.json"; expect_code "a dossier with 26 mistakes: 400" 400
python3 - "$WORK/resp" <<'PY2' && ok "400 keeps 20 errors and counts the other 6" || nok "capped errors: $(head -c 600 "$WORK/resp")"
import json, sys
r = json.load(open(sys.argv[1]))
assert len(r["errors"]) == 20 and r["more_errors"] == 6, (len(r["errors"]), r["more_errors"])
assert r["errors"][0].startswith("request body: zz00: unknown key"), r["errors"][0]
PY2
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["integrations"].append({"kind": "api", "api": "api_particulier", "environment": "production", "token_file": "/etc/shadow"}); json.dump(d, open(sys.argv[2], "w"))' "$WORK/ok.json" "$WORK/tokfile.json"
req POST /v1/dossiers "$T_INSTR" "$WORK/tokfile.json"; expect_code "token_file in a submission: 400" 400
grep -q "integrations\[1\].token_file" "$WORK/resp" && ok "token_file refused by path" || nok "$(cat "$WORK/resp")"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["integrations"].append({"kind": "api", "api": "api_particulier", "environment": "production", "token_env": "IT_DP_SECRET"}); json.dump(d, open(sys.argv[2], "w"))' "$WORK/ok.json" "$WORK/tokenv.json"
req POST /v1/dossiers "$T_INSTR" "$WORK/tokenv.json"; expect_code "token_env in a submission: 400" 400
head -c 1100000 /dev/zero | tr '\0' ' ' >"$WORK/big.json"
req POST /v1/dossiers "$T_INSTR" "$WORK/big.json"; expect_code "body over 1 MiB: 413" 413
req POST /v1/dossiers "$T_INSTR" "$WORK/big.json" -H "Transfer-Encoding: chunked"; expect_code "chunked body over 1 MiB: 413" 413
req GET /v1/nothing "$T_INSTR"; expect_code "unknown route: 404" 404
req GET /v1/dossiers/0123456789abcdef0123456789abcdef "$T_INSTR"; expect_code "unknown job: 404" 404
req DELETE /v1/dossiers "$T_INSTR"; expect_code "wrong method: 405" 405
grep -qi "^Allow: GET, POST" "$WORK/hdrs" && ok "405 carries Allow" || nok "no Allow header"
req PUT /healthz ""; expect_code "PUT /healthz: 405" 405
req GET /v1/awards/0/revoke "$T_INSTR"; expect_code "GET on revoke: 405" 405
req POST /v1/awards/0/undo "$T_INSTR"; expect_code "unknown award action: 404" 404
req GET "/v1/ledger/proof/99" "$T_PAY"; expect_code "proof past the end: 404" 404
req GET "/v1/ledger/entries?start=0&end=5000" "$T_PAY"; expect_code "entries past the end: 400" 400
req POST /v1/dossiers "$T_INSTR"; expect_code "empty body: 400" 400
# A slow client (half a request line, then silence) is cut off after
# daemon.connection_timeout_s (5 s here) while others are served.
python3 - "$PORT" "$BASE" >"$WORK/slow.out" 2>&1 <<'PY2' && ok "a slow client is disconnected; others served meanwhile" || nok "slow client: $(cat "$WORK/slow.out")"
import socket, sys, time, urllib.request
port, base = int(sys.argv[1]), sys.argv[2]
s = socket.create_connection(("127.0.0.1", port))
s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
t0 = time.monotonic()
assert urllib.request.urlopen(base + "/healthz", timeout=3).status == 200
s.settimeout(20)
data = s.recv(4096)  # b"" once the daemon closes the connection
took = time.monotonic() - t0
assert data == b"" and 3 <= took <= 15, (data, took)
PY2
# Many idle connections: above daemon.max_connections they are refused,
# and the daemon serves again once they go.
python3 - "$PORT" "$BASE" >"$WORK/idle.out" 2>&1 <<'PY2' && ok "idle connections above the limit are refused; service resumes" || nok "idle: $(cat "$WORK/idle.out")"
import socket, sys, time, urllib.request
port, base = int(sys.argv[1]), sys.argv[2]
socks = []
for i in range(80):
    c = socket.create_connection(("127.0.0.1", port))
    socks.append(c)
time.sleep(0.5)
closed = 0
for c in socks:
    c.settimeout(0.2)
    try:
        if c.recv(1) == b"":
            closed += 1
    except socket.timeout:
        pass
    except ConnectionResetError:
        closed += 1
assert closed >= 80 - 64, closed  # max_connections 64 in this config
for c in socks:
    c.close()
time.sleep(0.5)
assert urllib.request.urlopen(base + "/healthz", timeout=3).status == 200
PY2
big=$(head -c 40000 /dev/zero | tr '\0' 'a')
code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Big: $big" "$BASE/healthz")
case $code in 413|431|000) ok "headers above 32 KiB: $code" ;; *) nok "headers above 32 KiB: $code" ;; esac
mid=$(head -c 16000 /dev/zero | tr '\0' 'a')
code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Mid: $mid" "$BASE/healthz")
[ "$code" = 200 ] && ok "a 16 kB header is served" || nok "a 16 kB header: $code"
req GET /healthz ""; expect_code "still serving after bad input" 200

# --- SIGHUP reloads the tokens -------------------------------------------------
req GET /v1/dossiers "$T_NEW"; expect_code "an unknown token: 401" 401
daemon_config "$WORK/d.json" "$T_NEW"
kill -HUP "$DPID"
i=0; until grep -q "SIGHUP: 5 tokens" "$WORK/daemon.log" || [ $i -gt 50 ]; do i=$((i + 1)); sleep 0.1; done
req GET /v1/dossiers "$T_NEW"; expect_code "after SIGHUP the new token works" 200
kill -0 "$DPID" 2>/dev/null && ok "SIGHUP did not stop the daemon" || nok "daemon died on SIGHUP"

grep -q "level=info func=report_log dossier=.* check=fc\.authorize\." "$WORK/daemon.log" && ok "daemon.log_checks: the checks are logged" || nok "daemon.log_checks: no check line in the log"

# --- concurrent clients ---------------------------------------------------------
# 20 clients send the same new dossier at once: one job; 30 more read.
fc_dossier "$WORK/conc.json" formpost "$PORTAL_PORT" https connexion
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["dossier_id"]="IT-concurrent"; json.dump(d, open(sys.argv[1], "w"))' "$WORK/conc.json"
mkdir -p "$WORK/conc"
CPIDS=
i=0
while [ $i -lt 50 ]; do
	if [ $i -lt 20 ]; then
		curl -s -o "$WORK/conc/$i" -w '%{http_code}\n' -H "Authorization: Bearer $T_INSTR" \
			-H "Content-Type: application/json" --data-binary "@$WORK/conc.json" "$BASE/v1/dossiers" >"$WORK/conc/$i.code" &
		CPIDS="$CPIDS $!"
	else
		curl -s -o "$WORK/conc/$i" -w '%{http_code}\n' -H "Authorization: Bearer $T_PAY" "$BASE/v1/ledger/checkpoint" >"$WORK/conc/$i.code" &
		CPIDS="$CPIDS $!"
	fi
	i=$((i + 1))
done
for j in $CPIDS; do wait "$j"; done
n202=$(cat "$WORK"/conc/[0-9].code "$WORK"/conc/1[0-9].code | grep -c '^202$')
ids=$(cat "$WORK"/conc/[0-9] "$WORK"/conc/1[0-9] | python3 -c 'import json,sys; print(len({json.loads(l)["id"] for l in sys.stdin.read().replace("}{", "}\n{").splitlines()}))')
[ "$n202" = 1 ] && [ "$ids" = 1 ] && ok "20 concurrent submissions of one dossier: one job, one 202" || nok "concurrent submissions: $n202 x 202, $ids ids"
[ "$(cat "$WORK"/conc/2[0-9].code "$WORK"/conc/[34][0-9].code | grep -c '^200$')" = 30 ] && ok "30 concurrent ledger reads: 200" || nok "concurrent reads: $(cat "$WORK"/conc/*.code | sort | uniq -c)"

# --- kill -9 with jobs queued, restart: each job finishes exactly once ----------
for f in multihop formpost; do
	fc_dossier "$WORK/q-$f.json" "$f"
done
fc_dossier "$WORK/q-slow.json" ok
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["dossier_id"]="IT-queued-3"; json.dump(d, open(sys.argv[1], "w"))' "$WORK/q-slow.json"
QIDS=
for f in multihop formpost slow; do
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["dossier_id"]="IT-q-"+sys.argv[2]; json.dump(d, open(sys.argv[1], "w"))' "$WORK/q-$f.json" "$f"
done
# The simulator stopped: the first job hangs in its checks while the
# others wait in the queue; then kill -9.  Only curl between the
# submissions, so that they are quick next to the hung job's timeout.
kill -STOP "$SIM_PID"
for f in multihop formpost slow; do
	req POST /v1/dossiers "$T_INSTR" "$WORK/q-$f.json"
	[ "$CODE" = 202 ] || nok "queue $f: $CODE $(cat "$WORK/resp")"
	cp "$WORK/resp" "$WORK/q-$f.resp"
done
for f in multihop formpost slow; do
	QIDS="$QIDS $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$WORK/q-$f.resp")"
done
sleep 0.5
req GET "/v1/dossiers?state=queued" "$T_INSTR"
nq=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["jobs"]))' "$WORK/resp")
[ "$nq" -ge 2 ] && ok "jobs queued behind a running one ($nq)" || nok "only $nq jobs queued"
kill -9 "$DPID"; wait "$DPID" 2>/dev/null
ok "kill -9 with jobs queued"
# The simulator still stopped: at the restart the worker claims the three
# jobs together, in one verifier run that hangs; kill -9 in the middle of
# that batch, then each job must run again exactly once.
daemon_start || exit 1
grep -q "1 jobs were running when the previous process stopped" "$WORK/daemon.log" && ok "the running job is queued again at start" || nok "no re-queue message"
i=0; until grep -q "batch jobs=3 first=" "$WORK/daemon.log" || [ $i -gt 100 ]; do i=$((i + 1)); sleep 0.1; done
grep -q "batch jobs=3 first=" "$WORK/daemon.log" && ok "the three queued jobs are claimed in one batch" || nok "no batch of 3: $(grep batch "$WORK/daemon.log")"
ATT=
for q in $QIDS; do
	req GET "/v1/dossiers/$q" "$T_INSTR"
	[ "$(jget '["state"]')" = running ] || nok "job $q not running in the batch: $(jget '["state"]')"
	ATT="$ATT $(jget '["attempts"]')"
done
sleep 0.3
kill -9 "$DPID"; wait "$DPID" 2>/dev/null
kill -CONT "$SIM_PID"
ok "kill -9 during a batch"
daemon_start || exit 1
grep -q "3 jobs were running when the previous process stopped" "$WORK/daemon.log" && ok "the batch's jobs are queued again at start" || nok "no re-queue message for the batch"
set -- $ATT
for q in $QIDS; do
	wait_state "$q" done && ok "job $q done after restart" || nok "job $q: $(cat "$WORK/resp")"
	n=$(grep -c "job=$q state=done" "$WORK/daemon.log")
	[ "$n" = 1 ] && ok "job $q finished exactly once" || nok "job $q finished $n times"
	[ "$(jget '["attempts"]')" = $(($1 + 1)) ] && ok "job $q ran once more after the batch died" || nok "job $q: attempts $(jget '["attempts"]') after $1"
	shift
done

# --- queue full: 503 + Retry-After -------------------------------------------
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for n in range(12):
    d["dossier_id"] = "IT-full-%d" % n
    json.dump(d, open("%s/full-%d.json" % (sys.argv[2], n), "w"))' "$WORK/ok.json" "$WORK"
kill -STOP "$SIM_PID"
n=0 got503=0
while [ $n -lt 12 ]; do
	req POST /v1/dossiers "$T_INSTR" "$WORK/full-$n.json"
	if [ "$CODE" = 503 ]; then got503=1; break; fi
	n=$((n + 1))
done
[ $got503 = 1 ] && ok "a full queue answers 503" || nok "no 503 after $n submissions"
grep -qi "^Retry-After: " "$WORK/hdrs" && ok "503 carries Retry-After" || nok "no Retry-After"
kill -CONT "$SIM_PID"

# --- SIGTERM: exit 0 -----------------------------------------------------------
kill -TERM "$DPID"
wait "$DPID"; rc=$?
[ $rc = 0 ] && ok "SIGTERM: exit 0" || nok "SIGTERM: exit $rc"
DPID=
curl -s -o /dev/null "$BASE/healthz" && nok "still listening after SIGTERM" || ok "no longer listening"
grep -q "stopped with a job still running" "$WORK/daemon.log" && nok "a job was parked at SIGTERM" || ok "SIGTERM let the running job finish"

# --- rate limits: 429 with Retry-After, per token and per SIREN ----------------
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["daemon"]["rate_per_token_min"]=3; d["daemon"]["rate_per_siren_hour"]=5; json.dump(d, open(sys.argv[1], "w"))' "$WORK/d.json"
daemon_start || exit 1
rl() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["dossier_id"]="IT-rate-"+sys.argv[2]; json.dump(d, open(sys.argv[3], "w"))' "$WORK/ok.json" "$1" "$WORK/rl.json"; }
codes=
for n in 1 2 3 4; do rl "s$n"; req POST /v1/dossiers "$T_SELF" "$WORK/rl.json"; codes="$codes $CODE"; done
[ "$codes" = " 202 202 202 429" ] && ok "per token: the 4th submission in a minute gets 429" || nok "per-token codes:$codes"
grep -qi "^Retry-After: [1-9]" "$WORK/hdrs" && ok "429 carries Retry-After" || nok "no Retry-After on 429"
codes=
for n in 1 2 3; do rl "i$n"; req POST /v1/dossiers "$T_INSTR" "$WORK/rl.json"; codes="$codes $CODE"; done
[ "$codes" = " 202 202 429" ] && ok "per SIREN: the 6th submission in an hour gets 429" || nok "per-SIREN codes:$codes"
grep -q "SIREN" "$WORK/resp" && ok "the 429 names the SIREN limit" || nok "$(cat "$WORK/resp")"
kill -TERM "$DPID"; wait "$DPID"; DPID=

# --- SIGTERM with a job that outlives daemon.shutdown_timeout_s: parked ----------
# A fresh store, so that the hung job is the only one.
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["daemon"]["shutdown_timeout_s"]=1; d["daemon"]["store"]=sys.argv[2]; json.dump(d, open(sys.argv[1], "w"))' "$WORK/d.json" "$WORK/jobs2.sqlite"
daemon_start || exit 1
kill -STOP "$SIM_PID"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["dossier_id"]="IT-parked"; json.dump(d, open(sys.argv[2], "w"))' "$WORK/ok.json" "$WORK/parked.json"
req POST /v1/dossiers "$T_INSTR" "$WORK/parked.json"
PID_PARKED=$(jget '["id"]')
i=0; until grep -q "job=$PID_PARKED state=running" "$WORK/daemon.log" || [ $i -gt 100 ]; do i=$((i + 1)); sleep 0.1; done
grep -q "job=$PID_PARKED state=running" "$WORK/daemon.log" && ok "the job hangs on the stopped simulator" || nok "the job did not start"
t0=$(date +%s)
kill -TERM "$DPID"; wait "$DPID"; rc=$?
DPID=
[ $rc = 0 ] && [ $(($(date +%s) - t0)) -le 5 ] && ok "SIGTERM with a hung job: exit 0 within the shutdown timeout" || nok "exit $rc after $(($(date +%s) - t0)) s"
grep -q "stopped with a job still running" "$WORK/daemon.log" && ok "the hung job is parked" || { nok "no parking message:"; tail -8 "$WORK/daemon.log"; }
kill -CONT "$SIM_PID"
daemon_start || exit 1
wait_state "$PID_PARKED" done && ok "the parked job runs at the next start" || nok "parked job: $(cat "$WORK/resp")"
kill -TERM "$DPID"; wait "$DPID"; DPID=

if grep -q "Sanitizer\|runtime error" "$WORK/daemon.log"; then
	nok "sanitizer report in the daemon's log:"; grep -m5 "Sanitizer\|runtime error" "$WORK/daemon.log"
else
	ok "no sanitizer report in the daemon's log"
fi

# --- the server against its OpenAPI description ----------------------------------
# The description against the OpenAPI 3.1 schemas (npm, pinned by
# tests/fleet/package-lock.json), then every recorded response against it.
if node tests/fleet/openapi-validate.mjs docs/openapi.yaml >"$WORK/openapi-spec.out" 2>&1; then
	ok "$(tail -1 "$WORK/openapi-spec.out")"
else
	nok "docs/openapi.yaml is not a valid OpenAPI 3.1 description (npm ci --prefix tests/fleet?):"
	head -20 "$WORK/openapi-spec.out"
fi
if python3 tests/integration/openapi_check.py docs/openapi.yaml "$WORK/responses.tsv" "$WORK/bodies" >"$WORK/openapi.out" 2>&1; then
	ok "$(tail -1 "$WORK/openapi.out")"
else
	nok "responses differ from docs/openapi.yaml:"; cat "$WORK/openapi.out"
fi

finish t_daemon
