#!/bin/sh
# fc.provider.accepts and fc.discovery against raccord-sim's FranceConnect
# as it really behaves (cookies at /authorize, 303 to the interaction,
# Y190001 without them) and as it fails (the /_sim/fault switches of
# docs/sim.md): the exact status of each check (error vs fail), the
# verdict, `raccord check` exit 3 and `raccord verify` exit 3 on an
# inconclusive answer, operator faults that name the config key, and
# cookies kept per flow, never in a report.  Loopback only.
set -u
. tests/integration/lib.sh
sim_start || { echo "fc-provider: 0 passed, 1 failed"; exit 1; }
CA=$(cd "$CERTS" && pwd)/ca.pem
write_config "$WORK/cfg.json" 8000 yes
write_config "$WORK/cfg-fast.json" 2500 yes

# fault NAME: switch the simulated FranceConnect's failure mode.
fault() {
	r=$(curl -s --noproxy '*' --max-time 5 --cacert "$CA" \
		--resolve "fc.test:$FC_PORT:127.0.0.1" \
		"https://fc.test:$FC_PORT/_sim/fault/$1")
	[ "$r" = ok ] || { echo "cannot set fault $1"; exit 1; }
}

# expect NAME EXIT CFG DOSSIER VERDICT "check=status ..." ["check~text" ...]
expect() {
	name=$1 want_exit=$2 cfg=$3 dossier=$4 want_verdict=$5 checks=$6
	shift 6
	"$RACCORD" check --config "$cfg" --format json "$dossier" \
		>"$WORK/$name.out" 2>"$WORK/$name.err"
	got=$?
	if [ "$got" != "$want_exit" ]; then
		nok "$name: exit $got, want $want_exit"; head -c 800 "$WORK/$name.out"; return
	fi
	if python3 - "$WORK/$name.out" "$want_verdict" "$checks" "$@" <<'PY'
import json, sys
rep = json.load(open(sys.argv[1]))
want_verdict, checks, texts = sys.argv[2], sys.argv[3].split(), sys.argv[4:]
errs = []
if rep["verdict"] != want_verdict:
    errs.append("verdict %s, want %s" % (rep["verdict"], want_verdict))
got = {}
for sec in rep["integrations"]:
    for c in sec["checks"]:
        got.setdefault(c["id"], c)
for spec in checks:
    cid, st = spec.split("=")
    c = got.get(cid)
    if c is None:
        errs.append("no check %s" % cid)
    elif c["status"] != st:
        errs.append("%s is %s (%s), want %s" % (cid, c["status"], c["detail"], st))
for spec in texts:
    cid, text = spec.split("~", 1)
    c = got.get(cid)
    if c is None or text not in c["detail"]:
        errs.append("%s detail lacks %r: %s" % (cid, text, c and c["detail"]))
# The provider's exchanges are evidence of the check.
c = got.get("fc.provider.accepts")
if c is not None and c["status"] not in ("skip",) and not c.get("exchanges"):
    errs.append("fc.provider.accepts cites no exchange")
if errs:
    print("  " + "\n  ".join(errs))
    sys.exit(1)
PY
	then ok "$name"; else nok "$name"; fi
}

fc_dossier "$WORK/ok.json" ok
fc_dossier "$WORK/short_nonce.json" short_nonce

# A correct site: FC's 303 sets fc_session_id and the interaction cookie;
# carried like a browser, they lead to the identity-provider choice.
fault none
expect accepted 0 "$WORK/cfg.json" "$WORK/ok.json" verified \
	"fc.discovery=pass fc.provider.accepts=pass" \
	"fc.provider.accepts~main-providers" "fc.provider.accepts~fc_session_id" \
	"fc.provider.accepts~1 redirect followed"
# Cookies: names only, never a value, in the report and on stderr.
if grep -q "fc_session_id=" "$WORK/accepted.out" "$WORK/accepted.err" ||
	grep -q "_interaction=" "$WORK/accepted.out" "$WORK/accepted.err"; then
	nok "a cookie value reached the report or the log"
else ok "cookie values stay out of the report and the log"; fi
# A refusal that blames the request is still a failure.
expect refused 1 "$WORK/cfg.json" "$WORK/short_nonce.json" failed \
	"fc.provider.accepts=fail" "fc.provider.accepts~Y030007"

# FC's own trouble and answers raccord does not understand: inconclusive
# (error, exit 3), never a failure of the collectivité.
fault authorize_500
expect authorize_500 3 "$WORK/cfg.json" "$WORK/ok.json" inconclusive \
	"fc.provider.accepts=error fc.authorize.endpoint=pass" "fc.provider.accepts~HTTP 500"
fault authorize_429
expect authorize_429 3 "$WORK/cfg.json" "$WORK/ok.json" inconclusive \
	"fc.provider.accepts=error" "fc.provider.accepts~HTTP 429"
fault error_200
expect error_code_in_200 3 "$WORK/cfg.json" "$WORK/ok.json" inconclusive \
	"fc.provider.accepts=error" "fc.provider.accepts~Y000000"
fault lost_session
expect lost_session 3 "$WORK/cfg.json" "$WORK/ok.json" inconclusive \
	"fc.provider.accepts=error" "fc.provider.accepts~Y190001"
fault loop
expect redirect_loop 3 "$WORK/cfg.json" "$WORK/ok.json" inconclusive \
	"fc.provider.accepts=error" "fc.provider.accepts~loop"
