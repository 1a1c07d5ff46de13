#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# verify_export.py -- check a raccord ledger export with standard tools only
# (vérifier un export du registre raccord avec des outils standard).
#
#   python3 verify_export.py --vkey PINNED.vkey [EXPORT_DIR]
#
# Needs Python 3.6+ (standard library only) and the `openssl` command
# (OpenSSL 3) for the Ed25519 signature.  EXPORT_DIR defaults to the
# directory of this script.  PINNED.vkey is the log key the payment office
# received out of band -- never the log.vkey found inside the export.
#
# It checks, in this order:
#   1. the checkpoint is signed by the pinned key (openssl pkeyutl);
#   2. entries.jsonl has exactly the checkpoint's number of lines and hashes
#      to its root (RFC 6962 Merkle tree, SHA-256);
#   3. every row and every cell of awards.csv, awards.json and awards.xlsx
#      equals what the signed entries say (status from the signed
#      revocations), naming the file, row and column of each difference.
# Exit status: 0 everything matches; 1 something differs (pay nothing from
# this export); 2 usage error or a missing tool.
# The same checks are made by `raccord ledger verify-export`.
import base64
import calendar
import csv
import hashlib
import io
import json
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
import zipfile

COLS = ["seq", "siren", "siret", "nom", "titulaire", "type", "montant_eur",
        "montant_centimes", "iban", "bic", "dossier_id", "date_utc",
        "preuve_sha256", "feuille_sha256", "statut"]
TEXT_COLS = {"nom", "titulaire", "iban", "bic", "dossier_id"}  # formula guard
NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
HEADER_LABELS = ["origine / origin", "taille / tree size",
                 "racine / checkpoint root (base64)"]
FIRST_ROW = 6  # 1-based row of the first award in awards.xlsx

problems = []


def bad(msg):
    problems.append(msg)
    if len(problems) <= 50:
        print(msg)


def fatal(msg, status=1):
    print(msg)
    print("export NOT verified: pay nothing from it")
    sys.exit(status)


def no_dups(pairs):
    d = {}
    for k, v in pairs:
        if k in d:
            raise ValueError("duplicate key " + k)
        d[k] = v
    return d


def h(b):
    return hashlib.sha256(b).digest()


def mth(leaves):  # RFC 6962 section 2.1
    if not leaves:
        return h(b"")
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return h(b"\x01" + mth(leaves[:k]) + mth(leaves[k:]))


def check_signature(vkey_file, note):
    vkey = open(vkey_file, encoding="utf-8").read().strip()
    try:
        name, keyid, b64 = vkey.split("+", 2)
        raw = base64.b64decode(b64, validate=True)
    except ValueError:
        fatal("%s: not a verifier key name+id+base64" % vkey_file, 2)
    if len(raw) != 33 or raw[0] != 1:
        fatal("%s: not an Ed25519 verifier key" % vkey_file, 2)
    der = bytes.fromhex("302a300506032b6570032100") + raw[1:]
    pem = ("-----BEGIN PUBLIC KEY-----\n" + base64.b64encode(der).decode()
           + "\n-----END PUBLIC KEY-----\n")
    split = note.rfind(b"\n\n")
    if split < 0:
        fatal("checkpoint: no signature block")
    text, sigs = note[:split + 1], note[split + 2:]
    sig = None
    for line in sigs.decode("utf-8").splitlines():
        if not line.startswith("\u2014 "):
            fatal("checkpoint: malformed signature line")
        n, s = line[2:].split(" ", 1)
        blob = base64.b64decode(s, validate=True)
        if n == name and blob[:4].hex() == keyid and len(blob) == 68:
            sig = blob[4:]
    if sig is None:
        fatal("checkpoint: not signed by the pinned key %s" % name)
    with tempfile.TemporaryDirectory() as t:
        for fn, data in (("pub.pem", pem.encode()), ("text", text),
                         ("sig", sig)):
            with open(os.path.join(t, fn), "wb") as f:
                f.write(data)
        try:
            r = subprocess.run(
                ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey",
                 os.path.join(t, "pub.pem"), "-rawin", "-in",
                 os.path.join(t, "text"), "-sigfile", os.path.join(t, "sig")],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except OSError:
            fatal("the openssl command is needed (OpenSSL 3)", 2)
    if r.returncode != 0:
        fatal("checkpoint: BAD signature for the pinned key %s" % name)
    lines = text.decode("utf-8").split("\n")
    if lines[0] != name:
        fatal("checkpoint of another log: %s" % lines[0])
    return lines[0], int(lines[1]), lines[2], vkey


