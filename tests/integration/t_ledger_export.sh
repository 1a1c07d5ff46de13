#!/bin/sh
# The payment office's export (issue 14): every cell of awards.csv,
# awards.json and awards.xlsx is derived from the signed entries and
# checked by `raccord ledger verify-export` AND by the recipe shipped in
# the export (verify_export.py): each cell of each row changed one at a
# time, rows added, removed and reordered -- every change caught by both
# and named.  Also: a ledger of entry format 1 still verifies and exports;
# the xlsx types survive LibreOffice (when soffice is installed).
NAME=t_ledger_export
. tests/ledger_shim/lib.sh
L=$WORK/L
mk_ledger "$L"
"$DRV" append "$L" "$WORK/k.pem" 3 3 0 >/dev/null || ko "append"
"$RACCORD" ledger revoke "$L" --key "$WORK/k.pem" --seq 1 --reason "doublon" >/dev/null || ko "revoke"

check "export" "$RACCORD" ledger export "$L" --vkey "$WORK/k.vkey" --out "$WORK/X"
for f in awards.csv awards.xlsx awards.json entries.jsonl checkpoint log.vkey verify_export.py LISEZMOI-README.txt; do
	[ -s "$WORK/X/$f" ] && ok || ko "export lacks $f"
done
check "verify-export" "$RACCORD" ledger verify-export "$WORK/X" --vkey "$WORK/k.vkey"
grep -q "every cell of awards.csv, awards.json and awards.xlsx matches" "$WORK/out" && ok || ko "verify-export output: $(cat "$WORK/out")"
check "the shipped recipe (python3 + openssl)" python3 "$WORK/X/verify_export.py" --vkey "$WORK/k.vkey" "$WORK/X"
# The recipe run from inside the export, as the README says.
(cd "$WORK/X" && python3 verify_export.py --vkey "$WORK/k.vkey") >"$WORK/out" 2>&1 && ok || ko "recipe from inside the export: $(cat "$WORK/out")"
# The recipe's SHA-256 published in docs/ledger.md is the shipped one's.
h=$(sha256sum "$WORK/X/verify_export.py" | cut -d' ' -f1)
grep -q "verify_export.py SHA-256: $h" docs/ledger.md && ok || ko "docs/ledger.md does not publish the recipe's SHA-256 $h"
"$RACCORD" ledger verify-export "$WORK/X" --vkey "$WORK/k.vkey" | grep -q "SHA-256 $h" && ok || ko "verify-export does not print the recipe's SHA-256"
check_fails "verify-export needs a pinned key" 2 "$RACCORD" ledger verify-export "$WORK/X"
"$RACCORD" keygen other.example/log --key "$WORK/o.pem" --vkey "$WORK/o.vkey" >/dev/null 2>&1
check_fails "verify-export with another log's key" 1 "$RACCORD" ledger verify-export "$WORK/X" --vkey "$WORK/o.vkey"
check_fails "the recipe with another log's key" 1 python3 "$WORK/X/verify_export.py" --vkey "$WORK/o.vkey" "$WORK/X"

# The CSV dialect, now with the holder and the signed status.
head -1 "$WORK/X/awards.csv" | grep -q "seq;siren;siret;nom;titulaire;type;montant_eur;montant_centimes;iban;bic;dossier_id;date_utc;preuve_sha256;feuille_sha256;statut" && ok || ko "CSV header: $(head -1 "$WORK/X/awards.csv")"
grep -q ";DRFIP test;api;5000,00;500000;" "$WORK/X/awards.csv" && ok || ko "titulaire and amounts"
grep -q "^1;.*;revoque (entree 3)" "$WORK/X/awards.csv" && ok || ko "revoked status from the signed revocation"
[ "$(grep -c ';a_payer' "$WORK/X/awards.csv")" -eq 2 ] && ok || ko "payable rows"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['payable_cents']==1000000 and d['awards'][0]['titulaire']=='DRFIP test' and d['awards'][1]['status']=='revoked' and d['awards'][1]['revoked_by']==3" "$WORK/X/awards.json" && ok || ko "JSON export"

# Every cell, every row, both verifiers.
if python3 tests/integration/export_tamper.py "$RACCORD" "$WORK/X" "$WORK/k.vkey" >"$WORK/tamper" 2>&1; then ok; else ko "tampering not caught:"; head -20 "$WORK/tamper"; fi
tail -1 "$WORK/tamper"

