#!/bin/sh
# Jobs checked together: the daemon's worker claims the queued jobs of one
# kind at once and checks them in one verifier run on its long-lived probe
# engine (issue 9, CPU per dossier).  Four jobs queued behind a job held
# up by the ledger's lock run as one batch: two API Particulier dossiers
# with different credentials (one live, one staging) and two
# FranceConnect dossiers of the same portal.  Each keeps its own
# credential (the verdict and the fingerprint in its report are its own),
# its own report (its dossier_id), and its own cookies (the portal's
# callback and logout checks, which need the flow's session cookie, pass
# for both).  Then the engine keeps serving: a later job alone reuses it.
# Dossiers that arrive one after the other while the worker is idle wait
# for each other (daemon.batch_gather_ms, 3 s here) and run as one batch.
# Loopback only.
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
T_INSTR=it-batch-instructor-4e2a
ledger_keys it.example/raccord/v1 || exit 1
python3 - "$WORK/d.json" "$WORK/cfg.json" "$PORT" "$WORK/jobs.sqlite" "$L" "$LEDGER_KEY" "$T_INSTR" <<'PY'
import hashlib, json, sys
out, base, port, store, ledger, key, ti = sys.argv[1:8]
cfg = json.load(open(base))
cfg["daemon"] = {"listen": "127.0.0.1:%s" % port, "store": store,
                 "tokens": [{"name": "dinum-1", "role": "instructor",
                             "sha256": hashlib.sha256(ti.encode()).hexdigest()}],
                 "rate_per_token_min": 0, "rate_per_siren_hour": 0,
                 "batch_gather_ms": int(__import__("os").environ.get("IT_GATHER_MS", "3000")),
                 # the verifier's lines too, for the token scan below
                 # (the last daemon runs without them: one line per job)
                 "log_checks": True}
