#!/bin/sh
# The CLI as a person uses it (issue 14): a dossier on standard input, a
# batch's closing summary on stderr, --quiet, colours on a terminal only
# (NO_COLOR honoured), verify --format json.  Against raccord-sim.
. tests/integration/lib.sh
sim_start || exit 1
write_config "$WORK/cfg.json" 8000 yes
fc_dossier "$WORK/ok.json" ok

# "-" reads the dossier from standard input.
"$RACCORD" check --config "$WORK/cfg.json" --format json - <"$WORK/ok.json" >"$WORK/stdin.out" 2>"$WORK/stdin.err"
rc=$?
[ $rc -eq 0 ] && grep -q '"verdict": "verified"' "$WORK/stdin.out" &&
	ok "check - reads the dossier from stdin" || nok "check -: exit $rc $(head -c 300 "$WORK/stdin.err")"

# A batch: two dossiers and a refused line; the summary names each count.
{ tr -d '\n' <"$WORK/ok.json"; echo; tr -d '\n' <"$WORK/ok.json"; echo; echo '{"dossier_id": 1}'; } >"$WORK/b.jsonl"
"$RACCORD" check --config "$WORK/cfg.json" --format json --batch "$WORK/b.jsonl" >"$WORK/b.out" 2>"$WORK/b.err"
rc=$?
if [ $rc -eq 2 ] && grep -q '^raccord check: 3 dossiers: 2 verified, 0 failed, 0 inconclusive, 1 refused inputs (' "$WORK/b.err"; then
	ok "batch: closing summary on stderr"
else
	nok "batch summary: exit $rc, stderr: $(tail -2 "$WORK/b.err")"
fi
[ "$(wc -l <"$WORK/b.out")" -eq 3 ] && ok "batch: one line per input on stdout" || nok "batch stdout: $(wc -l <"$WORK/b.out") lines"
"$RACCORD" check -q --config "$WORK/cfg.json" --format json --batch "$WORK/b.jsonl" >/dev/null 2>"$WORK/q.err"
[ ! -s "$WORK/q.err" ] && ok "--quiet: nothing on stderr" || nok "--quiet printed: $(head -2 "$WORK/q.err")"

# Colours on a terminal only, and never with NO_COLOR.
esc=$(printf '\033')
if ! command -v script >/dev/null; then
	nok "script(1) is missing (bsdutils): cannot give raccord a terminal"
else
	script -qec "$RACCORD check --config $WORK/cfg.json --format text $WORK/ok.json" /dev/null >"$WORK/tty.out" 2>&1
	grep -q "$esc\[" "$WORK/tty.out" && ok "colours on a terminal" || nok "no colour on a terminal"
	NO_COLOR=1 script -qec "$RACCORD check --config $WORK/cfg.json --format text $WORK/ok.json" /dev/null >"$WORK/nc.out" 2>&1
	grep -q "$esc\[" "$WORK/nc.out" && nok "NO_COLOR ignored" || ok "NO_COLOR: no colour"
	grep -q "verified" "$WORK/nc.out" && ok "NO_COLOR: the report is there" || nok "NO_COLOR: no report"
	"$RACCORD" check --config "$WORK/cfg.json" --format text "$WORK/ok.json" >"$WORK/pipe.out" 2>&1
	grep -q "$esc" "$WORK/pipe.out" && nok "colours in a pipe" || ok "no colour in a pipe"
fi

# A self-check needs no bank details; verify then says why it cannot pay.
python3 - "$WORK/ok.json" "$WORK/nopay.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); del d["paiement"]; d["dossier_id"] = "IT-nopay"
json.dump(d, open(sys.argv[2], "w"))
PY
# (without the DataPass rule, so that the missing bank details decide)
python3 - "$WORK/cfg.json" "$WORK/cfg-nohab.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); c.setdefault("policy", {})["require_habilitation"] = False
json.dump(c, open(sys.argv[2], "w"))
PY
"$RACCORD" check --config "$WORK/cfg-nohab.json" --format json "$WORK/nopay.json" >"$WORK/np.out" 2>"$WORK/np.err"
rc=$?
if [ $rc -eq 0 ] && python3 -c "import json,sys; r=json.load(open(sys.argv[1])); p=r['integrations'][0]['payable']; assert r['verdict']=='verified' and p['code']=='no_bank_details' and not p['would_award'], p" "$WORK/np.out"; then
	ok "check without paiement: verified, payable says why not"
else
	nok "check without paiement: exit $rc $(head -c 400 "$WORK/np.out")"
fi
"$RACCORD" keygen np.example/ledger --key "$WORK/np.pem" --vkey "$WORK/np.vkey" >/dev/null 2>&1
"$RACCORD" ledger init "$WORK/np-ledger" --key "$WORK/np.pem" --vkey "$WORK/np.vkey" >/dev/null 2>&1
"$RACCORD" verify "$WORK/nopay.json" --ledger "$WORK/np-ledger" --key "$WORK/np.pem" --config "$WORK/cfg-nohab.json" >"$WORK/npv.out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q "refused: .*no paiement" "$WORK/npv.out" && [ -f "$WORK/np-ledger/entries.jsonl" ] && [ ! -s "$WORK/np-ledger/entries.jsonl" ] &&
	ok "verify without paiement: refused, nothing awarded" || nok "verify without paiement: exit $rc $(cat "$WORK/npv.out")"