def expected_model(x, origin, size, root, note):
    data = open(os.path.join(x, "entries.jsonl"), "rb").read()
    if data and not data.endswith(b"\n"):
        fatal("entries.jsonl: the last line has no newline")
    lines = data.split(b"\n")[:-1] if data else []
    leaves = [h(b"\x00" + l) for l in lines]
    if len(lines) != size:
        fatal("entries.jsonl: %d lines, the signed checkpoint covers %d"
              % (len(lines), size))
    if base64.b64encode(mth(leaves)).decode() != root:
        fatal("entries.jsonl does not hash to the signed root: an entry "
              "was changed, added or removed")
    entries = []
    for i, l in enumerate(lines):
        e = json.loads(l.decode("utf-8"), object_pairs_hook=no_dups)
        if e.get("seq") != i:
            fatal("entries.jsonl line %d: seq %r" % (i + 1, e.get("seq")))
        entries.append(e)
    revoked_by = {}
    for e in entries:
        if e["op"] == "revoke":
            revoked_by[e["ref_seq"]] = e["seq"]
    rows, awards, revs, payable = [], [], [], 0
    for e, leaf in zip(entries, leaves):
        j = dict(e)
        j["leaf_sha256"] = leaf.hex()
        if e["op"] == "revoke":
            revs.append(j)
            continue
        rb = revoked_by.get(e["seq"])
        j["status"] = "revoked" if rb is not None else "payable"
        if rb is not None:
            j["revoked_by"] = rb
        else:
            payable += e["amount_cents"]
        awards.append(j)
        c = e["amount_cents"]
        rows.append({
            "seq": str(e["seq"]), "siren": e["siren"], "siret": e["siret"],
            "nom": e["nom"], "titulaire": e.get("titulaire", ""),
            "type": e["kind"], "montant_eur": "%d,%02d" % (c // 100, c % 100),
            "montant_centimes": str(c), "iban": e["iban"], "bic": e["bic"],
            "dossier_id": e["dossier_id"], "date_utc": e["time"],
            "preuve_sha256": e["evidence_sha256"],
            "feuille_sha256": leaf.hex(),
            "statut": "a_payer" if rb is None else "revoque (entree %d)" % rb,
            "_cents": c})
    doc = {"export_version": 2, "origin": origin, "tree_size": size,
           "root": root, "checkpoint": note.decode("utf-8"),
           "payable_cents": payable, "awards": awards, "revocations": revs}
    return rows, doc, payable


def guard(col, v):
    if col in TEXT_COLS and v and v[0] in "=+-@\t\r":
        return "'" + v
    return v


def check_csv(x, rows):
    raw = open(os.path.join(x, "awards.csv"), "rb").read()
    if not raw.startswith(b"\xef\xbb\xbf"):
        bad("awards.csv: no UTF-8 byte-order mark")
    text = raw.decode("utf-8-sig")
    if text and not text.endswith("\r\n"):
        bad("awards.csv: the last line does not end with CRLF")
    got = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    if not got or got[0] != COLS:
        bad("awards.csv: the header is not %s" % ";".join(COLS))
    got = got[1:]
    for i in range(max(len(got), len(rows))):
        if i >= len(got):
            bad("awards.csv row %d (seq %s): missing" % (i + 1,
                                                       rows[i]["seq"]))
            continue
        if i >= len(rows):
            bad("awards.csv row %d: an extra row %r" % (i + 1, got[i][:3]))
            continue
        if len(got[i]) != len(COLS):
            bad("awards.csv row %d (seq %s): %d columns, not %d"
                % (i + 1, rows[i]["seq"], len(got[i]), len(COLS)))
        for j, col in enumerate(COLS):
            want = guard(col, rows[i][col])
            have = got[i][j] if j < len(got[i]) else None
            if have != want:
                bad("awards.csv row %d (seq %s), column %s: expected %r, "
                    "found %r" % (i + 1, rows[i]["seq"], col, want, have))


def compare_obj(where, want, have):
    if not isinstance(have, dict):
        bad("awards.json %s: not an object" % where)
        return
    for k in want:
        if k not in have or have[k] != want[k] or \
           type(have[k]) is not type(want[k]):
            bad("awards.json %s, key %s: expected %r, found %r"
                % (where, k, want[k], have.get(k, "(absent)")))
    for k in have:
        if k not in want:
            bad("awards.json %s: unexpected key %s" % (where, k))


def check_json(x, doc):
    try:
        have = json.load(open(os.path.join(x, "awards.json"),
                              encoding="utf-8"), object_pairs_hook=no_dups)
    except ValueError as e:
        bad("awards.json: not JSON (%s)" % e)
        return
    if not isinstance(have, dict):
        bad("awards.json: not an object")
        return
    top_w = {k: v for k, v in doc.items() if k not in ("awards",
                                                        "revocations")}
    top_h = {k: v for k, v in have.items() if k not in ("awards",
                                                        "revocations")}
    compare_obj("(top level)", top_w, top_h)
    for a in ("awards", "revocations"):
        hv = have.get(a)
        if not isinstance(hv, list):
            bad("awards.json: %s is not an array" % a)
            continue
        if len(hv) != len(doc[a]):
            bad("awards.json: %d %s, the entries have %d"
                % (len(hv), a, len(doc[a])))
        for i, (w, g) in enumerate(zip(doc[a], hv)):
            compare_obj("%s[%d] (seq %d)" % (a, i, w["seq"]), w, g)


def col_letter(c):
    s = ""
    c += 1
    while c:
        c, r = divmod(c - 1, 26)
        s = chr(65 + r) + s
    return s


def check_xlsx(x, rows, size, origin, root, payable):
    try:
        z = zipfile.ZipFile(os.path.join(x, "awards.xlsx"))
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/")
                  and "/" not in n[len("xl/worksheets/"):]]
        if sheets != ["xl/worksheets/sheet1.xml"]:
            bad("awards.xlsx: worksheets %s, expected one" % sheets)
        sst = [("".join(t.text or "" for t in si.iter(
                "{%s}t" % NS["m"])))
               for si in ET.fromstring(z.read("xl/sharedStrings.xml"))
               .findall("m:si", NS)]
        styles = ET.fromstring(z.read("xl/styles.xml"))
        sheet = ET.fromstring(z.read("xl/worksheets/sheet1.xml"))
    except (OSError, KeyError, zipfile.BadZipFile, ET.ParseError) as e:
        bad("awards.xlsx: cannot read (%s)" % e)
        return
    fmts = {1: "0", 49: "@", 0: "General"}
    for nf in styles.iter("{%s}numFmt" % NS["m"]):
        fmts[int(nf.get("numFmtId"))] = nf.get("formatCode")
    xfs = [fmts.get(int(xf.get("numFmtId", "0")), "")
           for xf in styles.find("m:cellXfs", NS).findall("m:xf", NS)]
    cells = {}
    for c in sheet.iter("{%s}c" % NS["m"]):
        cells[c.get("r")] = c
    want = {}  # ref -> (kind, value, format)
    for i, lab in enumerate(HEADER_LABELS):
        want["A%d" % (i + 1)] = ("s", lab, None)
    want["B1"] = ("s", origin, "@")
    want["B2"] = ("int", size, "0")
    want["B3"] = ("s", root, "@")
    for j, col in enumerate(COLS):
        want["%s5" % col_letter(j)] = ("s", col, None)
    for i, r in enumerate(rows):
        for j, col in enumerate(COLS):
            ref = "%s%d" % (col_letter(j), FIRST_ROW + i)
            if col in ("seq", "montant_centimes"):
                want[ref] = ("int", int(r[col]), "0")
            elif col == "montant_eur":
                want[ref] = ("eur", r["_cents"], "eur")
            elif col == "date_utc":
                t = calendar.timegm(time.strptime(r[col],
                                                  "%Y-%m-%dT%H:%M:%SZ"))
                want[ref] = ("date", t, "date")
            else:
                want[ref] = ("s", r[col], "@")
    tot = FIRST_ROW + len(rows)
    want["A%d" % tot] = ("s", "TOTAL a_payer", None)
    want["%s%d" % (col_letter(COLS.index("montant_eur")), tot)] = \
        ("eur", payable, "eur")
    want["%s%d" % (col_letter(COLS.index("montant_centimes")), tot)] = \
        ("int", payable, "0")

    def where(ref):
        digits = "".join(ch for ch in ref if ch.isdigit())
        letters = ref[:len(ref) - len(digits)]
        n = int(digits)
        col = 0
        for ch in letters:
            col = col * 26 + ord(ch) - 64
        name = COLS[col - 1] if n >= 5 and col - 1 < len(COLS) else "-"
        return "awards.xlsx cell %s (row %d, column %s)" % (ref, n, name)

    for ref, (kind, val, fmt) in want.items():
        c = cells.get(ref)
        if c is None:
            bad("%s: missing" % where(ref))
            continue
        if c.find("m:f", NS) is not None:
            bad("%s: holds a formula" % where(ref))
            continue
        t = c.get("t", "n")
        v = c.find("m:v", NS)
        v = v.text if v is not None else None
        code = xfs[int(c.get("s", "0"))] if int(c.get("s", "0")) < len(xfs) \
            else "?"
        if kind == "s":
            if t == "s":
                have = sst[int(v)] if v is not None and v.isdigit() and \
                    int(v) < len(sst) else None
            elif t == "n" and v is None and c.find("m:is", NS) is None:
                have = ""  # a blank cell: an empty string
            elif t in ("str", "inlineStr"):
                isn = c.find("m:is", NS)
                have = v if t == "str" else "".join(
                    e.text or "" for e in isn.iter("{%s}t" % NS["m"]))
            else:
                bad("%s: expected text %r, found a number" % (where(ref),
                                                               val))
                continue
            if have != val:
                bad("%s: expected %r, found %r" % (where(ref), val, have))
        else:
            if t != "n" or v is None:
                bad("%s: expected a number, found type %s" % (where(ref), t))
                continue
            f = float(v)
            ok = (kind == "int" and f == int(f) and int(f) == val) or \
                 (kind == "eur" and round(f * 100) == val) or \
                 (kind == "date" and round((f - 25569) * 86400) == val)
            if not ok:
                bad("%s: expected %r, found %s" % (where(ref), val, v))
        if fmt == "@" and code != "@" or fmt == "0" and code != "0" or \
           fmt == "eur" and ("\u20ac" not in code or "0.00" not in code) or \
           fmt == "date" and ("yy" not in code or "hh" not in code):
            bad("%s: wrong number format %r" % (where(ref), code))
    for ref, c in cells.items():
        if ref not in want and (c.find("m:v", NS) is not None or
                                c.find("m:is", NS) is not None or
                                c.find("m:f", NS) is not None):
            bad("%s: a cell the entries do not explain" % where(ref))