cfg["ledger"] = {"dir": ledger, "key_file": key}
json.dump(cfg, open(out, "w"), indent=2)
cfg["daemon"]["log_checks"] = False
json.dump(cfg, open(__import__("os").path.join(__import__("os").path.dirname(out), "d2.json"), "w"), indent=2)
PY
# api_submission FILE DOSSIER_ID TOKEN SIRET: API Particulier, token inline
api_submission() {
	python3 - "$1" "$2" "$3" "$4" <<'PY'
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
# fc_submission FILE DOSSIER_ID: the simulator's correct portal
fc_submission() {
	fc_dossier "$1" ok
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["dossier_id"]=sys.argv[2]; json.dump(d, open(sys.argv[1], "w"))' "$1" "$2"
}
jwt "$WORK/valid.tok" "Commune de Test" 31536000
jwt "$WORK/staging.tok" "staging development" 31536000 00000000-0000-0000-0000-000000000000
TOK=$(tr -d '\n' <"$WORK/valid.tok")
STAGING=$(tr -d '\n' <"$WORK/staging.tok")
TOKSHA=$(printf '%s' "$TOK" | sha256sum | cut -d' ' -f1)
STAGINGSHA=$(printf '%s' "$STAGING" | sha256sum | cut -d' ' -f1)
daemon_start || exit 1
i=0; until grep -q "engine=jobs event=new" "$WORK/daemon.log" || [ $i -gt 100 ]; do i=$((i + 1)); sleep 0.1; done
grep -q "engine=jobs event=new" "$WORK/daemon.log" && ok "the worker builds its probe engine at start" || nok "no engine at start"

# A first job, done; then its award waits for the ledger's lock, held
# here, while four more jobs are queued behind it.
fc_submission "$WORK/x.json" IT-BATCH-X
req POST /v1/dossiers "$T_INSTR" "$WORK/x.json"; expect_code "submit the first job: 202" 202
X=$(jget '["id"]')
wait_state "$X" done && ok "the first job ran" || nok "first job: $(cat "$WORK/resp")"
python3 -c 'import fcntl,sys,time; f=open(sys.argv[1], "a"); fcntl.flock(f, fcntl.LOCK_EX); open(sys.argv[2], "w").close(); time.sleep(60)' "$L/lock" "$WORK/locked" &
LOCKER=$!
i=0; until [ -f "$WORK/locked" ] || [ $i -gt 50 ]; do i=$((i + 1)); sleep 0.1; done
req POST "/v1/dossiers/$X/verify" "$T_INSTR"; expect_code "ask for the first job's award: 202" 202
i=0; until grep -q "job=$X state=running award=1" "$WORK/daemon.log" || [ $i -gt 100 ]; do i=$((i + 1)); sleep 0.1; done
api_submission "$WORK/a.json" IT-BATCH-A "$TOK" "$SIRET_OK"
api_submission "$WORK/b.json" IT-BATCH-B "$STAGING" "$SIRET_OTHER"
fc_submission "$WORK/c.json" IT-BATCH-C
fc_submission "$WORK/e.json" IT-BATCH-E
IDS=
for f in a b c e; do
	req POST /v1/dossiers "$T_INSTR" "$WORK/$f.json"; expect_code "queue job $f: 202" 202
	eval "ID_$f=\$(jget '[\"id\"]')"
done
kill "$LOCKER"; wait "$LOCKER" 2>/dev/null
for f in a b c e; do
	eval "id=\$ID_$f"
	wait_state "$id" done || nok "job $f: $(cat "$WORK/resp")"
	cp "$WORK/resp" "$WORK/$f.resp"
done
grep -q "batch jobs=4 first=$ID_a" "$WORK/daemon.log" && ok "the four queued jobs ran in one batch" || nok "no batch of 4: $(grep 'batch' "$WORK/daemon.log")"

# Each job: its own report, its own credential, its own cookies.
python3 - "$WORK" "$TOKSHA" "$STAGINGSHA" >"$WORK/check.out" 2>&1 <<'PY' && ok "each job of the batch has its own report, credential and cookies" || nok "batch separation: $(cat "$WORK/check.out")"
import json, sys
work, toksha, stagingsha = sys.argv[1:4]
def job(f):
    return json.load(open("%s/%s.resp" % (work, f)))
def checks(j):
    return {c["id"]: c["status"] for s in j["report"]["integrations"] for c in s["checks"]}
want = {"a": ("IT-BATCH-A", "verified"), "b": ("IT-BATCH-B", "failed"),
        "c": ("IT-BATCH-C", "verified"), "e": ("IT-BATCH-E", "verified")}
for f, (did, verdict) in want.items():
    j = job(f)
    assert j["report"]["dossier_id"] == did, (f, j["report"]["dossier_id"])
    assert j["verdict"] == verdict, (f, j["verdict"], j.get("error"))
# The credential each API check used is the one of its own submission.
for f, sha, live in (("a", toksha, "pass"), ("b", stagingsha, "fail")):
    sec = job(f)["report"]["integrations"][0]
    assert sec.get("credential_sha256") == sha, (f, sec.get("credential_sha256"))
    st = checks(job(f))
    assert st.get("api.token.production") == live, (f, st)
# The callback checks send the flow's own session cookie: with another
# flow's cookie the portal answers otherwise.
for f in ("c", "e"):
    st = checks(job(f))
    bad = {k: v for k, v in st.items() if v not in ("pass", "skip") and k != "fc.authorize.platform"}
    assert not bad, (f, bad)
    for k in ("fc.callback.error", "fc.callback.forged"):
        assert st.get(k) == "pass", (f, k, st.get(k))
PY
for f in a b c e; do
	grep -q "$TOK\|$STAGING" "$WORK/$f.resp" && nok "job $f's answer holds a token"
done
grep -q "func=report_log .* check=api\.token\." "$WORK/daemon.log" && ok "daemon.log_checks: the API checks are in the log the token scan reads" || nok "no API check line in the log"
grep -q "$TOK\|$STAGING" "$WORK/daemon.log" && nok "a token in the log" || ok "no token in the answers or the log"
wait_state "$X" done
[ "$(jget '["award"]["decisions"][0]["outcome"]')" = awarded ] && ok "the held-up award went through" || nok "award: $(head -c 400 "$WORK/resp")"

# A later job alone: the engine made at start serves it (no new one).
fc_submission "$WORK/f.json" IT-BATCH-F
req POST /v1/dossiers "$T_INSTR" "$WORK/f.json"; expect_code "a later job: 202" 202
F=$(jget '["id"]')
wait_state "$F" done && [ "$(jget '["verdict"]')" = verified ] && ok "a later job alone is verified" || nok "later job: $(head -c 400 "$WORK/resp")"
[ "$(grep -c "engine=jobs event=new" "$WORK/daemon.log")" = 1 ] && ok "one probe engine for every job" || nok "engines made: $(grep -c "engine=jobs event=new" "$WORK/daemon.log")"

# Three dossiers posted 0.4 s apart to an idle worker: gathered into one
# run (with daemon.batch_gather_ms 0, each runs alone as it arrives).
G=
for g in 1 2 3; do fc_submission "$WORK/g$g.json" "IT-GATHER-$g"; done
for g in 1 2 3; do # only curl between the POSTs: quick even under ASan
	req POST /v1/dossiers "$T_INSTR" "$WORK/g$g.json"; expect_code "gathered job $g: 202" 202
	cp "$WORK/resp" "$WORK/g$g.resp"
	sleep 0.4
done
for g in 1 2 3; do
	G="$G $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$WORK/g$g.resp")"
