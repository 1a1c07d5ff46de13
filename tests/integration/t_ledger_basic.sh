#!/bin/sh
# The ledger end to end through the CLI: keys, init, appends, verify,
# receipts, proofs, export (CSV dialect), cosign, bad input of every kind,
# two concurrent writers, and the offline recipe shipped in the export.
NAME=t_ledger_basic
. tests/ledger_shim/lib.sh
L=$WORK/L

# Keys: 0600, never overwritten, group-readable refused.
check "keygen" "$RACCORD" keygen "$ORIGIN" --key "$WORK/k.pem" --vkey "$WORK/k.vkey"
[ "$(stat -c %a "$WORK/k.pem")" = 600 ] && ok || ko "key mode is not 0600"
check_fails "keygen over an existing key" 2 "$RACCORD" keygen "$ORIGIN" --key "$WORK/k.pem" --vkey "$WORK/x.vkey"
grep -q PRIVATE "$WORK/out" && ko "keygen printed the secret" || ok
cp "$WORK/k.pem" "$WORK/open.pem"; chmod 644 "$WORK/open.pem"
check_fails "world-readable key refused" 2 "$RACCORD" ledger init "$WORK/L2" --key "$WORK/open.pem" --vkey "$WORK/k.vkey"
grep -q "group or others" "$WORK/out" && ok || ko "no clear message for a readable key"
[ -e "$WORK/L2/entries.jsonl" ] && ko "half-written ledger" || ok

check "init" "$RACCORD" ledger init "$L" --key "$WORK/k.pem" --vkey "$WORK/k.vkey"
check_fails "init twice" 2 "$RACCORD" ledger init "$L" --key "$WORK/k.pem" --vkey "$WORK/k.vkey"
check "empty ledger verifies" verify "$L"
check "append 20 one by one" "$DRV" append "$L" "$WORK/k.pem" 20
check "append 30 in batches of 7" "$DRV" append "$L" "$WORK/k.pem" 30 7 1000
check "verify" verify "$L"
grep -q "50 entries (50 awards" "$WORK/out" && ok || ko "wrong counts: $(cat "$WORK/out")"
check_fails "the same SIREN twice is refused" 1 "$DRV" append "$L" "$WORK/k.pem" 1 1 0
[ "$(wc -l < "$L/entries.jsonl")" -eq 50 ] && ok || ko "a refused append wrote something"

# Receipts and proofs.
check "receipt verifies" "$RACCORD" ledger verify --vkey "$WORK/k.vkey" --receipt "$L/receipts/7.tlog-proof" --seq 7
check_fails "receipt for another entry" 1 "$RACCORD" ledger verify --vkey "$WORK/k.vkey" --receipt "$L/receipts/7.tlog-proof" --seq 8
sed -n 9p "$L/entries.jsonl" > "$WORK/e8"
check_fails "receipt with another entry's bytes" 1 "$RACCORD" ledger verify --vkey "$WORK/k.vkey" --receipt "$L/receipts/7.tlog-proof" --entry "$WORK/e8"
"$RACCORD" ledger prove "$L" 3 --vkey "$WORK/k.vkey" > "$WORK/p3" && ok || ko "prove"
check "a fresh proof verifies" "$RACCORD" ledger verify --vkey "$WORK/k.vkey" --receipt "$WORK/p3" --seq 3
"$RACCORD" ledger consistency "$L" --from 20 --vkey "$WORK/k.vkey" > "$WORK/c" && head -1 "$WORK/c" | grep -qx "old 20" && ok || ko "consistency"
check_fails "prove past the end" 2 "$RACCORD" ledger prove "$L" 99

# Foreign keys and checkpoints.
"$RACCORD" keygen other.example/log --key "$WORK/o.pem" --vkey "$WORK/o.vkey" >/dev/null 2>&1
check_fails "verify with another log's key" 1 "$RACCORD" ledger verify "$L" --vkey "$WORK/o.vkey"
grep -q "another log" "$WORK/out" && ok || ko "foreign vkey not named: $(cat "$WORK/out")"
check_fails "append with a key that did not sign the ledger" 2 "$DRV" append "$L" "$WORK/o.pem" 1 1 5000
"$RACCORD" ledger init "$WORK/O" --key "$WORK/o.pem" --vkey "$WORK/o.vkey" >/dev/null
cp "$L/checkpoint" "$WORK/saved.cp"; cp "$WORK/O/checkpoint" "$L/checkpoint"
check_fails "checkpoint of another origin" 1 verify "$L"
cp "$WORK/saved.cp" "$L/checkpoint"
check_fails "verify without a pinned key" 2 "$RACCORD" ledger verify "$L"

# Export: the French spreadsheet dialect.
check "export" "$RACCORD" ledger export "$L" --vkey "$WORK/k.vkey" --out "$WORK/X"
head -c 3 "$WORK/X/awards.csv" | od -An -tx1 | grep -q "ef bb bf" && ok || ko "no BOM"
head -1 "$WORK/X/awards.csv" | grep -q "seq;siren;siret;nom;titulaire;type;montant_eur" && ok || ko "CSV header"
grep -c "$(printf '\r')\$" "$WORK/X/awards.csv" | grep -qx 51 && ok || ko "CRLF rows"
grep -q ";5000,00;500000;" "$WORK/X/awards.csv" && ok || ko "amount columns"
check_fails "export over an existing directory" 2 "$RACCORD" ledger export "$L" --vkey "$WORK/k.vkey" --out "$WORK/X"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert len(d['awards'])==50 and d['payable_cents']==25000000" "$WORK/X/awards.json" && ok || ko "JSON export"

