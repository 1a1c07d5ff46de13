#!/bin/sh
# `raccord ledger verify` as the payment office's audit (docs/ledger.md,
# "What verify enforces").  The operator holds the signing key, so every
# fixture here is a ledger SIGNED WITH THE RIGHT KEY (checkpoints/<k> for
# every size, the checkpoint, one receipt per entry) by the test driver's
# `forge`, which writes whatever entries it is given exactly as the honest
# writer would.  Each fixture breaks one rule; verify must exit 1 and name
# the rule, the line and the seq.  Rollback and fork fixtures are made
# from an honest ledger by moving its head back, or by signing a second
# history with the same key; the roots involved must be named.
NAME=t_ledger_audit
. tests/ledger_shim/lib.sh
verify() { # DIR [args]: lib.sh's verify, with extra arguments
	d=$1
	shift
	"$RACCORD" ledger verify "$d" --vkey "$WORK/k.vkey" "$@"
}

# --- the honest ledger H, then B: the same entries with fixed times -------
# line:seq  1:0 api S0  2:1 api S1  3:2 api S2  4:3 api S3
#           5:4 fc S0   6:5 fc S1   7:6 fc S10  8:7 fc S11  9:8 revoke of 0
H=$WORK/H
mk_ledger "$H"
"$DRV" append "$H" "$WORK/k.pem" 4 1 0 api >/dev/null &&
	"$DRV" append "$H" "$WORK/k.pem" 2 1 0 franceconnect >/dev/null &&
	"$DRV" append "$H" "$WORK/k.pem" 2 1 10 franceconnect >/dev/null &&
	"$RACCORD" ledger revoke "$H" --key "$WORK/k.pem" --seq 0 --reason "doublon" >/dev/null ||
	{ ko "cannot build the honest ledger"; finish; }
check "the honest ledger verifies" verify "$H"

# The forge signs exactly as the writer: same entries, same bytes.
mk_ledger "$WORK/H2"
cp "$H"/evidence/* "$WORK/H2/evidence/"
"$DRV" forge "$WORK/H2" "$WORK/k.pem" "$H/entries.jsonl"
diff -r -x lock "$H" "$WORK/H2" >/dev/null && ok || ko "forge does not reproduce the honest writer's ledger byte for byte"

# edit IN OUT CODE: E is the list of entries (dicts, key order kept), S[i]
# the (siren, siret) of line i+1; CODE edits E; written back compactly.
edit() {
	python3 - "$1" "$2" "$3" <<'EOF'
import json, sys
E = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
S = [(e["siren"], e.get("siret")) for e in E]
def who(i, j):  # line i+1 takes the SIREN and SIRET of line j+1
    E[i]["siren"], E[i]["siret"] = S[j]
exec(sys.argv[3])
with open(sys.argv[2], "w", encoding="utf-8") as f:
    for e in E:
        f.write(json.dumps(e, separators=(",", ":"), ensure_ascii=False) + "\n")
EOF
}
TIMES='
for i, e in enumerate(E):
    e["time"] = "2026-03-02T09:15:%02dZ" % i
'
edit "$H/entries.jsonl" "$WORK/base.jsonl" "$TIMES"

# fixture NAME CODE: a fresh ledger signed with the log key, holding the
# base entries edited by CODE.
fixture() {
	F=$WORK/$1
	rm -rf "$F"
	mk_ledger "$F"
	cp "$H"/evidence/* "$F/evidence/"
	edit "$WORK/base.jsonl" "$WORK/$1.jsonl" "$2"
	"$DRV" forge "$F" "$WORK/k.pem" "$WORK/$1.jsonl" || ko "forge $1"
}
# expect_rule DESC RULE LINE SEQ DIR [verify args]: exit 1, rule, line, seq.
expect_rule() {
	d=$1 rule=$2 line=$3 seq=$4 dir=$5
	shift 5
	"$RACCORD" ledger verify "$dir" --vkey "$WORK/k.vkey" "$@" >"$WORK/out" 2>&1
	st=$?
	if [ "$st" -eq 1 ] && grep -q "rule $rule broken: $dir/entries.jsonl line $line (seq $seq): " "$WORK/out"; then
		ok
	else
		ko "$d: wanted exit 1 naming rule $rule, line $line, seq $seq (exit $st)"
		sed 's/^/    /' "$WORK/out" | head -3
	fi
}
# expect_msg DESC PATTERN DIR [verify args]: exit 1 and the pattern.
expect_msg() {
	d=$1 pat=$2 dir=$3
	shift 3
	"$RACCORD" ledger verify "$dir" --vkey "$WORK/k.vkey" "$@" >"$WORK/out" 2>&1
	st=$?
	if [ "$st" -eq 1 ] && grep -q -- "$pat" "$WORK/out"; then
		ok
	else
		ko "$d: wanted exit 1 and \"$pat\" (exit $st)"
		sed 's/^/    /' "$WORK/out" | head -3
	fi
}

fixture B ""
check "the base fixture (honest entries, forged signatures) verifies" verify "$WORK/B"

# --- entry rules, one fixture each -------------------------------------
fixture second_fc 'who(7, 6)'
expect_rule "a second franceconnect award for a SIREN" policy.one_per_kind 8 7 "$WORK/second_fc"
grep -q "second franceconnect award for SIREN $(sed -n 7p "$WORK/base.jsonl" | sed 's/.*"siren":"\([0-9]*\)".*/\1/')" "$WORK/out" && ok || ko "second award: SIREN not named"

