#!/bin/sh
# raccord check against the simulated national APIs, DataPass and the DGFiP
# gateway (tests/sim/sim_api.c, sim_datapass.c, sim_dgfip.c): valid
# connections, refused habilitations and tokens, rate limiting, provider
# errors and timeouts (inconclusive), slow and oversized answers, bad token
# files, and a scan of every output for the secrets.  Loopback only.
set -u
. tests/integration/lib.sh
sim_start || exit 1

DP_SECRET=sim-datapass-secret-7c41d09e
DG_SECRET=sim-dgfip-secret-5be2
SIRET_OK=21750001600019
SIRET_REVOKED=21750001600027
SIRET_OTHER=21750001600035
SIRET_SANDBOX=21750001600043
SIRET_PAGED=21750001600050
SIRET_DOWN=21750001600076

api_config "$WORK/cfg.json" 8000
api_config "$WORK/cfg-fast.json" 2500
IT_DP_ID=raccord-it
IT_DP_SECRET=$DP_SECRET
export IT_DP_ID IT_DP_SECRET

YEAR=31536000

# dossier FILE SIRET API JSON-EXTRA: one api integration, production.
dossier() {
	cat >"$1" <<JSON
{ "dossier_id": "IT-API-$(basename "$1" .json)",
  "collectivite": { "siren": "217500016", "siret": "$2",
    "nom": "Commune de Test", "categorie": "commune", "code_insee": "75056" },
  "paiement": { "titulaire": "Commune de Test", "iban": "FR7630006000011234567890189", "bic": "AGRIFRPP" },
  "integrations": [ { "kind": "api", "api": "$3", "environment": "production"$4 } ] }
JSON
	echo "$1"
}

# expect NAME EXIT CFG DOSSIER VERDICT "check=status ..." [detail-substring]
expect() {
	name=$1 want_exit=$2 cfg=$3 dos=$4 want_verdict=$5 checks=$6 needle=${7:-}
	start=$(date +%s)
	"$RACCORD" check --config "$cfg" --format json "$dos" \
		>"$WORK/out-$name.json" 2>"$WORK/err-$name.txt"
	got=$?
	ELAPSED=$(( $(date +%s) - start ))
	"$RACCORD" check --config "$cfg" --format text "$dos" \
		>"$WORK/out-$name.txt" 2>>"$WORK/err-$name.txt"
	if [ "$got" != "$want_exit" ]; then
		nok "$name: exit $got, want $want_exit"
		head -c 800 "$WORK/out-$name.json" "$WORK/err-$name.txt"; return
	fi
	if python3 - "$WORK/out-$name.json" "$want_verdict" "$checks" "$needle" <<'PY'
import json, sys
rep = json.load(open(sys.argv[1]))
want_verdict, checks, needle = sys.argv[2], sys.argv[3].split(), sys.argv[4]
errs, got, details = [], {}, ""
if rep["verdict"] != want_verdict:
    errs.append("verdict %s, want %s" % (rep["verdict"], want_verdict))
for sec in rep["integrations"]:
    for c in sec["checks"]:
        got.setdefault(c["id"], c)
        details += c["detail"] + "\n"
for spec in checks:
    cid, st = spec.split("=")
    c = got.get(cid)
    if c is None:
        errs.append("no check %s" % cid)
    elif c["status"] != st:
        errs.append("%s is %s (%s), want %s" % (cid, c["status"], c["detail"], st))
if needle and needle not in details:
    errs.append("no detail mentions %r" % needle)
n = len(rep["exchanges"])
for sec in rep["integrations"]:
    for c in sec["checks"]:
        for i in c.get("exchanges", []):
            if not (0 <= i < n):
                errs.append("%s cites exchange %d of %d" % (c["id"], i, n))
if errs:
    print("  " + "\n  ".join(errs))
    sys.exit(1)
PY
	then ok "$name"; else nok "$name"; fi
}

