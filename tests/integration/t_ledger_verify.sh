#!/bin/sh
# raccord verify end to end against raccord-sim: a correct FranceConnect
# integration is awarded (evidence stored, receipt verifies), verifying
# again awards nothing twice, a flawed one gets nothing (exit 1), and bad
# input (key, ledger) exits 2 with nothing written.  Drives the real
# raccord binary.
set -u
BUILD=${BUILD:-build}
. tests/integration/lib.sh
sim_start || { echo "t_ledger_verify: 0 passed, 1 failed"; exit 1; }
# DataPass (simulated) ties the integrations to the SIRET, as awards need.
api_config "$WORK/c.json" 8000
IT_DP_ID=raccord-it IT_DP_SECRET=sim-datapass-secret-7c41d09e
export IT_DP_ID IT_DP_SECRET
write_config "$WORK/c-nodp.json" 8000 yes
fc_dossier "$WORK/ok.json" formpost "$PORTAL_PORT" https connexion
fc_dossier "$WORK/bad.json" short_nonce
# another collectivité (a known SIREN is "already awarded" before any verdict)
sed -i 's/"217500016"/"732829320"/; s/"21750001600019"/"73282932000017"/' "$WORK/bad.json"
L=$WORK/L
"$RACCORD" keygen it.raccord.example/ledger --key "$WORK/k.pem" --vkey "$WORK/k.vkey" >/dev/null 2>&1
"$RACCORD" ledger init "$L" --key "$WORK/k.pem" --vkey "$WORK/k.vkey" >/dev/null

"$RACCORD" verify "$WORK/ok.json" --ledger "$L" --key "$WORK/k.pem" --config "$WORK/c.json" >"$WORK/o1" 2>&1
st=$?
[ $st -eq 0 ] && grep -q "AWARDED 5000,00 EUR" "$WORK/o1" && ok "correct integration awarded" ||
	{ nok "correct integration awarded (exit $st)"; sed 's/^/    /' "$WORK/o1" | tail -5; }
r=$(sed -n 's/.*receipt \(.*tlog-proof\)$/\1/p' "$WORK/o1" | head -1)
[ -n "$r" ] && "$RACCORD" ledger verify --vkey "$WORK/k.vkey" --receipt "$r" --seq 0 >/dev/null 2>&1 &&
	ok "its receipt verifies" || nok "its receipt verifies"
ev=$(sed -n 's/.*evidence \(.*\.json\)$/\1/p' "$WORK/o1" | head -1)
[ -f "$ev" ] && [ "$(sha256sum < "$ev" | cut -d' ' -f1).json" = "$(basename "$ev")" ] &&
	ok "report stored as evidence by content hash" || nok "evidence"

"$RACCORD" verify "$WORK/ok.json" --ledger "$L" --key "$WORK/k.pem" --config "$WORK/c.json" >"$WORK/o2" 2>&1
st=$?
[ $st -eq 0 ] && grep -q "already awarded" "$WORK/o2" && [ "$(wc -l < "$L/entries.jsonl")" -eq 1 ] &&
	ok "verifying again awards nothing twice" || { nok "idempotence (exit $st)"; tail -3 "$WORK/o2"; }

"$RACCORD" verify "$WORK/bad.json" --ledger "$L" --key "$WORK/k.pem" --config "$WORK/c.json" >"$WORK/o3" 2>&1
st=$?
[ $st -eq 1 ] && grep -q "refused" "$WORK/o3" && [ "$(wc -l < "$L/entries.jsonl")" -eq 1 ] &&
	ok "flawed integration gets nothing (exit 1)" || { nok "flawed integration (exit $st)"; tail -3 "$WORK/o3"; }

# A sandbox integration, however correct, earns nothing (another SIREN).
fc_dossier "$WORK/sbx.json" ok
sed -i 's/"environment": "production"/"environment": "integration"/; s/"217500016"/"732829320"/; s/"21750001600019"/"73282932000017"/' "$WORK/sbx.json"
"$RACCORD" check --config "$WORK/c-nodp.json" --format json "$WORK/sbx.json" >/dev/null 2>&1
sc=$?
"$RACCORD" verify "$WORK/sbx.json" --ledger "$L" --key "$WORK/k.pem" --config "$WORK/c-nodp.json" >"$WORK/o6" 2>&1
st=$?
[ $sc -eq 0 ] && [ $st -eq 1 ] && grep -q "production integrations only" "$WORK/o6" && [ "$(wc -l < "$L/entries.jsonl")" -eq 1 ] &&
	ok "a verified sandbox integration is refused (exit 1)" || { nok "sandbox integration (check $sc, verify $st)"; tail -3 "$WORK/o6"; }

# Without DataPass, a verified integration proves no ownership: refused.
fc_dossier "$WORK/nodp.json" ok
sed -i 's/"217500016"/"213105554"/; s/"21750001600019"/"21310555400017"/' "$WORK/nodp.json"
"$RACCORD" verify "$WORK/nodp.json" --ledger "$L" --key "$WORK/k.pem" --config "$WORK/c-nodp.json" >"$WORK/o7" 2>&1
st=$?
[ $st -eq 1 ] && grep -q "no DataPass habilitation" "$WORK/o7" && [ "$(wc -l < "$L/entries.jsonl")" -eq 1 ] &&
	ok "no habilitation check, no award (exit 1)" || { nok "no DataPass (verify $st)"; tail -3 "$WORK/o7"; }

