#!/bin/sh
# A conformance report cannot be forged or reused (docs/conformance.md,
# "Verdict and award"): under policy.require_conformance, `raccord verify`
# awards FranceConnect only with a report sealed by `raccord conformance
# --signed-report` with this ledger's key, for this dossier's tested
# integration (client_id, redirect_uri), and fresh.  End to end: raccord-sim
# plays production FranceConnect for the awarded integration, and
# tests/conformance/flawed_rp.py (--flaw none) is the site's integration
# environment that raccord's provider tests.  The unit test
# tests/unit/connector/test_conf_seal.c covers staleness, edited seals and
# foreign keys.  Loopback only.
set -u
BUILD=${BUILD:-build}
. tests/integration/lib.sh
. tests/conformance/apache.sh # free_port
RP_PID=
seal_cleanup() {
	[ -n "$RP_PID" ] && kill "$RP_PID" 2>/dev/null && wait "$RP_PID" 2>/dev/null
	cleanup
}
trap seal_cleanup EXIT INT TERM
sim_start || { echo "t_conformance_seal: 0 passed, 1 failed"; exit 1; }
CA=$(cd "$CERTS" && pwd)/ca.pem
CERT=$(cd "$CERTS" && pwd)/server.pem
KEY=$(cd "$CERTS" && pwd)/server.key
RP=$(free_port)
PP=$(free_port)
ISSUER="https://127.0.0.1:$PP/api/v2"

write_config "$WORK/c.json" 15000 yes
python3 - "$WORK/c.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["policy"] = {"require_habilitation": False, "require_conformance": True}
json.dump(c, open(sys.argv[1], "w"))
PY
# The production integration (awarded) and the integration environment
# (tested by raccord's provider).
fc_dossier "$WORK/a.json" formpost "$PORTAL_PORT" https connexion
python3 - "$WORK/a.json" "$RP" <<'PY'
import json, sys
f, rp = sys.argv[1], sys.argv[2]
d = json.load(open(f))
d["integrations"].append({"kind": "franceconnect", "environment": "integration",
    "client_id": "cid-recette", "login_url": "https://127.0.0.1:%s/login" % rp,
    "redirect_uri": "https://127.0.0.1:%s/callback" % rp})
json.dump(d, open(f, "w"), indent=2)
PY
L=$WORK/L
"$RACCORD" keygen it.raccord.example/ledger --key "$WORK/k.pem" --vkey "$WORK/k.vkey" >/dev/null 2>&1
"$RACCORD" ledger init "$L" --key "$WORK/k.pem" --vkey "$WORK/k.vkey" >/dev/null
"$RACCORD" keygen other.example/ledger --key "$WORK/o.pem" --vkey "$WORK/o.vkey" >/dev/null 2>&1
"$RACCORD" ledger init "$WORK/O" --key "$WORK/o.pem" --vkey "$WORK/o.vkey" >/dev/null

"$RACCORD" conformance register "$WORK/a.json" --out "$WORK/a.reg" --secret-out "$WORK/a.secret" \
	>/dev/null 2>&1 || nok "register"
RCID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["client_id"])' "$WORK/a.reg")
python3 tests/conformance/flawed_rp.py --port "$RP" --cert "$CERT" --key "$KEY" --ca "$CA" \
	--issuer "$ISSUER" --client-id "$RCID" --secret-file "$WORK/a.secret" --flaw none \
	--landing protected 2>"$WORK/rp.log" &
RP_PID=$!
i=0
# /au-revoir, not /login: /login reads raccord's discovery document,
# and raccord's provider runs only during a conformance run.
while ! curl -s --cacert "$CA" -o /dev/null "https://127.0.0.1:$RP/au-revoir" && [ $i -lt 50 ]; do
	i=$((i + 1)); sleep 0.1
done

conf() { # OUT [ARGS...]
	out=$1; shift
	"$RACCORD" conformance "$WORK/a.json" --registration "$WORK/a.reg" --listen "127.0.0.1:$PP" \
		--public-url "$ISSUER" --tls-cert "$CERT" --tls-key "$KEY" \
		--config "$WORK/c.json" --format json "$@" >"$out" 2>"$out.err"
}
"$RACCORD" conformance "$WORK/a.json" --registration "$WORK/a.reg" --listen "127.0.0.1:$PP" \
	--public-url "$ISSUER" --tls-cert "$CERT" --tls-key "$KEY" --signed-report "$WORK/x" \
	--ledger "$L" >"$WORK/o" 2>&1; rc=$?
