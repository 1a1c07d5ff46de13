#!/bin/sh
# The ledger's C2SP tlog-tiles read side (GET /v1/ledger/tile/...) checked
# by an independent client, tests/integration/tlog_tiles_check.py: the
# tree recomputed from the tiles and from the entry bundles equals the
# signed checkpoint's root, inclusion proofs from the tiles verify and
# equal the daemon's /proof, level-1 tiles hash the full level-0 tiles
# below them.  Then: the log grows and the old tiles keep their bytes; a
# mirror on disk checks out, and a flipped byte in it, or a foreign key,
# is caught; roles, non-canonical paths, methods.  Loopback only.
NAME=t_tiles
. tests/ledger_shim/lib.sh
set -u
CHECK=tests/integration/tlog_tiles_check.py
L=$WORK/L
mk_ledger "$L"

T_INSTR=it-tiles-instructor-8d01
T_PAY=it-tiles-payment-2b7c
T_SELF=it-tiles-selfcheck-5e3a
T_ADMIN=it-tiles-admin-0f9e
PORT=$(python3 tests/integration/free_port.py)
BASE=http://127.0.0.1:$PORT
PREFIX=$BASE/v1/ledger
python3 - "$WORK/d.json" "$PORT" "$WORK/jobs.sqlite" "$L" "$WORK/k.pem" \
	"$T_INSTR" "$T_PAY" "$T_SELF" "$T_ADMIN" <<'PY'
import hashlib, json, sys
out, port, store, ledger, key, ti, tp, ts, ta = sys.argv[1:10]
h = lambda t: hashlib.sha256(t.encode()).hexdigest()
cfg = {"daemon": {"listen": "127.0.0.1:%s" % port, "store": store,
                  "tokens": [{"name": "dinum-1", "role": "instructor", "sha256": h(ti)},
                             {"name": "paiement", "role": "payment", "sha256": h(tp)},
                             {"name": "page", "role": "selfcheck", "sha256": h(ts)},
                             {"name": "ops", "role": "admin", "sha256": h(ta)}]},
       "ledger": {"dir": ledger, "key_file": key}}
json.dump(cfg, open(out, "w"), indent=2)
PY

DPID=
"$RACCORD" serve --config "$WORK/d.json" >"$WORK/daemon.out" 2>"$WORK/daemon.log" &
DPID=$!
trap 'kill -9 "$DPID" 2>/dev/null; rm -rf "$WORK"' EXIT INT TERM
i=0
until curl -s -o /dev/null "$BASE/healthz"; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$DPID" 2>/dev/null; then
		echo "raccord serve did not start:"; tail -5 "$WORK/daemon.log"; exit 1
	fi
	sleep 0.1
done

# code PATH TOKEN [curl args]: the HTTP status; body in $WORK/resp
code() {
	p=$1 t=$2
	shift 2
	if [ -n "$t" ]; then set -- -H "Authorization: Bearer $t" "$@"; fi
	curl -s -o "$WORK/resp" -D "$WORK/hdrs" -w '%{http_code}' "$@" "$BASE$p"
}
expect() { # description want got
	if [ "$2" = "$3" ]; then ok; else ko "$1: HTTP $3, want $2: $(head -c 200 "$WORK/resp")"; fi
}
tiles() { # description args...: the checker must pass
	d=$1; shift
	if TILES_TOKEN=$T_PAY python3 "$CHECK" "$@" >"$WORK/check.out" 2>&1; then
		ok; echo "  $(tail -1 "$WORK/check.out")"
	else
		ko "$d: $(cat "$WORK/check.out")"
	fi
}
tiles_fail() { # description args...: the checker must find the fault
	d=$1; shift
	TILES_TOKEN=$T_PAY python3 "$CHECK" "$@" >"$WORK/check.out" 2>&1
	if [ $? = 1 ] && grep -q "check FAILED: " "$WORK/check.out"; then ok; else ko "$d: the checker did not fail: $(cat "$WORK/check.out")"; fi
}