# Entry format 1: still verifies, exports (titulaire empty), accepts v2.
V1=$WORK/v1
cp -r tests/data/ledger/v1/ledger "$V1"
cp tests/data/ledger/v1/test-only.pem "$WORK/v1.pem"; chmod 600 "$WORK/v1.pem"
check "a v1 ledger verifies" "$RACCORD" ledger verify "$V1" --vkey tests/data/ledger/v1/log.vkey
check "a v1 ledger exports" "$RACCORD" ledger export "$V1" --vkey tests/data/ledger/v1/log.vkey --out "$WORK/X1"
grep -q "^0;200000008;20000000800017;Commune 0;;api;" "$WORK/X1/awards.csv" && ok || ko "v1 row: titulaire not empty"
check "v1 export verifies" "$RACCORD" ledger verify-export "$WORK/X1" --vkey tests/data/ledger/v1/log.vkey
check "v1 export, the recipe" python3 "$WORK/X1/verify_export.py" --vkey tests/data/ledger/v1/log.vkey "$WORK/X1"
check "v2 awards after v1 entries" "$DRV" append "$V1" "$WORK/v1.pem" 2 1 500
check "the mixed ledger verifies" "$RACCORD" ledger verify "$V1" --vkey tests/data/ledger/v1/log.vkey
tail -1 "$V1/entries.jsonl" | grep -q '^{"v":3,.*"titulaire":"DRFIP test"' && ok || ko "v3 entry: $(tail -1 "$V1/entries.jsonl")"
check "the mixed ledger exports" "$RACCORD" ledger export "$V1" --vkey tests/data/ledger/v1/log.vkey --out "$WORK/X2"
check "mixed export verifies" "$RACCORD" ledger verify-export "$WORK/X2" --vkey tests/data/ledger/v1/log.vkey
check "mixed export, the recipe" python3 "$WORK/X2/verify_export.py" --vkey tests/data/ledger/v1/log.vkey "$WORK/X2"
# A v2 key in a v1 line, or a v1 line without... : strict parsing.
sed -n 1p "$V1/entries.jsonl" | sed 's/"nom":"Commune 0",/"nom":"Commune 0","titulaire":"x",/' > "$WORK/badv1"
check_fails "a v1 entry with a v2 key is refused" 1 "$RACCORD" ledger verify --vkey tests/data/ledger/v1/log.vkey --receipt "$V1/receipts/0.tlog-proof" --entry "$WORK/badv1"

# Nothing half-written: the k-th fsync or write of an export fails (EIO,
# through the LD_PRELOAD shim of t_ledger_faults): a clear error, non-zero
# exit, and no export directory left behind.
SHIM=$WORK/faulty_io.so
if cc -shared -fPIC -O1 -o "$SHIM" tests/ledger_shim/faulty_io.c -ldl; then
	PRE=$SHIM
	[ -n "$SANFLAGS" ] && PRE="$(cc -print-file-name=libasan.so) $SHIM"
	n=30 # more than the fsyncs and writes of one export
	missed=0 failed=0
	k=1
	while [ "$k" -le "$n" ]; do
		for kind in FAULT_FSYNC_AT FAULT_WRITE_AT; do
			rm -rf "$WORK/F"
			env LD_PRELOAD="$PRE" "$kind=$k" FAULT_WRITE_ERRNO=5 ASAN_OPTIONS="detect_leaks=0:verify_asan_link_order=0" \
				"$RACCORD" ledger export "$L" --vkey "$WORK/k.vkey" --out "$WORK/F" >"$WORK/fo" 2>&1
			st=$?
			[ $st -ne 0 ] && failed=$((failed + 1))
			if [ $st -eq 0 ]; then
				[ -d "$WORK/F" ] && "$RACCORD" ledger verify-export "$WORK/F" --vkey "$WORK/k.vkey" >/dev/null 2>&1 ||
					{ missed=$((missed + 1)); echo "  $kind=$k: exit 0 but no valid export"; }
			elif [ -e "$WORK/F" ]; then
				missed=$((missed + 1)); echo "  $kind=$k: exit $st and $WORK/F left behind: $(ls -A "$WORK/F" | tr '\n' ' ')"
			fi
		done
		k=$((k + 1))
	done
	[ $missed -eq 0 ] && ok || ko "$missed injected faults left a partial export"
	[ $failed -gt 20 ] && ok || ko "only $failed injected faults made the export fail"
	echo "$NAME: $failed of $((2 * n)) injected fsync/write faults failed an export cleanly"
else
	ko "cannot build the shim"
fi

# The xlsx in LibreOffice: identifiers stay text, amounts are euros, dates
# are dates (shown formatted, not as the ISO text), the totals row.
if command -v soffice >/dev/null 2>&1; then
	t0=$(date +%s)
	HOME=$WORK/lohome timeout 120 soffice --headless --norestore \
		--convert-to 'csv:Text - txt - csv (StarCalc):59,34,76,1,,0,false,true,true' \
		--outdir "$WORK/lo" "$WORK/X/awards.xlsx" >"$WORK/lo.log" 2>&1
	echo "$NAME: LibreOffice conversion took $(($(date +%s) - t0)) s"
	C=$WORK/lo/awards.csv
	if [ -s "$C" ]; then
		# row 6 (first award): seq;siren;siret;…
		sed -n 6p "$C" | grep -q '^0;200000008;20000000800017;Commune 0;DRFIP test;api;' && ok || ko "LibreOffice: identifiers not text: $(sed -n 6p "$C")"
		sed -n 6p "$C" | grep -q '5[ ,.]\{0,1\}000[.,]00 €;500000;' && ok || ko "LibreOffice: amount not euro currency: $(sed -n 6p "$C")"
		sed -n 6p "$C" | grep -Eq ';[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2};' && ok || ko "LibreOffice: date not a date: $(sed -n 6p "$C")"
		grep -q '^TOTAL a_payer;.*10[ ,.]\{0,1\}000[.,]00 €;1000000;' "$C" && ok || ko "LibreOffice: totals row: $(grep TOTAL "$C")"
		grep -q '^racine / checkpoint root (base64);' "$C" && ok || ko "LibreOffice: root header"
		grep -q 'E+' "$C" && ko "LibreOffice: scientific notation" || ok
	else
		ko "LibreOffice produced nothing: $(cat "$WORK/lo.log")"
	fi
else
	echo "$NAME: skip: soffice (libreoffice-calc-nogui) not installed"
fi
finish