fixture third 'who(6, 1)'
expect_rule "a third award for a SIREN" policy.two_per_siren 7 6 "$WORK/third"
grep -q "third award for SIREN 200000016: it holds the franceconnect (entry 5) and api (entry 1) forfaits" "$WORK/out" && ok || ko "third award: detail"

fixture amount 'E[2]["amount_cents"] = 600000'
expect_rule "a wrong amount" policy.amount 3 2 "$WORK/amount"
grep -q "amount 600000 cents, the forfait is 500000" "$WORK/out" && ok || ko "amount: values not named"

fixture time_back 'E[4]["time"] = "2026-03-02T09:14:59Z"'
expect_rule "time going backwards" ledger.time 5 4 "$WORK/time_back"

fixture seq_gap 'E[4]["seq"] = 5'
expect_rule "a seq gap" ledger.seq 5 5 "$WORK/seq_gap"
grep -q "(a gap)" "$WORK/out" && ok || ko "seq gap not called a gap"
fixture seq_repeat 'E[4]["seq"] = 3'
expect_rule "a seq repeat" ledger.seq 5 3 "$WORK/seq_repeat"
grep -q "(a repeat)" "$WORK/out" && ok || ko "seq repeat not called a repeat"

fixture revoke_unknown 'E[8]["ref_seq"] = 6'
expect_rule "a revoke of an unknown award" policy.revoke_unknown 9 8 "$WORK/revoke_unknown"
fixture revoke_twice '
r = dict(E[8]); r["seq"] = 9; r["time"] = "2026-03-02T09:16:00Z"; E.append(r)'
expect_rule "a revoke of an already revoked award" policy.revoke_twice 10 9 "$WORK/revoke_twice"
grep -q "revoke of entry 0, already revoked" "$WORK/out" && ok || ko "revoke twice: detail"

# Window and envelope come from the config, as for the writer.
printf '{"policy":{"window_start":"2026-03-01","window_end":"2026-03-02"}}\n' >"$WORK/win.json"
check "awards inside the window verify" verify "$WORK/B" --config "$WORK/win.json"
fixture window_last 'E[7]["time"] = "2026-03-02T23:59:59Z"; E[8]["time"] = "2026-03-03T00:00:00Z"'
check "an award at the window's last second verifies (a revoke after it too)" verify "$WORK/window_last" --config "$WORK/win.json"
fixture window_out 'E[7]["time"] = "2026-03-03T00:00:00Z"; E[8]["time"] = "2026-03-03T00:00:00Z"'
expect_rule "an award after the window" policy.window 8 7 "$WORK/window_out" --config "$WORK/win.json"
printf '{"policy":{"window_start":"2026-03-03"}}\n' >"$WORK/win2.json"
expect_rule "an award before the window" policy.window 1 0 "$WORK/B" --config "$WORK/win2.json"

printf '{"policy":{"envelope_cents":4000000}}\n' >"$WORK/env8.json"
check "awards that exactly fill the envelope verify" verify "$WORK/B" --config "$WORK/env8.json"
printf '{"policy":{"envelope_cents":3999999}}\n' >"$WORK/env7.json"
expect_rule "an award over the envelope" policy.envelope 8 7 "$WORK/B" --config "$WORK/env7.json"

# --- rollback ------------------------------------------------------------
# back DIR N: move the head of DIR back to size N, as a dishonest operator
# would (checkpoint, and entries.jsonl cut to N lines).
back() {
	cp "$1/checkpoints/$2" "$1/checkpoint"
	head -n "$2" "$1/entries.jsonl" >"$WORK/cut" && cat "$WORK/cut" >"$1/entries.jsonl"
}
rm -rf "$WORK/R1"; cp -r "$WORK/B" "$WORK/R1"
cp "$WORK/R1/checkpoints/6" "$WORK/R1/checkpoint"
rm -f "$WORK/R1"/receipts/6.tlog-proof "$WORK/R1"/receipts/7.tlog-proof "$WORK/R1"/receipts/8.tlog-proof
expect_msg "a checkpoints/N beyond the head" "rule rollback.checkpoint broken: $WORK/R1/checkpoints/7 signs more entries than the head ($WORK/R1/checkpoint signs 6)" "$WORK/R1"

