#!/bin/sh
# The answer cache of GET /v1/dossiers/{id} (connector/daemon/
# answer_cache.h, docs/api.md): a repeated GET is served from memory
# (counted in /metrics) with the very bytes and headers the store gives
# after a restart (cold cache); the selfcheck role still sees only its
# own jobs when the answer is cached; the answer changes as soon as the
# job does (verify: queued, then the award), and after a revoke it is
# still what the store holds.  Loopback only.
set -u
. tests/integration/lib.sh
. tests/integration/lib_daemon.sh
sim_start || exit 1
api_config "$WORK/cfg.json" 8000
IT_DP_ID=raccord-it
IT_DP_SECRET=sim-datapass-secret-7c41d09e
export IT_DP_ID IT_DP_SECRET
T_INSTR=it-cache-instructor-2b7e
T_SELF=it-cache-selfcheck-9d04
ledger_keys it.example/raccord/v1 || exit 1
config_patch "$WORK/d.json" "$WORK/cfg.json" "{
 'daemon': {'listen': '127.0.0.1:$PORT', 'store': '$WORK/jobs.sqlite',
            'tokens': [{'name': 'dinum-1', 'role': 'instructor', 'sha256': h('$T_INSTR')},
                       {'name': 'selfcheck-page', 'role': 'selfcheck', 'sha256': h('$T_SELF')}],
            'rate_per_token_min': 0, 'rate_per_siren_hour': 0},
 'ledger': {'dir': '$L', 'key_file': '$LEDGER_KEY'}}"
fc_dossier "$WORK/ok.json" ok
daemon_start || exit 1

# answers_from SOURCE: raccord_dossier_answers_total{source=SOURCE}
answers_from() {
	curl -s -H "Authorization: Bearer $T_INSTR" "$BASE/metrics" |
		awk -v k="raccord_dossier_answers_total{source=\"$1\"}" '$1 == k { print $2 }'
}
# keep NAME: the last answer's body and its headers without Date
keep() {
	cp "$WORK/resp" "$WORK/$1.body"
	grep -iv '^date:' "$WORK/hdrs" | tr -d '\r' >"$WORK/$1.hdrs"
}
same() { cmp -s "$WORK/$1.body" "$WORK/$2.body" && cmp -s "$WORK/$1.hdrs" "$WORK/$2.hdrs"; }

req POST /v1/dossiers "$T_INSTR" "$WORK/ok.json"; expect_code "submit: 202" 202
ID=$(jget '["id"]')
wait_state "$ID" done || nok "job $ID did not finish: $(head -c 300 "$WORK/resp")"
req GET "/v1/dossiers/$ID" "$T_INSTR"; expect_code "GET a finished job" 200
keep first
H0=$(answers_from cache)
req GET "/v1/dossiers/$ID" "$T_INSTR"; expect_code "GET it again" 200
keep second
H1=$(answers_from cache)
[ "$H1" -gt "$H0" ] 2>/dev/null && ok "the second GET came from the cache ($H0 -> $H1)" || nok "no cache hit: $H0 -> $H1"
same first second && ok "cached answer: same bytes and headers" || nok "cached answer differs: $(diff "$WORK/first.hdrs" "$WORK/second.hdrs")"
grep -qi '^Cache-Control: no-store' "$WORK/second.hdrs" && grep -qi '^X-Content-Type-Options: nosniff' "$WORK/second.hdrs" &&
	grep -qi '^Content-Type: application/json' "$WORK/second.hdrs" && ok "cached answer keeps the headers" || nok "headers: $(cat "$WORK/second.hdrs")"

# Roles on a cached answer: a selfcheck token sees only its own jobs.
req GET "/v1/dossiers/$ID" "$T_SELF"; expect_code "selfcheck token, another's cached job: 404" 404
req GET "/v1/dossiers/$ID" ""; expect_code "no token, cached job: 401" 401

# The answer follows the job: verify queues it again at once.
req POST "/v1/dossiers/$ID/verify" "$T_INSTR"; expect_code "verify: 202" 202
req GET "/v1/dossiers/$ID" "$T_INSTR"; expect_code "GET right after verify" 200
[ "$(jget '["award_requested"]')" = True ] && [ "$(jget '["award_requested_by"]')" = dinum-1 ] &&
	ok "the answer shows the award request at once (not the cached one)" || nok "stale answer after verify: $(head -c 300 "$WORK/resp")"
i=0
while :; do
	req GET "/v1/dossiers/$ID" "$T_INSTR"
	[ -n "$(jget '.get("award")')" ] && [ "$(jget '["state"]')" = done ] && break
	i=$((i + 1)); [ $i -gt 300 ] && break
	sleep 0.2
done
[ "$(jget '["award"]["decisions"][0]["outcome"]')" = awarded ] && ok "the answer shows the award" || nok "award: $(head -c 400 "$WORK/resp")"
SEQ=$(jget '["award"]["decisions"][0]["seq"]')
req GET "/v1/dossiers/$ID" "$T_INSTR"; keep awarded
req POST "/v1/awards/$SEQ/revoke" "$T_INSTR" "$(printf '{"reason":"test"}' >"$WORK/rv.json"; echo "$WORK/rv.json")"
expect_code "revoke: 200" 200
req GET "/v1/dossiers/$ID" "$T_INSTR"; keep revoked

# A restart: a cold cache, the answer read from the store.
daemon_stop || nok "daemon exit status"
daemon_start || exit 1
S0=$(answers_from store)
req GET "/v1/dossiers/$ID" "$T_INSTR"; keep cold
S1=$(answers_from store)
[ "$S1" -gt "$S0" ] 2>/dev/null && ok "after a restart the answer is read from the store" || nok "store reads: $S0 -> $S1"
same revoked cold && ok "cached answer after the revoke = the store's, byte for byte" || nok "differs from the store: $(cmp "$WORK/revoked.body" "$WORK/cold.body")"
same awarded cold && ok "a revoke leaves the job's answer as it was (the revoke is a ledger entry)" || nok "the revoke changed the job"
req GET "/v1/dossiers/$ID" "$T_INSTR"; keep warm
same cold warm && ok "and cached again, the same bytes" || nok "warm differs"

if python3 tests/integration/openapi_check.py docs/openapi.yaml "$WORK/responses.tsv" "$WORK/bodies" >"$WORK/openapi.out" 2>&1; then
	ok "$(tail -1 "$WORK/openapi.out")"
else
	nok "responses differ from docs/openapi.yaml:"; cat "$WORK/openapi.out"
fi
finish t_answer_cache