T=$WORK/tokens
mkdir -p "$T"
LIVE="api.habilitation=pass api.token.live=pass api.token.production=pass api.token.expiry=pass"

# --- valid connections ---------------------------------------------------
jwt "$T/valid" "Commune de Test" $YEAR
expect valid_v3 0 "$WORK/cfg.json" "$(dossier "$WORK/valid_v3.json" $SIRET_OK api_particulier ", \"token_file\": \"$T/valid\"")" verified "$LIVE api.tls=pass"
( umask 077; printf 'sim-v2-valid-4be1c0d2\n' >"$T/v2" )
expect valid_v2 0 "$WORK/cfg.json" "$(dossier "$WORK/valid_v2.json" $SIRET_OK api_particulier ", \"token_file\": \"$T/v2\", \"api_version\": 2")" verified "api.habilitation=pass api.token.live=pass api.token.production=skip"
jwt "$T/ae" "Mairie - marchés publics" $YEAR
expect valid_entreprise 0 "$WORK/cfg.json" "$(dossier "$WORK/valid_ae.json" $SIRET_OK api_entreprise ", \"token_file\": \"$T/ae\"")" verified "$LIVE" "privileges"
IT_TOKEN=$(cat "$T/valid"); export IT_TOKEN
expect valid_env 0 "$WORK/cfg.json" "$(dossier "$WORK/valid_env.json" $SIRET_OK api_particulier ", \"token_env\": \"IT_TOKEN\"")" verified "$LIVE"
( umask 077; printf '%s' "$DG_SECRET" >"$T/dgfip" )
expect dgfip_valid 0 "$WORK/cfg.json" "$(dossier "$WORK/dgfip.json" $SIRET_OK api_impot_particulier ", \"oauth_client_id\": \"dgfip-valid\", \"client_secret_file\": \"$T/dgfip\"")" verified "api.habilitation=pass api.token.live=pass"
expect datapass_paged 0 "$WORK/cfg.json" "$(dossier "$WORK/paged.json" $SIRET_PAGED api_particulier ", \"token_file\": \"$T/valid\"")" verified "api.habilitation=pass" "habilitation 999"

# --- habilitations refused ------------------------------------------------
expect revoked 1 "$WORK/cfg.json" "$(dossier "$WORK/revoked.json" $SIRET_REVOKED api_particulier ", \"token_file\": \"$T/valid\"")" failed "api.habilitation=fail api.token.live=pass" "no active api_particulier habilitation"
expect other_siret 1 "$WORK/cfg.json" "$(dossier "$WORK/other.json" $SIRET_OTHER api_particulier ", \"token_file\": \"$T/valid\"")" failed "api.habilitation=fail" "13002526500013"
expect dgfip_sandbox 1 "$WORK/cfg.json" "$(dossier "$WORK/sandbox.json" $SIRET_SANDBOX api_impot_particulier ", \"oauth_client_id\": \"dgfip-valid\", \"client_secret_file\": \"$T/dgfip\"")" failed "api.habilitation=fail api.token.live=pass" "sandbox"
( umask 077; printf 'wrong-secret' >"$T/dgfip-bad" )
expect dgfip_bad_secret 1 "$WORK/cfg.json" "$(dossier "$WORK/dgbad.json" $SIRET_OK api_impot_particulier ", \"oauth_client_id\": \"dgfip-valid\", \"client_secret_file\": \"$T/dgfip-bad\"")" failed "api.token.live=fail" "invalid_client"

