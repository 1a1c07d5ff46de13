#!/bin/sh
# The worker's FranceConnect discovery cache (daemon.fc_discovery_max_age_s,
# docs/checks.md "The discovery document across runs"): one job after
# another, each its own verifier run on the worker's engine.
#
#  * bound: a document fetched by one run is reused by the next (the
#    report cites that fetch, with its time) while FC's discovery is down,
#    and no longer once the bound has passed (the outage then shows:
#    fc.discovery error, inconclusive);
#  * refetch before failing: a kept document whose authorization endpoint
#    the captured request does not target (FC changed its metadata since)
#    is fetched again before the request is judged, so the dossier is
#    verified against the fresh document, not failed on the stale one.
#
# Loopback only.
set -u
. tests/integration/lib.sh
. tests/integration/lib_daemon.sh
sim_start || exit 1
CA=$(cd "$CERTS" && pwd)/ca.pem
write_config "$WORK/cfg.json" 8000 yes
AGE=5
T_INSTR=it-disc-instructor-5e21
ledger_keys it.example/raccord/v1 || exit 1
config_patch "$WORK/d.json" "$WORK/cfg.json" "{
 'daemon': {'listen': '127.0.0.1:$PORT', 'store': '$WORK/jobs.sqlite',
            'tokens': [{'name': 'dinum-1', 'role': 'instructor', 'sha256': h('$T_INSTR')}],
            'rate_per_token_min': 0, 'rate_per_siren_hour': 0,
            'fc_discovery_max_age_s': $AGE},
 'ledger': {'dir': '$L', 'key_file': '$LEDGER_KEY'}}"
fc_dossier "$WORK/ok.json" ok
daemon_start || exit 1

# fault NAME: switch the simulated FranceConnect's failure mode.
fault() {
	r=$(curl -s --noproxy '*' --max-time 5 --cacert "$CA" \
		--resolve "fc.test:$FC_PORT:127.0.0.1" \
		"https://fc.test:$FC_PORT/_sim/fault/$1")
	[ "$r" = ok ] || { echo "cannot set fault $1"; exit 1; }
}

# job N: submit the ok dossier as DISC-N, wait for it; sets VERDICT, DST
# (fc.discovery's status), DDETAIL, DSTARTED (the discovery exchange
# fc.discovery cites: its start time and body digest, or "none"), EP
# (fc.authorize.endpoint's status).
job() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["dossier_id"]="DISC-"+sys.argv[2]; json.dump(d, open(sys.argv[3], "w"))' \
		"$WORK/ok.json" "$1" "$WORK/j$1.json"
	req POST /v1/dossiers "$T_INSTR" "$WORK/j$1.json"
	[ "$CODE" = 202 ] || { nok "job $1: HTTP $CODE $(head -c 200 "$WORK/resp")"; return 1; }
	id=$(jget '["id"]')
	wait_state "$id" done || { nok "job $1 did not finish: $(head -c 300 "$WORK/resp")"; return 1; }
	python3 - "$WORK/resp" >"$WORK/j$1.facts" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["report"]
sec = [s for s in r["integrations"] if s["kind"] == "franceconnect"][0]
chk = {c["id"]: c for c in sec["checks"]}
d = chk["fc.discovery"]
ex = [r["exchanges"][i] for i in d.get("exchanges", [])]
print(sec["verdict"])
print(d["status"])
print(ex[0]["started"] + "/" + ex[0]["body_sha256"][:16] if ex and "openid-configuration" in ex[0]["url"] else "none")
print(chk.get("fc.authorize.endpoint", {}).get("status", "none"))
print(d["detail"])
PY
	VERDICT=$(sed -n 1p "$WORK/j$1.facts")
	DST=$(sed -n 2p "$WORK/j$1.facts")
	DSTARTED=$(sed -n 3p "$WORK/j$1.facts")
	EP=$(sed -n 4p "$WORK/j$1.facts")
	DDETAIL=$(sed -n 5p "$WORK/j$1.facts")
}

# 1. A first run fetches the document and cites its fetch.
job 1
S1=$DSTARTED
[ "$VERDICT" = verified ] && [ "$DST" = pass ] && [ "$S1" != none ] &&
	ok "first job: verified, fc.discovery cites its fetch ($S1)" || nok "first job: $VERDICT $DST $S1 $DDETAIL"
case $DDETAIL in *"earlier run"*) nok "first job claims a kept document: $DDETAIL" ;; *"fetched at"*) ok "its detail gives the fetch time" ;; *) nok "detail: $DDETAIL" ;; esac

# 2. Within the bound the next run reuses it: FC's discovery being down
#    does not show, and the report cites the first run's fetch.
fault discovery_500
job 2
[ "$VERDICT" = verified ] && [ "$DST" = pass ] && ok "within ${AGE} s: the kept document serves (discovery down)" || nok "second job: $VERDICT $DST $DDETAIL"
[ "$DSTARTED" = "$S1" ] && ok "the report cites the kept fetch of $S1" || nok "second job cites $DSTARTED, not $S1"
case $DDETAIL in *"earlier run"*"at most $AGE s"*) ok "its detail says the document was kept, and for how long" ;; *) nok "detail: $DDETAIL" ;; esac

# 3. Past the bound the document is fetched again: the outage shows.
sleep $((AGE + 1))
job 3
[ "$DST" = error ] && [ "$VERDICT" = inconclusive ] && ok "past ${AGE} s: fetched again (discovery down: fc.discovery error, inconclusive)" ||
	nok "third job, past the bound: $VERDICT $DST $DSTARTED $DDETAIL"

# 4. FC's metadata changes while a document is kept: the stale document
#    is fetched again before anything is failed on it.
fault discovery_moved
sleep $((AGE + 1))
job 4
S4=$DSTARTED
[ "$VERDICT" = failed ] && [ "$EP" = fail ] && ok "a fresh document naming another endpoint fails fc.authorize.endpoint (the sim's switch works)" ||
	nok "fourth job: $VERDICT endpoint=$EP $DDETAIL"
fault none
job 5
[ "$VERDICT" = verified ] && [ "$EP" = pass ] && ok "kept document naming the old endpoint: fetched again, verified" ||
	nok "fifth job judged on the stale document: $VERDICT endpoint=$EP $DDETAIL"
[ "$DSTARTED" != "$S4" ] && [ "$DSTARTED" != none ] && ok "the report cites the new fetch ($DSTARTED), not the stale one ($S4)" ||
	nok "fifth job cites $DSTARTED (stale: $S4)"
case $DDETAIL in *"earlier run"*) nok "fifth job claims a kept document: $DDETAIL" ;; *) ok "its detail names a fetch of this run" ;; esac
grep -q "event=discovery_refetch" "$WORK/daemon.log" && ok "the refetch is logged" || nok "no discovery_refetch in the log"
# 6. The fresh document replaced the stale one.
job 6
[ "$VERDICT" = verified ] && [ "$DSTARTED" != "$S4" ] && ok "the next job reuses the refreshed document" || nok "sixth job: $VERDICT $DSTARTED $DDETAIL"

daemon_stop || nok "daemon exit status $?"
python3 tests/integration/openapi_check.py docs/openapi.yaml "$WORK/responses.tsv" "$WORK/bodies" >"$WORK/oa.out" 2>&1 &&
	ok "every answer matches docs/openapi.yaml" || nok "openapi: $(tail -5 "$WORK/oa.out")"
finish t_fc_discovery_cache
