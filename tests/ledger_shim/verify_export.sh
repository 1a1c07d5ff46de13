#!/bin/sh
# Verify a `raccord ledger export` directory with standard tools only:
# the openssl CLI (Ed25519 signature of the checkpoint) and Python's
# standard library (RFC 6962 root of entries.jsonl, CSV rows against the
# entries).  Usage: verify_export.sh EXPORT_DIR PINNED.vkey
# Exit 0 when everything matches, 1 otherwise.  Documented in
# docs/ledger.md ("Verifying an export offline").
set -u
X=$1
VKEY=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
# 1. The pinned verifier key: name+keyid+base64(0x01 || 32-byte key).
python3 - "$VKEY" "$X/checkpoint" "$T" <<'PY' || exit 1
import base64, sys
vkey = open(sys.argv[1]).read().strip()
name, keyid, b64 = vkey.split("+", 2)
raw = base64.b64decode(b64, validate=True)
assert raw[0] == 1 and len(raw) == 33, "not an Ed25519 vkey"
# SubjectPublicKeyInfo DER for Ed25519 = fixed prefix || key
open(sys.argv[3] + "/pub.der", "wb").write(bytes.fromhex("302a300506032b6570032100") + raw[1:])
note = open(sys.argv[2], "rb").read()
split = note.rindex(b"\n\n")
text, sigs = note[:split + 1], note[split + 2:]
open(sys.argv[3] + "/text", "wb").write(text)
for line in sigs.decode().splitlines():
    if not line.startswith("\u2014 "):
        sys.exit("malformed signature line")
    n, s = line[2:].split(" ", 1)
    sig = base64.b64decode(s, validate=True)
    if n == name and sig[:4].hex() == keyid:
        open(sys.argv[3] + "/sig", "wb").write(sig[4:])
        break
else:
    sys.exit("checkpoint not signed by the pinned key")
lines = text.decode().split("\n")
if lines[0] != name:
    sys.exit("checkpoint of another origin: " + lines[0])
PY
openssl pkey -pubin -inform DER -in "$T/pub.der" -out "$T/pub.pem" 2>/dev/null || exit 1
openssl pkeyutl -verify -pubin -inkey "$T/pub.pem" -rawin -in "$T/text" \
	-sigfile "$T/sig" >/dev/null 2>&1 || { echo "checkpoint signature: BAD"; exit 1; }
# 2. The tree: RFC 6962 root of the exported entries, and the CSV rows.
python3 - "$X" "$T/text" <<'PY' || exit 1
import base64, csv, hashlib, io, json, sys
X = sys.argv[1]
origin, size, root = open(sys.argv[2]).read().split("\n")[:3]
size = int(size)
def h(b): return hashlib.sha256(b).digest()
data = open(X + "/entries.jsonl", "rb").read()
if data and not data.endswith(b"\n"):
    sys.exit("entries.jsonl: last line has no newline")
lines = data.split(b"\n")[:-1] if data else []
leaves = [h(b"\x00" + l) for l in lines]
def mth(lv):
    if not lv: return h(b"")
    if len(lv) == 1: return lv[0]
    k = 1
    while k * 2 < len(lv): k *= 2
    return h(b"\x01" + mth(lv[:k]) + mth(lv[k:]))
if len(leaves) != size or base64.b64encode(mth(leaves)).decode() != root:
    sys.exit("entries.jsonl does not match the signed checkpoint")
rows = list(csv.DictReader(io.StringIO(open(X + "/awards.csv", encoding="utf-8-sig", newline="").read()), delimiter=";"))
awards = [json.loads(l) for l in lines if json.loads(l)["op"] == "award"]
if len(rows) != len(awards):
    sys.exit("awards.csv: %d rows for %d awards" % (len(rows), len(awards)))
for r in rows:
    seq = int(r["seq"]); e = json.loads(lines[seq])
    if r["feuille_sha256"] != leaves[seq].hex() or r["siren"] != e["siren"] \
       or int(r["montant_centimes"]) != e["amount_cents"] or r["iban"].lstrip("'") != e["iban"]:
        sys.exit("awards.csv row for seq %d does not match the entry" % seq)
print("export verified: %s, %d entries, %d awards, root %s" % (origin, size, len(rows), root))
PY