# The offline recipe shipped in the export (openssl + python3 stdlib only);
# every cell of it is exercised by t_ledger_export.sh.
check "offline recipe (openssl + python3)" python3 "$WORK/X/verify_export.py" --vkey "$WORK/k.vkey" "$WORK/X"
printf 'x' >> "$WORK/X/entries.jsonl"
check_fails "offline recipe detects a change" 1 python3 "$WORK/X/verify_export.py" --vkey "$WORK/k.vkey" "$WORK/X"
check_fails "verify-export detects a change" 1 "$RACCORD" ledger verify-export "$WORK/X" --vkey "$WORK/k.vkey"

# Cosign: the payment office as witness.
"$RACCORD" keygen office.example/witness --witness --key "$WORK/w.pem" --vkey "$WORK/w.vkey" >/dev/null 2>&1
check "first cosignature" "$RACCORD" ledger cosign "$L" --vkey "$WORK/k.vkey" --key "$WORK/w.pem" --name office.example/witness --state "$WORK/wstate" --out "$WORK/cosigned"
"$DRV" append "$L" "$WORK/k.pem" 3 1 2000 >/dev/null
check "cosign after a consistent append" "$RACCORD" ledger cosign "$L" --vkey "$WORK/k.vkey" --key "$WORK/w.pem" --name office.example/witness --state "$WORK/wstate" --out "$WORK/cosigned2"
grep -q "consistency proof" "$WORK/out" && ok || ko "no consistency check reported"
grep -c "^— " "$WORK/cosigned2" | grep -qx 2 && ok || ko "cosigned checkpoint lacks two signatures"
# A rewritten history: a fresh ledger of the same origin, larger, other entries.
mk_ledger "$WORK/R"; "$DRV" append "$WORK/R" "$WORK/k.pem" 60 10 7000 >/dev/null
check_fails "cosign refuses a split view" 1 "$RACCORD" ledger cosign "$WORK/R" --vkey "$WORK/k.vkey" --key "$WORK/w.pem" --name office.example/witness --state "$WORK/wstate"
grep -q "not consistent" "$WORK/out" && ok || ko "split view not named"

# Two concurrent writers: one waits for the other, both finish, nothing lost.
"$DRV" append "$L" "$WORK/k.pem" 100 1 10000 > "$WORK/w1" 2>&1 &
p1=$!
"$DRV" append "$L" "$WORK/k.pem" 100 1 20000 > "$WORK/w2" 2>&1 &
p2=$!
wait $p1; s1=$?; wait $p2; s2=$?
[ $s1 -eq 0 ] && [ $s2 -eq 0 ] && ok || ko "concurrent writers: exit $s1 $s2"
check "verify after concurrent writers" verify "$L"
grep -q "253 entries" "$WORK/out" && ok || ko "lost entries: $(cat "$WORK/out")"
# A writer that cannot get the lock in time fails clearly.
if command -v flock >/dev/null; then
	flock -x "$L/lock" sleep 3 &
	fp=$!
	sleep 0.5
	check_fails "lock held elsewhere" 1 "$DRV" open "$L" "$WORK/k.pem" 500
	grep -q "locked by another" "$WORK/out" && ok || ko "lock refusal not clear: $(cat "$WORK/out")"
	wait $fp
fi

# Revocation: a new entry naming the award and a reason; never an edit.
cp "$L/entries.jsonl" "$WORK/before"
check "revoke an award" "$RACCORD" ledger revoke "$L" --key "$WORK/k.pem" --seq 3 --reason "dossier annulé (doublon)"
grep -q "REVOKED entry 3" "$WORK/out" && ok || ko "revoke output: $(cat "$WORK/out")"
head -c "$(wc -c < "$WORK/before")" "$L/entries.jsonl" | cmp -s - "$WORK/before" && ok || ko "revoke edited earlier entries"
tail -1 "$L/entries.jsonl" | grep -q '"op":"revoke".*"ref_seq":3,"reason":"dossier annulé (doublon)"' && ok || ko "revoke entry: $(tail -1 "$L/entries.jsonl")"
check_fails "revoking twice is refused" 1 "$RACCORD" ledger revoke "$L" --key "$WORK/k.pem" --seq 3 --reason "again"
check_fails "revoking a revoke is refused" 1 "$RACCORD" ledger revoke "$L" --key "$WORK/k.pem" --seq 253 --reason "x"
check_fails "revoke needs a reason" 2 "$RACCORD" ledger revoke "$L" --key "$WORK/k.pem" --seq 4 --reason ""
check_fails "revoke of a missing entry" 2 "$RACCORD" ledger revoke "$L" --key "$WORK/k.pem" --seq 99999 --reason "x"
check "verify after revocations" verify "$L"
grep -q "1 revocations" "$WORK/out" && ok || ko "revocation not counted: $(cat "$WORK/out")"
finish
