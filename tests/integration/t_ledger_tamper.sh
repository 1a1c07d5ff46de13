#!/bin/sh
# Truncation and corruption:
#  - the signed last line cut at every offset: verify fails naming it, and
#    a writer refuses to open (never truncates below the signed size);
#  - an unsigned last line (appended and fsynced, not yet signed) cut at
#    every offset: the next writer drops the torn part, or signs the
#    complete line, and the ledger verifies;
#  - random single-byte flips in every file of the ledger: all detected
#    by `ledger verify`, and a flipped entry is named by line and byte.
#    The flips come from a seeded generator; the seed is printed, and
#    LEDGER_SEED=<seed> replays the same flips.
NAME=t_ledger_tamper
. tests/ledger_shim/lib.sh
L=$WORK/L
mk_ledger "$L"
# Every offset in the normal build; under the sanitizers (whose process
# start-up makes each of the ~700 verifications slow) every 7th offset
# plus both ends, and fewer flips.
STEP=1
FLIPS=${LEDGER_FLIPS:-200}
case "$BUILD" in *san*) STEP=7 FLIPS=${LEDGER_FLIPS:-40} ;; esac
next_off() { # off limit: the next offset to try
	n=$(($1 + STEP))
	[ "$1" -lt "$2" ] && [ "$n" -gt "$2" ] && n=$2
	echo "$n"
}
"$DRV" append "$L" "$WORK/k.pem" 12 1 >/dev/null
"$DRV" append "$L" "$WORK/k.pem" 1 1 100 >/dev/null
size=$(wc -c < "$L/entries.jsonl")
last=$(tail -1 "$L/entries.jsonl" | wc -c) # with its newline
first=$((size - last))

# 1. The signed last line, cut at every offset.
cp -r "$L" "$WORK/orig"
bad=0
off=$first
while [ "$off" -lt "$size" ]; do
	rm -rf "$WORK/C"; cp -r "$WORK/orig" "$WORK/C"
	truncate -s "$off" "$WORK/C/entries.jsonl"
	if verify "$WORK/C" >"$WORK/out" 2>&1; then bad=$((bad + 1)); fi
	grep -q "truncated" "$WORK/out" || { bad=$((bad + 1)); sed 's/^/    /' "$WORK/out" | head -2; }
	if "$DRV" open "$WORK/C" "$WORK/k.pem" >/dev/null 2>&1; then bad=$((bad + 1)); fi
	[ "$(wc -c < "$WORK/C/entries.jsonl")" -eq "$off" ] || bad=$((bad + 1))
	off=$(next_off "$off" $((size - 1)))
done
[ "$bad" -eq 0 ] && ok || ko "signed line truncation: $bad misses over $last offsets"
echo "$NAME: signed last line cut at offsets $first..$((size - 1)) (step $STEP)"

# 2. An unsigned last line: roll the signed state back one append.
rm -rf "$WORK/U"; cp -r "$WORK/orig" "$WORK/U"
n=$(wc -l < "$WORK/U/entries.jsonl")
cp "$WORK/U/checkpoints/$((n - 1))" "$WORK/U/checkpoint"
rm -f "$WORK/U/checkpoints/$n" "$WORK/U/receipts/$((n - 1)).tlog-proof"
check "an unsigned complete tail is reported, not failed" verify "$WORK/U"
grep -q "not covered by a checkpoint" "$WORK/out" && ok || ko "unsigned tail not reported"
bad=0
off=$first
while [ "$off" -le "$size" ]; do
	rm -rf "$WORK/C"; cp -r "$WORK/U" "$WORK/C"
	truncate -s "$off" "$WORK/C/entries.jsonl"
	if ! "$DRV" open "$WORK/C" "$WORK/k.pem" >"$WORK/out" 2>&1; then
		bad=$((bad + 1)); sed 's/^/    /' "$WORK/out" | head -2
	fi
	verify "$WORK/C" >"$WORK/out" 2>&1 || { bad=$((bad + 1)); sed 's/^/    /' "$WORK/out" | head -2; }
	want=$first
	[ "$off" -eq "$size" ] && want=$size # a complete line is kept and signed
	[ "$(wc -c < "$WORK/C/entries.jsonl")" -eq "$want" ] || { bad=$((bad + 1)); echo "    offset $off: kept $(wc -c < "$WORK/C/entries.jsonl") bytes"; }
	off=$(next_off "$off" "$size")
done
[ "$bad" -eq 0 ] && ok || ko "unsigned line truncation: $bad problems"
echo "$NAME: unsigned last line cut at offsets $first..$size (step $STEP), recovered each time"
[ -f "$WORK/C/receipts/$((n - 1)).tlog-proof" ] && ok || ko "recovery wrote no receipt for the signed tail"

# 3. Random single-byte flips in every file, from a seeded generator
# (Python's Mersenne Twister, 32 bits per flip), so that a failure replays.
SEED=${LEDGER_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
echo "$NAME: random flips with seed $SEED (replay: LEDGER_SEED=$SEED)"
python3 -c "import random, sys; random.seed(int(sys.argv[1])); print('\n'.join(str(random.getrandbits(32)) for _ in range(int(sys.argv[2]))))" "$SEED" "$FLIPS" >"$WORK/rnd"
find "$WORK/orig" -type f ! -name lock | sort > "$WORK/files"
nf=$(wc -l < "$WORK/files")
missed=0 named=0 entry_flips=0 i=0
while [ "$i" -lt "$FLIPS" ]; do
	r=$(sed -n "$((i + 1))p" "$WORK/rnd")
	f=$(sed -n "$((r % nf + 1))p" "$WORK/files")
	rel=${f#"$WORK/orig/"}
	sz=$(wc -c < "$f")
	[ "$sz" -gt 0 ] || { i=$((i + 1)); continue; }
	pos=$((r / 7 % sz))
	x=$(( (r / 3 % 255) + 1 ))
	rm -rf "$WORK/C"; cp -r "$WORK/orig" "$WORK/C"
	python3 -c "import sys; p,o,x=sys.argv[1],int(sys.argv[2]),int(sys.argv[3]); b=bytearray(open(p,'rb').read()); b[o]^=x; open(p,'wb').write(b)" "$WORK/C/$rel" "$pos" "$x"
	if verify "$WORK/C" >"$WORK/out" 2>&1; then
		missed=$((missed + 1)); echo "    undetected: $rel byte $pos ^ $x"
	elif [ "$rel" = entries.jsonl ]; then
		entry_flips=$((entry_flips + 1))
		grep -q "line [0-9]" "$WORK/out" && named=$((named + 1))
	fi
	i=$((i + 1))
done
[ "$missed" -eq 0 ] && ok || ko "$missed of $FLIPS flips undetected (seed $SEED)"
[ "$named" -eq "$entry_flips" ] && ok || ko "only $named of $entry_flips entry flips named a line (seed $SEED)"
echo "$NAME: $FLIPS random byte flips over $nf files, $((FLIPS - missed)) detected ($entry_flips in entries.jsonl, $named named by line)"
# one flip, to show the message
rm -rf "$WORK/C"; cp -r "$WORK/orig" "$WORK/C"
sed -i '5s/"nom":"Commune 4"/"nom":"Commune 9"/' "$WORK/C/entries.jsonl"
verify "$WORK/C" > "$WORK/out" 2>&1
grep -q "line 5 (seq 4), byte" "$WORK/out" && ok || ko "edited entry not named by line and byte: $(cat "$WORK/out")"
finish
