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

finish t_cli_ux
