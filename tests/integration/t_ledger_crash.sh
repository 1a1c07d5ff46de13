#!/bin/sh
# kill -9 during appends: a writer appending one award at a time (fsync,
# sign, checkpoint, receipt per award) is killed at random moments until
# at least 1,000 appends were acknowledged.  After recovery, the ledger
# verifies, and every receipt handed out (every "ACK" line printed after
# ledger_append returned) still verifies against the pinned key; only an
# unacknowledged tail may be lost.
NAME=t_ledger_crash
. tests/ledger_shim/lib.sh
L=$WORK/L
mk_ledger "$L"
TARGET=${LEDGER_CRASH_APPENDS:-1000}
acked=0 kills=0 start=0
: > "$WORK/acks"
while [ "$acked" -lt "$TARGET" ]; do
	"$DRV" append "$L" "$WORK/k.pem" 200 1 "$start" > "$WORK/run.out" 2>"$WORK/run.err" &
	pid=$!
	# a random delay of 0 to 0.4 s, shorter than 200 appends take, so
	# nearly every writer dies mid-append; then SIGKILL
	d=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
	sleep "0.$(printf "%03d" $((d % 400)))"
	kill -9 "$pid" 2>/dev/null && kills=$((kills + 1))
	wait "$pid" 2>/dev/null
	grep '^ACK ' "$WORK/run.out" >> "$WORK/acks"
	acked=$(wc -l < "$WORK/acks")
	start=$((start + 200))
	# the next writer recovers (torn tail, unsigned entries, receipts)
	if ! "$DRV" open "$L" "$WORK/k.pem" > "$WORK/open.out" 2>&1; then
		ko "recovery after kill $kills"; sed 's/^/    /' "$WORK/open.out" | head -3
		break
	fi
done
echo "$NAME: $acked appends acknowledged, $kills writers killed"
[ "$acked" -ge "$TARGET" ] && ok || ko "only $acked appends acknowledged"
check "ledger verifies after $kills kills" verify "$L"
# every receipt handed out verifies, for its own entry (`ledger verify`
# above checked every receipt file; here each acknowledged one is checked
# on its own, one process each: every 10th under the sanitizers, whose
# start-up dominates)
STEP=1
case "$BUILD" in *san*) STEP=10 ;; esac
bad=0
while read -r _ seq path; do
	[ $((seq % STEP)) -eq 0 ] || continue
	if ! "$RACCORD" ledger verify --vkey "$WORK/k.vkey" --receipt "$path" --seq "$seq" >/dev/null 2>&1; then
		bad=$((bad + 1)); echo "    receipt $seq does not verify"
	fi
	# and the entry is in the ledger at its place
	sed -n "$((seq + 1))p" "$L/entries.jsonl" | grep -q "\"seq\":$seq," || { bad=$((bad + 1)); echo "    entry $seq missing"; }
done < "$WORK/acks"
[ "$bad" -eq 0 ] && ok || ko "$bad acknowledged appends lost or unverifiable"
n=$(wc -l < "$L/entries.jsonl")
[ "$n" -ge "$acked" ] && ok || ko "$n entries for $acked acknowledged"
finish