# The empty tree: a checkpoint of size 0 and no tile at all.
tiles "the empty tree" "$PREFIX" --vkey "$WORK/k.vkey"
expect "no tile in the empty tree" 404 "$(code /v1/ledger/tile/0/000.p/1 "$T_PAY")"
expect "no bundle in the empty tree" 404 "$(code /v1/ledger/tile/entries/000.p/1 "$T_PAY")"

# 600 entries: level-0 tiles 0 and 1 full, tile 2 partial (88), a partial
# level-1 tile of width 2.
check "append 600 entries" "$DRV" append "$L" "$WORK/k.pem" 600 64
tiles "600 entries" "$PREFIX" --vkey "$WORK/k.vkey" --mirror "$WORK/m1" --proofs 40
grep -q "600 entries, 2 levels" "$WORK/check.out" || ko "600 entries: $(cat "$WORK/check.out")"
cat "$WORK"/m1/tile/entries/000 >/dev/null 2>&1 || ko "the mirror has no bundle 000"
python3 - "$WORK/m1/tile/entries" "$L/entries.jsonl" <<'PY' && ok || ko "the bundles are not the bytes of entries.jsonl"
import os, sys
d, f = sys.argv[1:3]
out = b""
for name in ("000", "001", "002.p/88"):
    b = open(os.path.join(d, name), "rb").read()
    at = 0
    while at < len(b):
        n = int.from_bytes(b[at:at + 2], "big")
        out += b[at + 2:at + 2 + n] + b"\n"
        at += 2 + n
assert out == open(f, "rb").read()
PY
tiles "the mirror on disk" "file://$WORK/m1" --vkey "$WORK/k.vkey" --proofs 40

# Content types and caching.
expect "a full tile" 200 "$(code /v1/ledger/tile/0/001 "$T_PAY")"
grep -qi '^Content-Type: application/octet-stream' "$WORK/hdrs" && ok || ko "tile Content-Type"
grep -qi '^Cache-Control: private, max-age=31536000, immutable' "$WORK/hdrs" && ok || ko "tile caching: $(grep -i cache-control "$WORK/hdrs")"
[ "$(wc -c <"$WORK/resp")" = 8192 ] && ok || ko "a full tile is not 8192 bytes"
expect "the checkpoint" 200 "$(code /v1/ledger/checkpoint "$T_PAY")"
grep -qi '^Content-Type: text/plain; charset=utf-8' "$WORK/hdrs" && ok || ko "checkpoint Content-Type"
grep -qi '^Cache-Control: no-store' "$WORK/hdrs" && ok || ko "the checkpoint is cached"
expect "past the tree: 404" 404 "$(code /v1/ledger/tile/0/002 "$T_PAY")"
grep -qi '^Cache-Control: no-store' "$WORK/hdrs" && ok || ko "a 404 tile is cached"

# The log grows to 768: tile 2 is full now, level 1 is 3 wide; what was
# served before keeps its bytes (tiles are immutable).
check "append 168 more" "$DRV" append "$L" "$WORK/k.pem" 168 64 600
tiles "768 entries" "$PREFIX" --vkey "$WORK/k.vkey" --mirror "$WORK/m2" --proofs 40
grep -q "768 entries, 2 levels" "$WORK/check.out" || ko "768 entries: $(cat "$WORK/check.out")"
for f in tile/0/000 tile/0/001 tile/entries/000 tile/entries/001; do
	cmp -s "$WORK/m1/$f" "$WORK/m2/$f" && ok || ko "$f changed as the log grew"
done
expect "the old partial tile is still served" 200 "$(code /v1/ledger/tile/0/002.p/88 "$T_PAY")"
cmp -s "$WORK/resp" "$WORK/m1/tile/0/002.p/88" && ok || ko "the old partial tile changed"
head -c 2816 "$WORK/m2/tile/0/002" | cmp -s - "$WORK/m1/tile/0/002.p/88" && ok || ko "a partial tile is not the prefix of the full one"