def main():
    args = sys.argv[1:]
    if "--vkey" not in args or args.index("--vkey") + 1 >= len(args):
        print("usage: python3 verify_export.py --vkey PINNED.vkey "
              "[EXPORT_DIR]")
        sys.exit(2)
    i = args.index("--vkey")
    vkey = args[i + 1]
    rest = args[:i] + args[i + 2:]
    x = rest[0] if rest else os.path.dirname(os.path.abspath(__file__))
    try:
        note = open(os.path.join(x, "checkpoint"), "rb").read()
        origin, size, root, vk = check_signature(vkey, note)
        rows, doc, payable = expected_model(x, origin, size, root, note)
    except (OSError, ValueError, KeyError, TypeError) as e:
        fatal("cannot read the export: %s" % e)
    for name, fn in (("awards.csv", lambda: check_csv(x, rows)),
                     ("awards.json", lambda: check_json(x, doc)),
                     ("awards.xlsx", lambda: check_xlsx(x, rows, size, origin,
                                                        root, payable))):
        try:
            fn()
        except (OSError, ValueError, KeyError, TypeError,
                UnicodeDecodeError) as e:
            bad("%s: cannot read (%s)" % (name, e))
    try:
        if open(os.path.join(x, "log.vkey"),
                encoding="utf-8").read().strip() != vk:
            bad("log.vkey is not the pinned key %s" % vk)
    except OSError as e:
        bad("log.vkey: %s" % e)
    if problems:
        fatal("%d differences: export NOT verified against the signed "
              "entries" % len(problems))
    print("export verified: %s, %d entries, root %s; every cell of "
          "awards.csv, awards.json and awards.xlsx matches the signed "
          "entries (%d awards, payable %d,%02d EUR)"
          % (origin, size, root, len(rows), payable // 100, payable % 100))


if __name__ == "__main__":
    main()