# verify --format json: one object per dossier with each decision.
"$RACCORD" keygen it.example/ledger --key "$WORK/k.pem" --vkey "$WORK/k.vkey" >/dev/null 2>&1
"$RACCORD" ledger init "$WORK/ledger" --key "$WORK/k.pem" --vkey "$WORK/k.vkey" >/dev/null 2>&1
"$RACCORD" verify "$WORK/ok.json" --ledger "$WORK/ledger" --key "$WORK/k.pem" --config "$WORK/cfg.json" --format json >"$WORK/v.out" 2>"$WORK/v.err"
rc=$?
if python3 - "$WORK/v.out" <<'PY'
import json, sys
o = json.loads(open(sys.argv[1]).read())
d = o["decisions"][0]
assert o["dossier_id"] == "IT-ok", o
assert d["kind"] == "franceconnect" and d["payable"] in ("yes", "habilitation_not_checked"), d
assert len(o["evidence_sha256"]) == 64
PY
then ok "verify --format json (exit $rc)"; else nok "verify --format json: $(head -c 400 "$WORK/v.out") $(head -c 300 "$WORK/v.err")"; fi
"$RACCORD" verify "$WORK/ok.json" --ledger "$WORK/ledger" --key "$WORK/k.pem" --format yaml >/dev/null 2>&1
[ $? -eq 2 ] && ok "verify --format yaml: exit 2" || nok "verify --format yaml accepted"

# Check my site in one command: the dossier from flags, no file, no bank
# details; the same rules and the same report.
P="https://portal.test:$PORTAL_PORT/ok"
"$RACCORD" check --config "$WORK/cfg-nohab.json" --format json --siret 21750001600019 \
	--login-url "$P/auth/franceconnect" --client-id cid-ok --redirect-uri "$P/callback" \
	>"$WORK/flags.out" 2>"$WORK/flags.err"
rc=$?
if [ $rc -eq 0 ] && python3 - "$WORK/flags.out" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["verdict"] == "verified", r["verdict"]
i = r["integrations"][0]
assert r["dossier_id"] == "self-check"
assert i["kind"] == "franceconnect" and i["payable"]["code"] == "no_bank_details", i["payable"]
assert not i["payable"]["would_award"]
PY
then ok "check from flags: verified, payable says no bank details"; else nok "check from flags: exit $rc $(head -c 300 "$WORK/flags.err") $(head -c 300 "$WORK/flags.out")"; fi
# Every bad or missing flag at once, each named as the flag.
"$RACCORD" check --config "$WORK/cfg.json" --siret 21750001600018 --login-url ftp://x/ \
	--kind Commune --env prod >"$WORK/badflags.out" 2>"$WORK/badflags.err"
rc=$?
n=0
for w in "--siret: 21750001600018 fails the Luhn check" "--login-url: scheme must be https" \
	'--kind: unknown categorie "Commune"; did you mean "commune"?' '--env: unknown environment "prod"' \
	"--client-id: is required" "--redirect-uri: is required"; do
	grep -qF -- "raccord check: $w" "$WORK/badflags.err" && n=$((n + 1)) || nok "bad flags: no \"$w\" in: $(cat "$WORK/badflags.err")"
done
[ $rc -eq 2 ] && [ $n -eq 6 ] && [ ! -s "$WORK/badflags.out" ] && ok "bad flags: exit 2, all six errors at once" || nok "bad flags: exit $rc, $n of 6"
"$RACCORD" check --siret 21750001600019 "$WORK/ok.json" >/dev/null 2>&1
[ $? -eq 2 ] && ok "flags and a dossier file together: exit 2" || nok "flags with a file accepted"

# A dossier file with 26 mistakes: 20 printed, then how many more.
python3 - "$WORK/ok.json" "$WORK/many.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); d.update({"zz%02d" % i: 1 for i in range(25)})
d["collectivite"]["siren"] = "217500017"
json.dump(d, open(sys.argv[2], "w"))
PY
"$RACCORD" check --config "$WORK/cfg.json" "$WORK/many.json" >/dev/null 2>"$WORK/many.err"
rc=$?
if [ $rc -eq 2 ] && [ "$(grep -c "^raccord check: $WORK/many.json: " "$WORK/many.err")" -eq 20 ] &&
	[ "$(tail -1 "$WORK/many.err")" = "raccord check: ... and 6 more errors" ]; then
	ok "26 input errors: 20 printed, then \"... and 6 more errors\""
else
	nok "26 input errors: exit $rc: $(head -3 "$WORK/many.err"; tail -2 "$WORK/many.err")"
fi
# A few: every one, each with its JSON path.
python3 - "$WORK/ok.json" "$WORK/few.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["collectivite"]["categorie"] = "Commune"; d["paiement"]["iban"] = "FR7630006000011234567890188"
d["integrations"][0]["redirect_uri"] = "callback"
json.dump(d, open(sys.argv[2], "w"))
PY
"$RACCORD" check --config "$WORK/cfg.json" "$WORK/few.json" >/dev/null 2>"$WORK/few.err"
rc=$?
[ $rc -eq 2 ] && [ "$(wc -l <"$WORK/few.err")" -eq 3 ] && grep -q "collectivite.categorie" "$WORK/few.err" &&
	grep -q "paiement.iban" "$WORK/few.err" && grep -q "integrations\[0\].redirect_uri" "$WORK/few.err" &&
	ok "three input errors, three lines" || nok "few errors: exit $rc: $(cat "$WORK/few.err")"

finish t_cli_ux
