#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# Used by t_ledger_export.sh: change each cell of each row of awards.csv,
# awards.json and awards.xlsx, one at a time, then add, remove and reorder
# rows, and check that BOTH `raccord ledger verify-export` and the recipe
# shipped in the export (verify_export.py) refuse every change (exit 1)
# and name the row and column (or key, or cell) that changed.
#
#   export_tamper.py RACCORD EXPORT_DIR PINNED.vkey
# Prints one line per undetected change and a summary; exit 0 when every
# change was detected by both.
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile

RACCORD, SRC, VKEY = sys.argv[1:4]
COLS = ["seq", "siren", "siret", "nom", "titulaire", "type", "montant_eur",
        "montant_centimes", "iban", "bic", "dossier_id", "date_utc",
        "preuve_sha256", "feuille_sha256", "statut"]
WORK = tempfile.mkdtemp(prefix="raccord-tamper.")
stats = {"changes": 0, "missed": 0}


def run_both(x, expect):
    """Both verifiers on export x; expect: substring each must print."""
    stats["changes"] += 1
    outs = []
    for cmd in ([RACCORD, "ledger", "verify-export", x, "--vkey", VKEY],
                ["python3", os.path.join(x, "verify_export.py"), "--vkey",
                 VKEY, x]):
        r = subprocess.run(cmd, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
        out = r.stdout.decode("utf-8", "replace")
        outs.append(out)
        who = "raccord" if cmd[0] == RACCORD else "recipe"
        if r.returncode != 1:
            stats["missed"] += 1
            print("MISSED by %s (exit %d): %s" % (who, r.returncode, expect))
        elif expect is not None and expect not in out:
            stats["missed"] += 1
            print("NOT NAMED by %s: wanted %r in:\n%s" % (who, expect,
                                                           out[:600]))
    return outs


def fresh():
    x = os.path.join(WORK, "x")
    if os.path.exists(x):
        shutil.rmtree(x)
    shutil.copytree(SRC, x)
    return x


def different(v):
    """Another value of the same shape, so that only the content differs."""
    if v == "":
        return "X"
    if v.isdigit():
        return str(int(v) + 1) if v[0] != "0" or len(v) == 1 else \
            v[:-1] + ("1" if v[-1] != "1" else "2")
    if re.fullmatch(r"[0-9a-f]{64}", v):
        return v[:-1] + ("0" if v[-1] != "0" else "1")
    if "," in v and v.replace(",", "").isdigit():
        return "5" + v  # 5000,00 -> 55000,00
    if v == "a_payer":
        return "revoque (entree 1)"
    if v.startswith("revoque"):
        return "a_payer"
    return v[:-1] + ("Y" if v[-1] != "Y" else "Z")


# --- awards.csv ------------------------------------------------------------
def csv_rows(x):
    raw = open(os.path.join(x, "awards.csv"), "rb").read()
    lines = raw[3:].decode("utf-8").split("\r\n")[:-1]
    return raw[:3], lines


def csv_write(x, bom, lines):
    open(os.path.join(x, "awards.csv"), "wb").write(
        bom + ("\r\n".join(lines) + "\r\n").encode("utf-8"))


x = fresh()
bom, lines = csv_rows(x)
nrows = len(lines) - 1
for i in range(1, len(lines)):
    cells = lines[i].split(";")  # the test data hold no quoted ';'
    for j, col in enumerate(COLS):
        x = fresh()
        c2 = list(cells)
        c2[j] = different(cells[j])
        l2 = list(lines)
        l2[i] = ";".join(c2)
        csv_write(x, bom, l2)
        run_both(x, "awards.csv row %d (seq %s), column %s" % (i, cells[0],
                                                              col))
# add (a copy of the last row), remove (the first), reorder (swap 1 and 2)
x = fresh()
csv_write(x, bom, lines + [lines[-1]])
run_both(x, "awards.csv row %d" % (nrows + 1))
x = fresh()
csv_write(x, bom, [lines[0]] + lines[2:])
run_both(x, "awards.csv row 1")
x = fresh()
csv_write(x, bom, [lines[0], lines[2], lines[1]] + lines[3:])
run_both(x, "awards.csv row 1 (seq")
x = fresh()
csv_write(x, bom, [lines[0].replace("titulaire", "holder")] + lines[1:])
run_both(x, "header")


# --- awards.json -----------------------------------------------------------
def json_change(v):
    if isinstance(v, bool):
        return not v
    if isinstance(v, int):
        return v + 1
    if isinstance(v, str):
        return different(v)
    return None


def json_write(x, doc):
    json.dump(doc, open(os.path.join(x, "awards.json"), "w"), indent=1)


doc0 = json.load(open(os.path.join(SRC, "awards.json")))
for arr in ("awards", "revocations"):
    for i, el in enumerate(doc0[arr]):
        for k in el:
            x = fresh()
            doc = json.load(open(os.path.join(x, "awards.json")))
            doc[arr][i][k] = json_change(el[k])
            json_write(x, doc)
            run_both(x, "awards.json %s[%d] (seq %d), key %s"
                     % (arr, i, el["seq"], k))
        x = fresh()
        doc = json.load(open(os.path.join(x, "awards.json")))
        doc[arr][i]["extra"] = "x"
        json_write(x, doc)
        run_both(x, "awards.json %s[%d] (seq %d): unexpected key extra"
                 % (arr, i, el["seq"]))
for k in doc0:
    if k in ("awards", "revocations"):
        continue
    x = fresh()
    doc = json.load(open(os.path.join(x, "awards.json")))
    doc[k] = json_change(doc0[k])
    json_write(x, doc)
    run_both(x, "key %s" % k)
x = fresh()
doc = json.load(open(os.path.join(x, "awards.json")))
doc["awards"].append(doc["awards"][-1])
json_write(x, doc)
run_both(x, "awards.json: %d awards" % (len(doc0["awards"]) + 1))
x = fresh()
doc = json.load(open(os.path.join(x, "awards.json")))
del doc["awards"][0]
json_write(x, doc)
run_both(x, "awards.json: %d awards" % (len(doc0["awards"]) - 1))
x = fresh()
doc = json.load(open(os.path.join(x, "awards.json")))
doc["awards"][0], doc["awards"][1] = doc["awards"][1], doc["awards"][0]
json_write(x, doc)
run_both(x, "awards.json awards[0] (seq 0), key seq")


# --- awards.xlsx -----------------------------------------------------------
SHEET = "xl/worksheets/sheet1.xml"


def xlsx_rewrite(x, fn):
    p = os.path.join(x, "awards.xlsx")
    z = zipfile.ZipFile(p)
    parts = {n: z.read(n) for n in z.namelist()}
    z.close()
    parts[SHEET] = fn(parts[SHEET].decode("utf-8")).encode("utf-8")
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as out:
        for n, d in parts.items():
            out.writestr(n, d)


sheet0 = zipfile.ZipFile(os.path.join(SRC, "awards.xlsx")).read(SHEET) \
    .decode("utf-8")
CELL = re.compile(r'<c r="([A-Z]+)([0-9]+)"([^>]*)>(.*?)</c>')
refs = [(m.group(1), int(m.group(2)), m.group(3)) for m in
        CELL.finditer(sheet0)]


def change_cell(col, row, attrs):
    def fn(s):
        def sub(m):
            if m.group(1) != col or int(m.group(2)) != row:
                return m.group(0)
            if 't="s"' in attrs:  # text: another (inline) string
                return ('<c r="%s%d" t="inlineStr"><is><t>tampered</t>'
                        '</is></c>' % (col, row))
            v = re.search(r"<v>([^<]*)</v>", m.group(4)).group(1)
            return '<c r="%s%d"%s><v>%s</v></c>' % (
                col, row, attrs, repr(float(v) + 1))
        return CELL.sub(sub, s)
    return fn


for col, row, attrs in refs:
    x = fresh()
    xlsx_rewrite(x, change_cell(col, row, attrs))
    run_both(x, "awards.xlsx cell %s%d " % (col, row))
# an identifier typed as a number (the SIRET of the first award)
siret0 = lines[1].split(";")[2]
x = fresh()
xlsx_rewrite(x, lambda s: re.sub(r'<c r="C6"[^>]*>.*?</c>',
                                 '<c r="C6"><v>%s</v></c>' % siret0, s,
                                 count=1))
run_both(x, "awards.xlsx cell C6 ")


# the number format: an amount shown as a plain number, a date as a
# number, a SIRET without the text format
def restyle(ref, src):
    def fn(s):
        st = re.search(r'<c r="%s" s="(\d+)"' % src, s).group(1)
        return re.sub(r'<c r="%s" s="\d+"' % ref, '<c r="%s" s="%s"'
                      % (ref, st), s, count=1)
    return fn


for ref, src in (("G6", "A6"), ("L6", "H6"), ("C6", "A6")):
    x = fresh()
    xlsx_rewrite(x, restyle(ref, src))
    run_both(x, "awards.xlsx cell %s " % ref)


# rows: remove the first award row, swap two award rows, add one
def xrow(s, n):
    return re.search(r'<row r="%d"[^>]*>.*?</row>' % n, s).group(0)


def renumber(rowxml, n):
    rowxml = re.sub(r'<row r="\d+"', '<row r="%d"' % n, rowxml)
    return re.sub(r'<c r="([A-Z]+)\d+"', lambda m: '<c r="%s%d"'
                  % (m.group(1), n), rowxml)


x = fresh()
xlsx_rewrite(x, lambda s: s.replace(xrow(s, 6), ""))
run_both(x, "awards.xlsx cell A6 ")
x = fresh()
xlsx_rewrite(x, lambda s: s.replace(xrow(s, 6), "@@6@@").replace(
    xrow(s, 7), renumber(xrow(s, 6), 7)).replace("@@6@@",
                                                 renumber(xrow(s, 7), 6)))
run_both(x, "awards.xlsx cell A6 ")
last = max(r for _, r, _ in refs)
x = fresh()
xlsx_rewrite(x, lambda s: s.replace("</sheetData>", renumber(
    xrow(s, 6), last + 1) + "</sheetData>"))
run_both(x, "awards.xlsx cell A%d " % (last + 1))

# --- the signed part itself --------------------------------------------------
x = fresh()
open(os.path.join(x, "entries.jsonl"), "ab").write(b"\n")
run_both(x, None)
x = fresh()
e = open(os.path.join(x, "entries.jsonl"), "rb").read()
open(os.path.join(x, "entries.jsonl"), "wb").write(
    e.replace(b'"amount_cents":500000', b'"amount_cents":500001', 1))
run_both(x, None)
x = fresh()
cp = open(os.path.join(x, "checkpoint"), "rb").read()
lines_cp = cp.split(b"\n")
lines_cp[1] = str(int(lines_cp[1]) - 1).encode()
open(os.path.join(x, "checkpoint"), "wb").write(b"\n".join(lines_cp))
run_both(x, None)

# The shipped recipe changed: only raccord can tell (the recipe cannot
# vouch for itself; the README says to check its SHA-256).
x = fresh()
open(os.path.join(x, "verify_export.py"), "a").write("# changed\n")
r = subprocess.run([RACCORD, "ledger", "verify-export", x, "--vkey", VKEY],
                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
stats["changes"] += 1
if r.returncode != 1 or b"verify_export.py differs" not in r.stdout:
    stats["missed"] += 1
    print("MISSED: a changed recipe (exit %d)" % r.returncode)

shutil.rmtree(WORK)
print("export_tamper: %d changes (%d award rows), %d missed or not named"
      % (stats["changes"], nrows, stats["missed"]))
sys.exit(1 if stats["missed"] else 0)