[ $rc -eq 2 ] && grep -q "go together" "$WORK/o" && [ ! -e "$WORK/x" ] &&
	ok "--signed-report without --key: usage error" || nok "--signed-report alone: exit $rc $(cat "$WORK/o")"
conf "$WORK/plain.json" --signed-report "$WORK/sealed.json" --ledger "$L" --key "$WORK/k.pem" --lang fr; rc=$?
[ $rc -eq 0 ] && [ -s "$WORK/sealed.json" ] && ok "conformance run sealed (exit 0)" ||
	nok "conformance run: exit $rc $(tail -3 "$WORK/plain.json.err")"
python3 - "$WORK/sealed.json" "$ISSUER" <<'PY' && ok "the seal binds dossier, client, redirect, environment, issuer, times, verdict, hash" || nok "seal text: $(head -c 900 "$WORK/sealed.json")"
import json, sys, re
s = json.load(open(sys.argv[1]))
assert s["format"] == "raccord-conformance-sealed/1", s["format"]
t = s["seal"]
for line in ["dossier_id IT-formpost", "client_id cid-recette", "environment integration",
             "issuer " + sys.argv[2], "verdict verified"]:
    assert "\n" + line + "\n" in t, line
assert re.search(r"\nredirect_uri https://127\.0\.0\.1:\d+/callback\n", t)
assert re.search(r"\nstart \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\nend \d{4}", t)
assert re.search(r"\nreport_sha256 [0-9a-f]{64}\n", t)
assert "\n\u2014 it.raccord.example/ledger " in t
PY
# --lang: explanations in the printed report (as raccord check), none in
# the sealed one (what is sealed does not depend on the reader's language).
python3 - "$WORK/plain.json" "$WORK/sealed.json" <<'PY' && ok "conformance --lang fr: explained report printed, sealed report unexplained" || nok "conformance --lang fr: $(head -c 600 "$WORK/plain.json")"
import json, sys
p = json.load(open(sys.argv[1]))
sec = [x for x in p["integrations"] if x["kind"] == "conformance"][0]
ref = [c for c in sec["checks"] if c["id"] == "fc.conformance.reference"][0]
assert ref["explanation"]["lang"] == "fr", ref
assert ref["explanation"]["title"] == "Une connexion FranceConnect correcte ouvre une session", ref
s = json.load(open(sys.argv[2]))
assert all("explanation" not in c for x in s["report"]["integrations"] for c in x["checks"])
PY
"$RACCORD" conformance "$WORK/a.json" --registration "$WORK/a.reg" --listen "127.0.0.1:$PP" \
	--public-url "$ISSUER" --tls-cert "$CERT" --tls-key "$KEY" --lang de >"$WORK/o" 2>&1; rc=$?
[ $rc -eq 2 ] && grep -q -- "--lang" "$WORK/o" && ok "conformance --lang de: exit 2" || nok "conformance --lang de: exit $rc $(cat "$WORK/o")"
conf "$WORK/other.json" --signed-report "$WORK/sealed-other.json" --ledger "$WORK/O" --key "$WORK/o.pem" ||
	nok "conformance run sealed by another ledger"
kill "$RP_PID" 2>/dev/null; wait "$RP_PID" 2>/dev/null; RP_PID=

verify() { # OUT [ARGS...]
	out=$1; shift
	"$RACCORD" verify "$WORK/a.json" --ledger "$L" --key "$WORK/k.pem" --config "$WORK/c.json" "$@" >"$out" 2>&1
}
# refused OUT WHAT REASON [ARGS...]: nothing awarded, the reason named.
refused() {
	out=$1 what=$2 why=$3; shift 3
	verify "$out" "$@"; rc=$?
	if [ $rc -eq 1 ] && ! grep -q AWARDED "$out" && grep -q "conformance" "$out" &&
		grep -q -- "$why" "$out" && [ ! -s "$L/entries.jsonl" ]; then
		ok "$what: refused, \"$why\""
	else
		nok "$what: exit $rc, wanted 1 naming \"$why\": $(grep -i conformance "$out" | head -3)"
	fi
}
refused "$WORK/v0" "no report" "no conformance report was given"
refused "$WORK/v1" "an unsigned report" "not signed by raccord" --conformance "$WORK/plain.json"
python3 - "$WORK/sealed.json" "$WORK/edited.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
sec = [x for x in s["report"]["integrations"] if x["kind"] == "conformance"][0]
sec["checks"][1]["status"] = "pass"   # hide a refusal... or any edit
sec["checks"][1]["detail"] = "edited by hand"
json.dump(s, open(sys.argv[2], "w"))
PY
refused "$WORK/v2" "a hand-edited report" "changed after it was sealed" --conformance "$WORK/edited.json"
refused "$WORK/v3" "a report sealed by another ledger's key" "not a valid signature of this ledger" \
	--conformance "$WORK/sealed-other.json"