# --- tokens refused --------------------------------------------------------
jwt "$T/staging" "staging development" $YEAR 00000000-0000-0000-0000-000000000000
expect staging_token 1 "$WORK/cfg.json" "$(dossier "$WORK/staging.json" $SIRET_OK api_particulier ", \"token_file\": \"$T/staging\"")" failed "api.token.production=fail api.token.live=fail" "staging"
jwt "$T/expired" "Commune de Test" -86400
expect expired 1 "$WORK/cfg.json" "$(dossier "$WORK/expired.json" $SIRET_OK api_entreprise ", \"token_file\": \"$T/expired\"")" failed "api.token.expiry=fail api.token.live=fail" "00103"
jwt "$T/unknown" "Commune unknown" $YEAR
expect unknown 1 "$WORK/cfg.json" "$(dossier "$WORK/unknown.json" $SIRET_OK api_entreprise ", \"token_file\": \"$T/unknown\"")" failed "api.token.live=fail" "00101"
jwt "$T/blacklisted" "Commune blacklisted" $YEAR
expect blacklisted 1 "$WORK/cfg.json" "$(dossier "$WORK/black.json" $SIRET_OK api_particulier ", \"token_file\": \"$T/blacklisted\"")" failed "api.token.live=fail" "00105"
jwt "$T/noscopes" "Commune noscopes" $YEAR
expect no_scopes 1 "$WORK/cfg.json" "$(dossier "$WORK/noscopes.json" $SIRET_OK api_particulier ", \"token_file\": \"$T/noscopes\"")" failed "api.token.live=fail" "no scopes"
jwt "$T/soon" "Commune de Test" 864000
expect expiring_soon 0 "$WORK/cfg.json" "$(dossier "$WORK/soon.json" $SIRET_OK api_particulier ", \"token_file\": \"$T/soon\"")" verified "api.token.expiry=pass api.token.renewal=warn"

# --- rate limiting ----------------------------------------------------------
jwt "$T/ratelimit" "Commune ratelimit" $YEAR
expect ratelimit_then_ok 0 "$WORK/cfg.json" "$(dossier "$WORK/rl.json" $SIRET_OK api_particulier ", \"token_file\": \"$T/ratelimit\"")" verified "api.token.live=pass"
# the first run waited Retry-After (1 s) before its retry (the text run
# that follows is not rate-limited any more)
grep -q '"status": 429' "$WORK/out-ratelimit_then_ok.json" || grep -q '"status":429' "$WORK/out-ratelimit_then_ok.json" \
	&& ok "ratelimit_429_in_evidence" || nok "ratelimit_429_in_evidence: no 429 exchange recorded"
jwt "$T/rllong" "Commune ratelimit-long" $YEAR
expect ratelimit_long 3 "$WORK/cfg.json" "$(dossier "$WORK/rllong.json" $SIRET_OK api_particulier ", \"token_file\": \"$T/rllong\"")" inconclusive "api.token.live=error" "3600"
[ "$ELAPSED" -lt 20 ] && ok "ratelimit_long_not_waited" || nok "ratelimit_long_not_waited: took $ELAPSED s"

# --- provider errors, timeouts, odd answers: inconclusive -----------------
for c in e502 e504 e500 nonjson oversized; do
	jwt "$T/$c" "Commune $c" $YEAR
	expect "$c" 3 "$WORK/cfg.json" "$(dossier "$WORK/$c.json" $SIRET_OK api_particulier ", \"token_file\": \"$T/$c\"")" inconclusive "api.token.live=error"
done
jwt "$T/timeout" "Commune timeout" $YEAR
expect timeout 3 "$WORK/cfg-fast.json" "$(dossier "$WORK/timeout.json" $SIRET_OK api_entreprise ", \"token_file\": \"$T/timeout\"")" inconclusive "api.token.live=error"
jwt "$T/slow" "Commune slow" $YEAR
expect slow 0 "$WORK/cfg.json" "$(dossier "$WORK/slow.json" $SIRET_OK api_entreprise ", \"token_file\": \"$T/slow\"")" verified "api.token.live=pass"
expect datapass_down 3 "$WORK/cfg.json" "$(dossier "$WORK/dpdown.json" $SIRET_DOWN api_particulier ", \"token_file\": \"$T/valid\"")" inconclusive "api.habilitation=error api.token.live=pass"