# The checker catches a changed tile, a changed entry and a foreign key.
cp -r "$WORK/m2" "$WORK/bad"
python3 -c 'import sys; f=sys.argv[1]; b=bytearray(open(f,"rb").read()); b[100]^=1; open(f,"wb").write(b)' "$WORK/bad/tile/0/001"
tiles_fail "a flipped bit in a level-0 tile" "file://$WORK/bad"
cp "$WORK/m2/tile/0/001" "$WORK/bad/tile/0/001"
python3 -c 'import sys; f=sys.argv[1]; b=bytearray(open(f,"rb").read()); b[50]^=1; open(f,"wb").write(b)' "$WORK/bad/tile/entries/002"
tiles_fail "a flipped bit in an entry" "file://$WORK/bad"
cp "$WORK/m2/tile/entries/002" "$WORK/bad/tile/entries/002"
python3 -c 'import sys; f=sys.argv[1]; b=bytearray(open(f,"rb").read()); b[5]^=1; open(f,"wb").write(b)' "$WORK/bad/tile/1/000.p/3"
tiles_fail "a flipped bit in a level-1 tile" "file://$WORK/bad"
cp "$WORK/m2/tile/1/000.p/3" "$WORK/bad/tile/1/000.p/3"
tiles "the repaired mirror" "file://$WORK/bad" --vkey "$WORK/k.vkey" --proofs 5
"$RACCORD" keygen other.example/log --key "$WORK/o.pem" --vkey "$WORK/o.vkey" >/dev/null 2>&1
tiles_fail "a checkpoint checked with another key" "$PREFIX" --vkey "$WORK/o.vkey" --proofs 0

# Roles: the ledger readers (instructor, payment, admin).
for p in /v1/ledger/tile/0/000 /v1/ledger/tile/entries/000 /v1/ledger/tile/1/000.p/3; do
	expect "$p without a token" 401 "$(code "$p" "")"
	expect "$p with a wrong token" 401 "$(code "$p" not-a-token)"
	expect "$p as instructor" 200 "$(code "$p" "$T_INSTR")"
	expect "$p as payment" 200 "$(code "$p" "$T_PAY")"
	expect "$p as admin" 200 "$(code "$p" "$T_ADMIN")"
	expect "$p as selfcheck" 403 "$(code "$p" "$T_SELF")"
done
# One spelling per tile; anything else is 404, other methods 405.
for p in 0/0 0/00 00/000 0/x000/001 0/001/002 0/000.p/0 0/000.p/256 \
	0/000.p/088 0/000/ entries/ entries/x000/000 64/000 8/000 1/000 \
	0/003 0/003.p/1 entries/003.p/1 1/000.p/4 2/000.p/1 x/000 data/000; do
	expect "tile/$p: 404" 404 "$(code "/v1/ledger/tile/$p" "$T_PAY")"
done
expect "POST on a tile: 405" 405 "$(code /v1/ledger/tile/0/000 "$T_PAY" -X POST)"
grep -qi '^Allow: GET' "$WORK/hdrs" && ok || ko "405 without Allow"
expect "/v1/ledger/tile alone: 404" 404 "$(code /v1/ledger/tile "$T_PAY")"

grep -q "$T_PAY\|$T_INSTR" "$WORK/daemon.log" && ko "a token reached the log" || ok
kill -TERM "$DPID"; wait "$DPID"; rc=$?
[ $rc = 0 ] && ok || ko "SIGTERM: exit $rc"
if grep -q "Sanitizer\|runtime error" "$WORK/daemon.log"; then
	ko "sanitizer report:"; grep -m5 "Sanitizer\|runtime error" "$WORK/daemon.log"
fi
finish