done
for id in $G; do
	wait_state "$id" done && [ "$(jget '["verdict"]')" = verified ] || nok "gathered job $id: $(head -c 400 "$WORK/resp")"
done
set -- $G
grep -q "batch jobs=3 first=$1" "$WORK/daemon.log" && ok "three dossiers arriving 0.4 s apart ran in one batch" || nok "not gathered: $(grep 'batch jobs=' "$WORK/daemon.log")"
python3 tests/integration/openapi_check.py docs/openapi.yaml "$WORK/responses.tsv" "$WORK/bodies" >"$WORK/oa.out" 2>&1 && ok "every answer matches docs/openapi.yaml" || nok "openapi: $(tail -5 "$WORK/oa.out")"
daemon_stop && ok "SIGTERM: exit 0" || nok "SIGTERM exit status"

# SIGTERM while the worker gathers: the job waiting for its window is not
# started by a stopping daemon; it stays queued and runs after a restart.
daemon_start || exit 1
fc_submission "$WORK/s.json" IT-GATHER-STOP
req POST /v1/dossiers "$T_INSTR" "$WORK/s.json"; expect_code "a job in the window: 202" 202
S=$(jget '["id"]')
sleep 0.3
daemon_stop && ok "SIGTERM in the window: exit 0" || nok "SIGTERM in the window: exit status"
grep -q "job=$S state=running" "$WORK/daemon.log" && nok "the stopping daemon started the job" || ok "the stopping daemon did not start the waiting job"
L0=$(wc -l <"$WORK/daemon.log")
daemon_start "$WORK/d2.json" || exit 1
wait_state "$S" done && [ "$(jget '["verdict"]')" = verified ] && ok "after the restart the job ran" || nok "after restart: $(head -c 300 "$WORK/resp")"
# Without daemon.log_checks: one line per job, none of the verifier's.
tail -n +$((L0 + 1)) "$WORK/daemon.log" >"$WORK/last.log"
grep -q " check=\| func=report_log\| func=log_exchange" "$WORK/last.log" && nok "check or request lines in the log: $(grep -m2 " check=" "$WORK/last.log")" || ok "one line per job: no check or request line of the verifier in the log"
grep -q "job=$S state=done verdict=verified" "$WORK/last.log" && ok "the job's line gives its verdict" || nok "no job line"
daemon_stop || nok "final SIGTERM"
finish t_daemon_batch