sed 's/"cid-recette"/"cid-other"/' "$WORK/a.json" >"$WORK/b.json"
"$RACCORD" verify "$WORK/b.json" --ledger "$L" --key "$WORK/k.pem" --config "$WORK/c.json" \
	--conformance "$WORK/sealed.json" >"$WORK/v4" 2>&1; rc=$?
[ $rc -eq 1 ] && grep -q "tested client_id cid-recette, but the dossier's integrations\[1\] has client_id cid-other" "$WORK/v4" &&
	[ ! -s "$L/entries.jsonl" ] && ok "a report for another client_id: refused, named" ||
	nok "another client_id: exit $rc $(grep -i conformance "$WORK/v4" | head -3)"
# Stale and future seals: tests/unit/connector/test_conf_seal.c (the
# age limit is counted in days).

# The right one awards, and the entry records the sealed report's hash.
verify "$WORK/v6" --conformance "$WORK/sealed.json"; rc=$?
if grep -q AWARDED "$WORK/v6" && [ "$(wc -l <"$L/entries.jsonl")" -eq 1 ]; then
	ok "the right sealed report awards FranceConnect"
else
	nok "right report: exit $rc $(tail -5 "$WORK/v6")"
fi
h=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline()).get("conformance_sha256",""))' "$L/entries.jsonl")
[ -n "$h" ] && [ -f "$L/evidence/$h.json" ] &&
	[ "$(sha256sum <"$L/evidence/$h.json" | cut -d' ' -f1)" = "$h" ] &&
	python3 -c 'import json,sys; assert json.load(open(sys.argv[1])) == json.load(open(sys.argv[2]))' \
		"$L/evidence/$h.json" "$WORK/sealed.json" &&
	ok "the entry records conformance_sha256: the sealed report, stored as evidence" ||
	nok "conformance_sha256: entry '$h', evidence: $(ls "$L/evidence")"
# verify --lang: the checks explained as raccord check --lang shows them.
verify "$WORK/v7" --conformance "$WORK/sealed.json" --lang fr; rc=$?
grep -q "already awarded" "$WORK/v7" && grep -q "vérifié" "$WORK/v7" &&
	grep -q "Une connexion FranceConnect\|FranceConnect" "$WORK/v7" && ! grep -q AWARDED "$WORK/v7" &&
	ok "verify --lang fr: the explained report, then the decision" || nok "verify --lang fr: exit $rc $(head -c 800 "$WORK/v7")"
verify "$WORK/v8" --conformance "$WORK/sealed.json" --lang en --format json; rc=$?
python3 - "$WORK/v8" <<'PY' && ok "verify --lang en --format json: report with explanations" || nok "verify --lang en json: $(head -c 600 "$WORK/v8")"
import json, sys
o = json.loads(open(sys.argv[1]).readline())
checks = [c for s in o["report"]["integrations"] for c in s["checks"]]
assert checks and all(c["explanation"]["lang"] == "en" for c in checks), checks[:2]
assert o["dossier_id"] == "IT-formpost"
PY
verify "$WORK/v9" --lang xx; rc=$?
[ $rc -eq 2 ] && grep -q -- "--lang" "$WORK/v9" && ok "verify --lang xx: exit 2" || nok "verify --lang xx: exit $rc"
"$RACCORD" ledger verify "$L" --vkey "$WORK/k.vkey" >"$WORK/lv" 2>&1 &&
	ok "the ledger still verifies" || nok "ledger verify: $(tail -2 "$WORK/lv")"
finish t_conformance_seal
