#!/bin/sh
# make demo: the whole job on loopback.  Starts raccord-sim (simulated
# FranceConnect v2, collectivité portals, API Particulier, DataPass), then
#   1. checks three FranceConnect dossiers: one correct, two flawed;
#   2. checks a collectivité that claims both forfaits (FranceConnect and
#      API Particulier) with DataPass habilitations;
#   3. awards into a signed ledger with `raccord verify`, twice (idempotent),
#      refuses a flawed dossier, verifies the ledger offline and exports the
#      payment file.
# The ledger and the export stay in demo-out/ for inspection.  Everything
# the demo started is stopped on exit.
set -u
BUILD=${BUILD:-build}
. tests/integration/lib.sh
OUT=demo-out
rm -rf "$OUT" && mkdir -p "$OUT"
R=$RACCORD
sim_start || exit 1
api_config "$WORK/demo.conf.json" 8000
cp "$WORK/demo.conf.json" "$OUT/raccord.conf.json"
# raccord's own DataPass client (in production: the operator's credentials)
RACCORD_DATAPASS_ID=raccord-it
RACCORD_DATAPASS_SECRET=sim-datapass-secret-7c41d09e
IT_DP_ID=$RACCORD_DATAPASS_ID IT_DP_SECRET=$RACCORD_DATAPASS_SECRET
export IT_DP_ID IT_DP_SECRET
echo "raccord-sim on loopback: $(cat "$WORK/ports.json")"
step() { printf '\n======== %s\n' "$*"; }

step "1. raccord check: a correct FranceConnect integration (button in a form with CSRF)"
fc_dossier "$WORK/commune-ok.json" formpost "$PORTAL_PORT" https connexion
"$R" check --config "$WORK/demo.conf.json" --format text "$WORK/commune-ok.json"
echo "(exit status $?: 0 = verified)"

step "1b. raccord check: still on the legacy v1 FranceConnect"
fc_dossier "$WORK/commune-v1.json" v1
sed -i 's/"217500016"/"732829320"/; s/"21750001600019"/"73282932000074"/' "$WORK/commune-v1.json"
"$R" check --config "$WORK/demo.conf.json" --format text "$WORK/commune-v1.json" >"$WORK/v1.txt"
st=$?
grep -E "Dossier|FAIL|SKIP.*provider" "$WORK/v1.txt"
echo "(exit status $st: 1 = failed; only failures shown here, the full report lists every check)"

step "1c. raccord check: a 16-character nonce (FranceConnect answers Y030007)"
fc_dossier "$WORK/commune-nonce.json" short_nonce
"$R" check --config "$WORK/demo.conf.json" --format text "$WORK/commune-nonce.json" >"$WORK/nonce.txt"
st=$?
grep -E "Dossier|FAIL" "$WORK/nonce.txt"
echo "(exit status $st)"

step "2. raccord check: both forfaits (FranceConnect + API Particulier), DataPass habilitations"
# The operator files each dossier's secrets under secrets.dir, in
# <SIRET>/<dossier_id>/ (docs/decisions.md): a dossier names only a file
# there, and can reach nothing else.
SECRETS=$WORK/secrets
mkdir -p "$SECRETS/21750001600019/DEMO-2-FORFAITS"
chmod -R 700 "$SECRETS"
jwt "$SECRETS/21750001600019/DEMO-2-FORFAITS/api_particulier.token" "Commune de Test" 31536000
python3 - "$WORK/demo.conf.json" "$SECRETS" <<'PY'
import json, sys
cfg = json.load(open(sys.argv[1]))
cfg["secrets"] = {"dir": sys.argv[2], "env_allow": []}
json.dump(cfg, open(sys.argv[1], "w"), indent=2)
PY
cp "$WORK/demo.conf.json" "$OUT/raccord.conf.json"
python3 - "$WORK/commune-ok.json" "$WORK/both.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["dossier_id"] = "DEMO-2-FORFAITS"
d["integrations"].append({"kind": "api", "api": "api_particulier", "environment": "production",
                          "api_version": 3, "token_file": "api_particulier.token"})
json.dump(d, open(sys.argv[2], "w"), indent=2)
PY
"$R" check --config "$WORK/demo.conf.json" --format text "$WORK/both.json" >"$WORK/both.txt"
st=$?
grep -E "Dossier|integrations\[|habilitation|api\.|provider" "$WORK/both.txt"
echo "(exit status $st: 0 = both verified; the token appears only as a sha256 fingerprint)"

step "3. the signed ledger: keygen, init, verify (award), verify again, a refusal"
"$R" keygen demo.raccord.example/ledger --key "$OUT/ledger.key" --vkey "$OUT/ledger.vkey"
"$R" ledger init "$OUT/ledger" --key "$OUT/ledger.key" --vkey "$OUT/ledger.vkey"
"$R" verify "$WORK/both.json" --ledger "$OUT/ledger" --key "$OUT/ledger.key" --config "$WORK/demo.conf.json"
echo "(exit status $?)"
echo "-- the same dossier again: nothing is awarded twice"
"$R" verify "$WORK/both.json" --ledger "$OUT/ledger" --key "$OUT/ledger.key" --config "$WORK/demo.conf.json"
echo "(exit status $?)"
echo "-- a flawed dossier: checks fail, nothing awarded"
"$R" verify "$WORK/commune-v1.json" --ledger "$OUT/ledger" --key "$OUT/ledger.key" --config "$WORK/demo.conf.json"
echo "(exit status $?)"

step "4. the payment office: verify the ledger offline, export, check the export"
"$R" ledger show "$OUT/ledger"
"$R" ledger verify "$OUT/ledger" --vkey "$OUT/ledger.vkey"
echo "(exit status $?)"
"$R" ledger export "$OUT/ledger" --vkey "$OUT/ledger.vkey" --out "$OUT/export"
ls "$OUT/export"
"$R" ledger verify-export "$OUT/export" --vkey "$OUT/ledger.vkey"
echo "-- the same check with the recipe shipped inside the export (python3 + openssl only)"
python3 "$OUT/export/verify_export.py" --vkey "$OUT/ledger.vkey" "$OUT/export"
printf '\nThe ledger, its key and the export are in %s/.\n' "$OUT"