# --- bad token input --------------------------------------------------------
cp "$T/valid" "$T/loose"; chmod 644 "$T/loose"
expect token_mode 3 "$WORK/cfg.json" "$(dossier "$WORK/mode.json" $SIRET_OK api_particulier ", \"token_file\": \"$T/loose\"")" inconclusive "api.token.live=error" "chmod 600"
( umask 077; : >"$T/empty" )
expect token_empty 1 "$WORK/cfg.json" "$(dossier "$WORK/empty.json" $SIRET_OK api_particulier ", \"token_file\": \"$T/empty\"")" failed "api.token.live=fail" "empty"
( umask 077; printf 'abc\001def' >"$T/ctrl" )
expect token_ctrl 1 "$WORK/cfg.json" "$(dossier "$WORK/ctrl.json" $SIRET_OK api_particulier ", \"token_file\": \"$T/ctrl\"")" failed "api.token.live=fail" "control character"
expect token_missing 3 "$WORK/cfg.json" "$(dossier "$WORK/missing.json" $SIRET_OK api_particulier ", \"token_file\": \"$T/nope\"")" inconclusive "api.token.live=error"
( umask 077; printf 'not-a-jwt-token' >"$T/notjwt" )
expect token_not_jwt 1 "$WORK/cfg.json" "$(dossier "$WORK/notjwt.json" $SIRET_OK api_entreprise ", \"token_file\": \"$T/notjwt\"")" failed "api.token.production=fail" "not a JWT"

# --- DataPass not configured --------------------------------------------
(
	unset IT_DP_ID IT_DP_SECRET
	expect no_datapass 0 "$WORK/cfg.json" "$(dossier "$WORK/nodp.json" $SIRET_OK api_particulier ", \"token_file\": \"$T/valid\"")" verified "api.habilitation=skip api.token.live=pass"
	echo "$PASS $FAIL" >"$WORK/sub.counts"
)
read -r PASS FAIL <"$WORK/sub.counts"

# --- fc.habilitation beside the FranceConnect checks ------------------------
fc_dossier "$WORK/fc_ok.json" ok
expect fc_habilitation 0 "$WORK/cfg.json" "$WORK/fc_ok.json" verified "fc.habilitation=pass"
fc_dossier "$WORK/fc_rev.json" ok
sed -i "s/\"siret\": \"$SIRET_OK\"/\"siret\": \"$SIRET_REVOKED\"/" "$WORK/fc_rev.json"
expect fc_habilitation_revoked 1 "$WORK/cfg.json" "$WORK/fc_rev.json" failed "fc.habilitation=fail"

# --- no secret anywhere ------------------------------------------------------
# Every output, log and file the runs wrote (token files excepted) must be
# free of every secret's bytes: tokens, the DGFiP and DataPass secrets.
leaks=0
for s in "$DP_SECRET" "$DG_SECRET" sim-v2-valid-4be1c0d2 $(cat "$T/valid" "$T/ae" "$T/expired" "$T/blacklisted" "$T/ratelimit" "$T/e502"); do
	if grep -rlF -- "$s" "$WORK" --exclude-dir=tokens >"$WORK/leak.txt" 2>/dev/null; then
		leaks=$((leaks + 1)); echo "  secret leaked into: $(cat "$WORK/leak.txt")"
	fi
	# the JWT payload part alone must not leak either
	mid=$(echo "$s" | cut -s -d. -f2)
	if [ -n "$mid" ] && grep -rlF -- "$mid" "$WORK" --exclude-dir=tokens >/dev/null 2>&1; then
		leaks=$((leaks + 1)); echo "  token payload leaked"
	fi
done
[ $leaks -eq 0 ] && ok "no_secret_in_outputs" || nok "no_secret_in_outputs ($leaks)"
grep -q "sha256:" "$WORK/out-valid_v3.json" && ok "fingerprint_in_report" || nok "fingerprint_in_report"

finish t_api_checks
