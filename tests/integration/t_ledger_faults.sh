#!/bin/sh
# fsync / ENOSPC / EIO / short-write injection with an LD_PRELOAD shim
# (tests/ledger_shim/faulty_io.c, built here with cc).  For every fault
# point K in an append (the K-th fsync or write of the writer process),
# the append must fail with a clear message and a non-zero exit, nothing
# acknowledged may be lost, and the next writer (without faults) must
# recover a ledger that verifies.
NAME=t_ledger_faults
. tests/ledger_shim/lib.sh
SHIM=$WORK/faulty_io.so
cc -shared -fPIC -O1 -o "$SHIM" tests/ledger_shim/faulty_io.c -ldl ||
	{ ko "cannot build the shim"; finish; }
PRE=$SHIM
# With ASan the runtime must come first in LD_PRELOAD.
if [ -n "$SANFLAGS" ]; then
	PRE="$(cc -print-file-name=libasan.so) $SHIM"
	export ASAN_OPTIONS="detect_leaks=0:verify_asan_link_order=0"
fi
L=$WORK/L
mk_ledger "$L"
"$DRV" append "$L" "$WORK/k.pem" 3 1 >/dev/null

inject() { # kind value k start
	kind=$1 val=$2 k=$3 start=$4
	before=$(wc -l < "$L/entries.jsonl")
	case $kind in
	fsync) env LD_PRELOAD="$PRE" FAULT_FSYNC_AT="$k" "$DRV" append "$L" "$WORK/k.pem" 2 1 "$start" >"$WORK/acks" 2>"$WORK/err" ;;
	write) env LD_PRELOAD="$PRE" FAULT_WRITE_AT="$k" FAULT_WRITE_ERRNO="$val" "$DRV" append "$L" "$WORK/k.pem" 2 1 "$start" >"$WORK/acks" 2>"$WORK/err" ;;
	short) env LD_PRELOAD="$PRE" FAULT_WRITE_AT="$k" FAULT_WRITE_SHORT=1 "$DRV" append "$L" "$WORK/k.pem" 2 1 "$start" >"$WORK/acks" 2>"$WORK/err" ;;
	esac
	st=$?
	if [ "$st" -eq 0 ]; then
		return 2 # the fault point is past this run's last call
	fi
	grep -Eq "fsync failed|write failed|No space|Input/output|cannot" "$WORK/err" ||
		{ ko "$kind@$k: unclear error: $(head -c 300 "$WORK/err")"; return 1; }
	# recovery without faults
	"$DRV" open "$L" "$WORK/k.pem" >"$WORK/rec" 2>&1 || { ko "$kind@$k: recovery failed: $(cat "$WORK/rec")"; return 1; }
	verify "$L" >"$WORK/out" 2>&1 || { ko "$kind@$k: ledger does not verify: $(cat "$WORK/out")"; return 1; }
	while read -r _ seq path; do
		"$DRV" ledger verify --vkey "$WORK/k.vkey" --receipt "$path" --seq "$seq" >/dev/null 2>&1 ||
			{ ko "$kind@$k: acknowledged entry $seq lost"; return 1; }
	done < "$WORK/acks"
	after=$(wc -l < "$L/entries.jsonl")
	[ "$after" -ge "$before" ] || { ko "$kind@$k: entries lost"; return 1; }
	ok
	return 0
}

points=0
start=1000
for kind in fsync write short; do
	for val in ENOSPC EIO; do
		[ "$kind" = write ] || [ "$val" = ENOSPC ] || continue
		k=1
		while [ "$k" -le 40 ]; do
			inject "$kind" "$val" "$k" "$start"
			r=$?
			start=$((start + 10))
			[ "$r" -eq 2 ] && break
			points=$((points + 1))
			k=$((k + 1))
		done
	done
done
echo "$NAME: $points fault points injected (fsync EIO, write ENOSPC/EIO, short writes)"
[ "$points" -ge 20 ] && ok || ko "too few fault points ($points)"
check "final ledger verifies" verify "$L"
finish