# policy.require_conformance (docs/conformance.md): the FranceConnect
# forfait needs the dossier's conformance report, verified and sealed by
# raccord with the ledger's key.  Hand-made reports -- failed, another
# dossier's, even "verified" -- are refused as unsigned and nothing is
# appended; t_conformance_seal.sh makes a real sealed report and awards it.
python3 -c 'import json, sys; c = json.load(open(sys.argv[1])); c["policy"] = {"require_habilitation": False, "require_conformance": True}; json.dump(c, open(sys.argv[2], "w"))' \
	"$WORK/c-nodp.json" "$WORK/c-conf.json"
fc_dossier "$WORK/conf.json" ok
sed -i 's/"217500016"/"552100554"/; s/"21750001600019"/"55210055400013"/' "$WORK/conf.json"
conf_report() { # FILE DOSSIER_ID VERDICT
	printf '{"report_version":1,"dossier_id":"%s","verdict":"%s","integrations":[{"kind":"conformance","verdict":"%s","checks":[]}],"exchanges":[]}\n' \
		"$2" "$3" "$3" >"$1"
}
conf_report "$WORK/conf-failed.json" IT-ok failed
conf_report "$WORK/conf-other.json" IT-other verified
conf_report "$WORK/conf-ok.json" IT-ok verified
"$RACCORD" verify "$WORK/conf.json" --ledger "$L" --key "$WORK/k.pem" --config "$WORK/c-conf.json" >"$WORK/oc1" 2>&1; st1=$?
for r in failed other ok; do
	"$RACCORD" verify "$WORK/conf.json" --ledger "$L" --key "$WORK/k.pem" --config "$WORK/c-conf.json" \
		--conformance "$WORK/conf-$r.json" >"$WORK/oc-$r" 2>&1
	echo $? >"$WORK/oc-$r.st"
done
unsigned=0
for r in failed other ok; do
	[ "$(cat "$WORK/oc-$r.st")" = 1 ] && grep -q "the conformance report is not signed by raccord" "$WORK/oc-$r" &&
		unsigned=$((unsigned + 1))
done
if [ $st1 -eq 1 ] && grep -q "no conformance report was given" "$WORK/oc1" && [ $unsigned -eq 3 ] &&
	[ "$(wc -l < "$L/entries.jsonl")" -eq 1 ]; then
	ok "require_conformance: no report, or an unsealed one (failed, another dossier's, even verified): nothing awarded (exit 1)"
else
	nok "require_conformance refusals (exit $st1, $unsigned of 3 refused as unsigned)"
	for f in "$WORK/oc1" "$WORK/oc-failed" "$WORK/oc-other" "$WORK/oc-ok"; do tail -n 3 "$f"; done
fi

"$RACCORD" keygen other.example/x --key "$WORK/o.pem" --vkey "$WORK/o.vkey" >/dev/null 2>&1
"$RACCORD" verify "$WORK/ok.json" --ledger "$L" --key "$WORK/o.pem" --config "$WORK/c.json" >"$WORK/o4" 2>&1
[ $? -eq 2 ] && ok "wrong key: exit 2" || nok "wrong key"
"$RACCORD" verify "$WORK/ok.json" --ledger "$WORK/nope" --key "$WORK/k.pem" --config "$WORK/c.json" >"$WORK/o5" 2>&1
[ $? -eq 2 ] && ok "missing ledger: exit 2" || nok "missing ledger"
"$RACCORD" ledger verify "$L" --vkey "$WORK/k.vkey" >/dev/null 2>&1 && ok "ledger verifies" || nok "ledger verifies"

# The auditor replays the award with the campaign's policy (docs/ledger.md,
# "What verify enforces"): inside the window it verifies; against a window
# that had closed before the award, it is refused naming rule, line, seq.
policy_config() { # in out window_start window_end
	python3 -c 'import json, sys; c = json.load(open(sys.argv[1])); c["policy"] = {"window_start": sys.argv[3], "window_end": sys.argv[4]}; json.dump(c, open(sys.argv[2], "w"))' "$@"
}
policy_config "$WORK/c.json" "$WORK/c-open.json" "$(date -u -d '2 days ago' +%Y-%m-%d)" "$(date -u -d tomorrow +%Y-%m-%d)"
policy_config "$WORK/c.json" "$WORK/c-closed.json" "$(date -u -d '9 days ago' +%Y-%m-%d)" "$(date -u -d '2 days ago' +%Y-%m-%d)"
"$RACCORD" ledger verify "$L" --vkey "$WORK/k.vkey" --config "$WORK/c-open.json" >"$WORK/o8" 2>&1 &&
	ok "ledger verifies with the campaign's window" || { nok "window open"; tail -2 "$WORK/o8"; }
"$RACCORD" ledger verify "$L" --vkey "$WORK/k.vkey" --config "$WORK/c-closed.json" >"$WORK/o9" 2>&1
st=$?
[ $st -eq 1 ] && grep -q "rule policy.window broken: $L/entries.jsonl line 1 (seq 0): " "$WORK/o9" &&
	ok "an award outside the window is refused (exit 1)" || { nok "window closed (exit $st)"; tail -2 "$WORK/o9"; }
finish t_ledger_verify