fault json
expect not_html 3 "$WORK/cfg.json" "$WORK/ok.json" inconclusive \
	"fc.provider.accepts=error" "fc.provider.accepts~application/json"
fault bare_400
expect bare_400 3 "$WORK/cfg.json" "$WORK/ok.json" inconclusive \
	"fc.provider.accepts=error" "fc.provider.accepts~HTTP 400"
# An allowed idp_hint goes straight on to an identity provider: accepted.
fault idp_hint
expect idp_hint 0 "$WORK/cfg.json" "$WORK/ok.json" verified \
	"fc.provider.accepts=pass" "fc.provider.accepts~idp.test"

# Discovery down or silent: inconclusive, the rules that need it skipped.
fault discovery_500
expect discovery_500 3 "$WORK/cfg.json" "$WORK/ok.json" inconclusive \
	"fc.discovery=error fc.login.redirect=pass fc.authorize.endpoint=skip fc.provider.accepts=skip" \
	"fc.discovery~HTTP 503"
fault discovery_timeout
expect discovery_timeout 3 "$WORK/cfg-fast.json" "$WORK/ok.json" inconclusive \
	"fc.discovery=error fc.provider.accepts=skip"
fault none

# raccord verify: an inconclusive check awards nothing and exits 3.
api_config "$WORK/c-dp.json" 8000
IT_DP_ID=raccord-it IT_DP_SECRET=sim-datapass-secret-7c41d09e
export IT_DP_ID IT_DP_SECRET
"$RACCORD" keygen it.raccord.example/ledger --key "$WORK/k.pem" --vkey "$WORK/k.vkey" >/dev/null 2>&1
"$RACCORD" ledger init "$WORK/L" --key "$WORK/k.pem" --vkey "$WORK/k.vkey" >/dev/null
fault authorize_500
"$RACCORD" verify "$WORK/ok.json" --ledger "$WORK/L" --key "$WORK/k.pem" --config "$WORK/c-dp.json" >"$WORK/v1" 2>&1
st=$?
if [ $st -eq 3 ] && [ ! -s "$WORK/L/entries.jsonl" ]; then ok "verify: inconclusive exits 3, awards nothing"
else nok "verify on inconclusive (exit $st)"; tail -3 "$WORK/v1"; fi
fault none
"$RACCORD" verify "$WORK/ok.json" --ledger "$WORK/L" --key "$WORK/k.pem" --config "$WORK/c-dp.json" >"$WORK/v2" 2>&1
st=$?
if [ $st -eq 0 ] && grep -q "AWARDED" "$WORK/v2"; then ok "verify: the same site, FC back, is awarded"
else nok "verify once FC is back (exit $st)"; tail -3 "$WORK/v2"; fi

# Operator faults (issue 14 §4): never a failure of the dossier.
# No trust anchor for the provider: fc.discovery names network.ca_file.
python3 - "$WORK/cfg.json" "$WORK/cfg-noca.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); del c["network"]["ca_file"]
json.dump(c, open(sys.argv[2], "w"))
PY
"$RACCORD" check --config "$WORK/cfg-noca.json" --format json "$WORK/ok.json" >"$WORK/noca.out" 2>"$WORK/noca.err"
if python3 - "$WORK/noca.out" <<'PY'
import json, sys
rep = json.load(open(sys.argv[1]))
c = [c for s in rep["integrations"] for c in s["checks"] if c["id"] == "fc.discovery"][0]
assert c["status"] == "error", c
assert "network.ca_file" in c["detail"], c
assert "franceconnect.production.discovery_url" in c["detail"], c
PY
then ok "no CA file: fc.discovery is an error naming network.ca_file"; else nok "no CA file"; cat "$WORK/noca.out" | head -c 600; fi
# A provider address the SSRF guard refuses (fc.test on 127.0.0.2, only
# 127.0.0.1 opened): inconclusive, the key named; the site still judged.
python3 - "$WORK/cfg.json" "$WORK/cfg-ssrf.json" "$FC_PORT" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["network"]["resolve"] = [r.replace(":127.0.0.1", ":127.0.0.2") if r.startswith("fc.test:") else r
                           for r in c["network"]["resolve"]]
c["network"]["allow_private"] = ["127.0.0.1/32"]
json.dump(c, open(sys.argv[2], "w"))
PY
expect ssrf_provider 3 "$WORK/cfg-ssrf.json" "$WORK/ok.json" inconclusive \
	"fc.discovery=error fc.login.redirect=pass" \
	"fc.discovery~franceconnect.production.discovery_url" "fc.discovery~network.allow_private"

# Cookies per flow: a batch of dossiers never brings an FC session cookie
# back to /authorize (each flow starts from an empty jar).
{ for i in 1 2 3; do tr -d '\n' <"$WORK/ok.json"; echo; done; } >"$WORK/batch.jsonl"
"$RACCORD" check --config "$WORK/cfg.json" --format json --batch "$WORK/batch.jsonl" >"$WORK/batch.out" 2>&1
seen=$(curl -s --noproxy '*' --max-time 5 --cacert "$CA" --resolve "fc.test:$FC_PORT:127.0.0.1" \
	"https://fc.test:$FC_PORT/_sim/seen")
if [ "$seen" = "authorize_with_session=0 foreign_cookie=0" ] && [ "$(grep -c '"verified"' "$WORK/batch.out")" -ge 3 ]; then
	ok "no FC cookie crosses flows or dossiers; no portal cookie reaches FC"
else nok "cookies crossed flows or hosts ($seen)"; fi

finish fc-provider
