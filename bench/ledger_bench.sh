#!/bin/sh
# Ledger benchmark (run by hand): append rate with fsync per award and in
# batches, then `ledger verify` time and peak RSS on an N-entry ledger,
# beside sha256sum over the same bytes in the same run.
#   BUILD=build sh bench/ledger_bench.sh [N] [BATCH]
# Results are recorded in docs/ledger.md ("Benchmark").
set -e
BUILD=${BUILD:-build}
N=${1:-10000}
BATCH=${2:-64}
NAME=ledger_bench
. tests/ledger_shim/lib.sh
L=$WORK/L
mk_ledger "$L"
t0=$(date +%s.%N)
"$DRV" append "$L" "$WORK/k.pem" 200 1 >/dev/null
t1=$(date +%s.%N)
echo "append, fsync per award: $(python3 -c "print('%.1f' % (200/($t1-$t0)))") awards/s"
t0=$(date +%s.%N)
"$DRV" append "$L" "$WORK/k.pem" "$N" "$BATCH" 1000000 >/dev/null
t1=$(date +%s.%N)
echo "append, batches of $BATCH: $(python3 -c "print('%.1f' % ($N/($t1-$t0)))") awards/s ($N awards)"
total=$(wc -l < "$L/entries.jsonl")
bytes=$(du -sb "$L" | cut -f1)
sync
/usr/bin/time -f "verify: %e s, peak RSS %M KiB" "$DRV" ledger verify "$L" --vkey "$WORK/k.vkey" >/dev/null
/usr/bin/time -f "sha256sum over the same files: %e s, peak RSS %M KiB" \
	sh -c "find '$L' -type f -print0 | xargs -0 cat | sha256sum >/dev/null"
echo "ledger: $total entries, $bytes bytes in $(find "$L" -type f | wc -l) files"