# Every checkpoint ever signed is kept: one removed is found by its receipt.
rm -rf "$WORK/R0"; cp -r "$WORK/B" "$WORK/R0"
rm "$WORK/R0/checkpoints/3"
expect_msg "a signed checkpoint removed" "$WORK/R0/receipts/2.tlog-proof (entry 2): its checkpoint (size 3) is not one of checkpoints/" "$WORK/R0"

rm -rf "$WORK/R2"; cp -r "$WORK/B" "$WORK/R2"
back "$WORK/R2" 6
rm -f "$WORK/R2/checkpoints/7" "$WORK/R2/checkpoints/8" "$WORK/R2/checkpoints/9"
expect_msg "entries removed after their receipt was handed out" "rule rollback.receipt broken: $WORK/R2/receipts/[678].tlog-proof (entry [678]): signed for [789] entries, but the head of $WORK/R2 signs only 6" "$WORK/R2"
rm -f "$WORK/R2"/receipts/6.tlog-proof "$WORK/R2"/receipts/7.tlog-proof "$WORK/R2"/receipts/8.tlog-proof
check "the same rollback with its receipts removed verifies (only a witness sees it)" verify "$WORK/R2"

# The payment office cosigned B at size 9; R2 is B rolled back to 6.
"$RACCORD" keygen office.example/witness --witness --key "$WORK/w.pem" --vkey "$WORK/w.vkey" >/dev/null 2>&1
check "the office cosigns B" "$RACCORD" ledger cosign "$WORK/B" --vkey "$WORK/k.vkey" --key "$WORK/w.pem" --name office.example/witness --state "$WORK/wstate" --out "$WORK/cosigned"
check "B verifies against the cosigned checkpoint" verify "$WORK/B" --state "$WORK/wstate"
grep -q "consistent with the checkpoint cosigned in $WORK/wstate (size 9)" "$WORK/out" && ok || ko "cosigned check not reported"
check "the cosignature output (with the witness line) is accepted as state" verify "$WORK/B" --state "$WORK/cosigned"
expect_msg "a head smaller than the cosigned checkpoint" "rule rollback.cosigned broken: the checkpoint cosigned in $WORK/wstate: signed for 9 entries, but the head of $WORK/R2 signs only 6" "$WORK/R2" --state "$WORK/wstate"
check_fails "an unreadable cosigned state is bad input (exit 2)" 2 verify "$WORK/B" --state "$WORK/nope"
check_fails "a cosigned state that is no checkpoint is bad input (exit 2)" 2 verify "$WORK/B" --state "$WORK/w.vkey"
"$RACCORD" keygen "$ORIGIN" --key "$WORK/o.pem" --vkey "$WORK/o.vkey" >/dev/null 2>&1
"$RACCORD" ledger init "$WORK/O" --key "$WORK/o.pem" --vkey "$WORK/o.vkey" >/dev/null
check_fails "a cosigned state signed by another key of the same name is bad input (exit 2)" 2 verify "$WORK/B" --state "$WORK/O/checkpoint"

# --- fork: a second history of the same size, signed with the same key ---
fixture fork 'who(7, 2); E[7]["nom"] = "Commune fork"'
check "the forked history verifies on its own" verify "$WORK/fork"
root_of() { sed -n 3p "$1"; }
rb=$(root_of "$WORK/B/checkpoints/9") rf=$(root_of "$WORK/fork/checkpoints/9")
[ "$rb" != "$rf" ] && ok || ko "fork fixture has the same root"
expect_msg "a fork against the cosigned checkpoint" "rule fork.cosigned broken: the checkpoint cosigned in $WORK/wstate: its checkpoint of size 9 has root $rb, the ledger's own tree of size 9 has root $rf" "$WORK/fork" --state "$WORK/wstate"
# The fork extended past the cosigned size is still a fork, at that size.
rm -rf "$WORK/fork10"; cp -r "$WORK/fork" "$WORK/fork10"
"$DRV" append "$WORK/fork10" "$WORK/k.pem" 1 1 20 >/dev/null
expect_msg "a longer fork against the cosigned checkpoint" "rule fork.cosigned broken: .*size 9 has root $rb, the ledger's own tree of size 9 has root $rf" "$WORK/fork10" --state "$WORK/wstate"
# A receipt of B handed out for entry 7, found in the fork.
cp "$WORK/B/receipts/7.tlog-proof" "$WORK/fork/receipts/7.tlog-proof"
rb8=$(root_of "$WORK/B/checkpoints/8") rf8=$(root_of "$WORK/fork/checkpoints/8")
expect_msg "a receipt from another history" "rule fork.receipt broken: $WORK/fork/receipts/7.tlog-proof (entry 7): its checkpoint of size 8 has root $rb8, the ledger's own tree of size 8 has root $rf8" "$WORK/fork"
finish
