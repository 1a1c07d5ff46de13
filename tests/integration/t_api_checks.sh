#!/bin/sh
# raccord check against the simulated national APIs, DataPass and the DGFiP
# gateway (tests/sim/sim_api.c, sim_datapass.c, sim_dgfip.c): valid
# connections, refused habilitations and tokens, rate limiting, provider
# errors and timeouts (inconclusive), slow and oversized answers, bad token
# files, and a scan of every output for the secrets.  Loopback only.
# Secrets are filed as the operator would (docs/decisions.md): under
# secrets.dir, in <SIRET>/<dossier_id>/; variables only from
# secrets.env_allow.  Refusals of what a dossier may not reach (links,
# FIFOs, directories, escapes, variables not allowed) are checked to read
# alike, and a FIFO run under timeout(1).
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
SIRET_DP429=21750001600084
SIRET_DP429_ALL=21750001600092
S=$WORK/secrets
mkdir -p "$S" && chmod 700 "$S"

api_config "$WORK/cfg.json" 8000
api_config "$WORK/cfg-fast.json" 2500
# secrets.dir and secrets.env_allow for both configs
for c in "$WORK/cfg.json" "$WORK/cfg-fast.json"; do
	python3 - "$c" "$S" <<'PY'
import json, sys
cfg = json.load(open(sys.argv[1]))
cfg["secrets"] = {"dir": sys.argv[2], "env_allow": ["IT_TOKEN"]}
json.dump(cfg, open(sys.argv[1], "w"), indent=2)
PY
done
IT_DP_ID=raccord-it
IT_DP_SECRET=$DP_SECRET
export IT_DP_ID IT_DP_SECRET

YEAR=31536000

# filed NAME SIRET SRC [FILE [KEY]]: file SRC (mode kept) as secret FILE
# (default "token") of dossier IT-API-NAME of SIRET, as the operator does,
# and print the dossier member KEY (default token_file) that names it.
filed() {
	d="$S/$2/IT-API-$1"
	mkdir -p "$d" && chmod 700 "$S/$2" "$d"
	cp -p "$3" "$d/${4:-token}"
	printf ', "%s": "%s"' "${5:-token_file}" "${4:-token}"
}

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
expect valid_v3 0 "$WORK/cfg.json" "$(dossier "$WORK/valid_v3.json" $SIRET_OK api_particulier "$(filed valid_v3 $SIRET_OK "$T/valid")")" verified "$LIVE api.tls=pass"
( umask 077; printf 'sim-v2-valid-4be1c0d2\n' >"$T/v2" )
expect valid_v2 0 "$WORK/cfg.json" "$(dossier "$WORK/valid_v2.json" $SIRET_OK api_particulier "$(filed valid_v2 $SIRET_OK "$T/v2"), \"api_version\": 2")" verified "api.habilitation=pass api.token.live=pass api.token.production=skip"
jwt "$T/ae" "Mairie - marchés publics" $YEAR
expect valid_entreprise 0 "$WORK/cfg.json" "$(dossier "$WORK/valid_ae.json" $SIRET_OK api_entreprise "$(filed valid_ae $SIRET_OK "$T/ae")")" verified "$LIVE" "privileges"
IT_TOKEN=$(cat "$T/valid"); export IT_TOKEN
expect valid_env 0 "$WORK/cfg.json" "$(dossier "$WORK/valid_env.json" $SIRET_OK api_particulier ", \"token_env\": \"IT_TOKEN\"")" verified "$LIVE"
( umask 077; printf '%s' "$DG_SECRET" >"$T/dgfip" )
expect dgfip_valid 0 "$WORK/cfg.json" "$(dossier "$WORK/dgfip.json" $SIRET_OK api_impot_particulier ", \"oauth_client_id\": \"dgfip-valid\"$(filed dgfip $SIRET_OK "$T/dgfip" dgfip.secret client_secret_file)")" verified "api.habilitation=pass api.token.live=pass"
expect datapass_paged 0 "$WORK/cfg.json" "$(dossier "$WORK/paged.json" $SIRET_PAGED api_particulier "$(filed paged $SIRET_PAGED "$T/valid")")" verified "api.habilitation=pass" "habilitation 999"

# --- habilitations refused ------------------------------------------------
expect revoked 1 "$WORK/cfg.json" "$(dossier "$WORK/revoked.json" $SIRET_REVOKED api_particulier "$(filed revoked $SIRET_REVOKED "$T/valid")")" failed "api.habilitation=fail api.token.live=pass" "no active api_particulier habilitation"
expect other_siret 1 "$WORK/cfg.json" "$(dossier "$WORK/other.json" $SIRET_OTHER api_particulier "$(filed other $SIRET_OTHER "$T/valid")")" failed "api.habilitation=fail" "13002526500013"
expect dgfip_sandbox 1 "$WORK/cfg.json" "$(dossier "$WORK/sandbox.json" $SIRET_SANDBOX api_impot_particulier ", \"oauth_client_id\": \"dgfip-valid\"$(filed sandbox $SIRET_SANDBOX "$T/dgfip" dgfip.secret client_secret_file)")" failed "api.habilitation=fail api.token.live=pass" "sandbox"
( umask 077; printf 'wrong-secret' >"$T/dgfip-bad" )
expect dgfip_bad_secret 1 "$WORK/cfg.json" "$(dossier "$WORK/dgbad.json" $SIRET_OK api_impot_particulier ", \"oauth_client_id\": \"dgfip-valid\"$(filed dgbad $SIRET_OK "$T/dgfip-bad" dgfip.secret client_secret_file)")" failed "api.token.live=fail" "invalid_client"

# --- tokens refused --------------------------------------------------------
jwt "$T/staging" "staging development" $YEAR 00000000-0000-0000-0000-000000000000
expect staging_token 1 "$WORK/cfg.json" "$(dossier "$WORK/staging.json" $SIRET_OK api_particulier "$(filed staging $SIRET_OK "$T/staging")")" failed "api.token.production=fail api.token.live=fail" "staging"
jwt "$T/expired" "Commune de Test" -86400
expect expired 1 "$WORK/cfg.json" "$(dossier "$WORK/expired.json" $SIRET_OK api_entreprise "$(filed expired $SIRET_OK "$T/expired")")" failed "api.token.expiry=fail api.token.live=fail" "00103"
jwt "$T/unknown" "Commune unknown" $YEAR
expect unknown 1 "$WORK/cfg.json" "$(dossier "$WORK/unknown.json" $SIRET_OK api_entreprise "$(filed unknown $SIRET_OK "$T/unknown")")" failed "api.token.live=fail" "00101"
jwt "$T/blacklisted" "Commune blacklisted" $YEAR
expect blacklisted 1 "$WORK/cfg.json" "$(dossier "$WORK/black.json" $SIRET_OK api_particulier "$(filed black $SIRET_OK "$T/blacklisted")")" failed "api.token.live=fail" "00105"
jwt "$T/noscopes" "Commune noscopes" $YEAR
expect no_scopes 1 "$WORK/cfg.json" "$(dossier "$WORK/noscopes.json" $SIRET_OK api_particulier "$(filed noscopes $SIRET_OK "$T/noscopes")")" failed "api.token.live=fail" "no scopes"
jwt "$T/soon" "Commune de Test" 864000
expect expiring_soon 0 "$WORK/cfg.json" "$(dossier "$WORK/soon.json" $SIRET_OK api_particulier "$(filed soon $SIRET_OK "$T/soon")")" verified "api.token.expiry=pass api.token.renewal=warn"

# --- rate limiting ----------------------------------------------------------
jwt "$T/ratelimit" "Commune ratelimit" $YEAR
expect ratelimit_then_ok 0 "$WORK/cfg.json" "$(dossier "$WORK/rl.json" $SIRET_OK api_particulier "$(filed rl $SIRET_OK "$T/ratelimit")")" verified "api.token.live=pass"
# the first run waited Retry-After (1 s) before its retry (the text run
# that follows is not rate-limited any more)
grep -q '"status": 429' "$WORK/out-ratelimit_then_ok.json" || grep -q '"status":429' "$WORK/out-ratelimit_then_ok.json" \
	&& ok "ratelimit_429_in_evidence" || nok "ratelimit_429_in_evidence: no 429 exchange recorded"
jwt "$T/rllong" "Commune ratelimit-long" $YEAR
expect ratelimit_long 3 "$WORK/cfg.json" "$(dossier "$WORK/rllong.json" $SIRET_OK api_particulier "$(filed rllong $SIRET_OK "$T/rllong")")" inconclusive "api.token.live=error" "3600"
[ "$ELAPSED" -lt 20 ] && ok "ratelimit_long_not_waited" || nok "ratelimit_long_not_waited: took $ELAPSED s"

# --- provider errors, timeouts, odd answers: inconclusive -----------------
for c in e502 e504 e500 nonjson oversized; do
	jwt "$T/$c" "Commune $c" $YEAR
	expect "$c" 3 "$WORK/cfg.json" "$(dossier "$WORK/$c.json" $SIRET_OK api_particulier "$(filed $c $SIRET_OK "$T/$c")")" inconclusive "api.token.live=error"
done
jwt "$T/timeout" "Commune timeout" $YEAR
expect timeout 3 "$WORK/cfg-fast.json" "$(dossier "$WORK/timeout.json" $SIRET_OK api_entreprise "$(filed timeout $SIRET_OK "$T/timeout")")" inconclusive "api.token.live=error"
jwt "$T/slow" "Commune slow" $YEAR
expect slow 0 "$WORK/cfg.json" "$(dossier "$WORK/slow.json" $SIRET_OK api_entreprise "$(filed slow $SIRET_OK "$T/slow")")" verified "api.token.live=pass"
expect datapass_down 3 "$WORK/cfg.json" "$(dossier "$WORK/dpdown.json" $SIRET_DOWN api_particulier "$(filed dpdown $SIRET_DOWN "$T/valid")")" inconclusive "api.habilitation=error api.token.live=pass"

# --- bad token input --------------------------------------------------------
cp "$T/valid" "$T/loose"; chmod 644 "$T/loose"
expect token_mode 3 "$WORK/cfg.json" "$(dossier "$WORK/mode.json" $SIRET_OK api_particulier "$(filed mode $SIRET_OK "$T/loose")")" inconclusive "api.token.live=error" "chmod 600"
( umask 077; : >"$T/empty" )
expect token_empty 1 "$WORK/cfg.json" "$(dossier "$WORK/empty.json" $SIRET_OK api_particulier "$(filed empty $SIRET_OK "$T/empty")")" failed "api.token.live=fail" "empty"
( umask 077; printf 'abc\001def' >"$T/ctrl" )
expect token_ctrl 1 "$WORK/cfg.json" "$(dossier "$WORK/ctrl.json" $SIRET_OK api_particulier "$(filed ctrl $SIRET_OK "$T/ctrl")")" failed "api.token.live=fail" "control character"
expect token_missing 3 "$WORK/cfg.json" "$(dossier "$WORK/missing.json" $SIRET_OK api_particulier ', "token_file": "token"')" inconclusive "api.token.live=error" "no such secret was filed for this dossier"
( umask 077; printf 'not-a-jwt-token' >"$T/notjwt" )
expect token_not_jwt 1 "$WORK/cfg.json" "$(dossier "$WORK/notjwt.json" $SIRET_OK api_entreprise "$(filed notjwt $SIRET_OK "$T/notjwt")")" failed "api.token.production=fail" "not a JWT"

# --- a dossier reaches only the secrets filed for it (issue 8) -------------
# detail ID NAME: the detail of check ID in out-NAME.json
detail() {
	python3 -c 'import json,sys
r = json.load(open(sys.argv[1]))
print([c["detail"] for s in r["integrations"] for c in s["checks"] if c["id"] == sys.argv[2]][0])' "$WORK/out-$2.json" "$1"
}
# fpr FILE: raccord's fingerprint of the token in FILE (one newline dropped)
fpr() {
	python3 -c 'import hashlib,sys
b = open(sys.argv[1], "rb").read()
b = b[:-1] if b.endswith(b"\n") else b
print("sha256:" + hashlib.sha256(b).hexdigest()[:16])' "$1"
}
# Another collectivité's token, filed for its own dossier.
jwt "$T/victim" "Commune victime" $YEAR
filed victim $SIRET_REVOKED "$T/victim" >/dev/null
VICTIM=$S/$SIRET_REVOKED/IT-API-victim/token
# A FIFO must never block raccord: these runs go through timeout(1).
RABS=$(cd "$(dirname "$RACCORD")" && pwd)/$(basename "$RACCORD")
printf '#!/bin/sh\nexec timeout 20 "%s" "$@"\n' "$RABS" >"$WORK/raccord-t"
chmod +x "$WORK/raccord-t"
RACCORD_SAVED=$RACCORD RACCORD=$WORK/raccord-t
D=$S/$SIRET_OK/IT-API-refuse
mkdir -p "$D" && chmod 700 "$D"
for kind in symlink fifo directory missing; do
	rm -rf "${D:?}/token"
	case $kind in
	symlink) ln -s "$VICTIM" "$D/token" ;;
	fifo) mkfifo -m 600 "$D/token" ;;
	directory) mkdir -m 700 "$D/token" ;;
	esac
	expect "refuse_$kind" 3 "$WORK/cfg.json" "$(dossier "$WORK/refuse.json" $SIRET_OK api_particulier ', "token_file": "token"')" inconclusive "api.token.live=error" "no such secret was filed for this dossier"
	detail api.token.live "refuse_$kind" >"$WORK/detail-$kind.txt"
done
RACCORD=$RACCORD_SAVED
# one uniform refusal: a link, a FIFO, a directory read exactly like nothing
if cmp -s "$WORK/detail-symlink.txt" "$WORK/detail-missing.txt" &&
   cmp -s "$WORK/detail-fifo.txt" "$WORK/detail-missing.txt" &&
   cmp -s "$WORK/detail-directory.txt" "$WORK/detail-missing.txt"; then
	ok "refusals_read_alike"
else
	nok "refusals_read_alike"; cat "$WORK"/detail-*.txt
fi
VFPR=$(fpr "$T/victim")
if grep -rqF -- "$VFPR" "$WORK"/out-refuse_*; then
	nok "no_fingerprint_of_refused_file"
else ok "no_fingerprint_of_refused_file"; fi
# escapes are input errors, said without touching the file system
expect_input_error() {
	"$RACCORD" check --config "$WORK/cfg.json" --format json "$2" >"$WORK/out-$1.json" 2>"$WORK/err-$1.txt"
	st=$?
	if [ $st -eq 2 ] && grep -qF -- "$3" "$WORK/err-$1.txt"; then ok "$1"
	else nok "$1: exit $st, $(head -c 300 "$WORK/err-$1.txt")"; fi
}
expect_input_error escape_dotdot "$(dossier "$WORK/escape1.json" $SIRET_OK api_particulier ", \"token_file\": \"../../$SIRET_REVOKED/IT-API-victim/token\"")" "token_file: must be a file name relative"
expect_input_error escape_absolute "$(dossier "$WORK/escape2.json" $SIRET_OK api_particulier ", \"token_file\": \"$VICTIM\"")" "token_file: must be a file name relative"
expect_input_error escape_dgfip "$(dossier "$WORK/escape3.json" $SIRET_OK api_impot_particulier ", \"oauth_client_id\": \"dgfip-valid\", \"client_secret_file\": \"a/../../x\"")" "client_secret_file: must be a file name relative"
# a variable not on secrets.env_allow: here raccord's own DataPass secret
expect env_not_allowed 3 "$WORK/cfg.json" "$(dossier "$WORK/envno.json" $SIRET_OK api_particulier ', "token_env": "IT_DP_SECRET"')" inconclusive "api.token.live=error api.habilitation=pass" "no such secret was provided for this dossier"
DPFPR=$(printf '%s\n' "$DP_SECRET" >"$WORK/dp.tmp" && fpr "$WORK/dp.tmp"; rm -f "$WORK/dp.tmp")
if grep -rqF -- "$DPFPR" "$WORK"/out-* "$WORK"/err-*; then
	nok "no_fingerprint_of_refused_variable"
else ok "no_fingerprint_of_refused_variable"; fi
# a token whose claims name another organisation
python3 - "$T/othersiret" <<'PY'
import base64, json, os, sys, time
b = lambda d: base64.urlsafe_b64encode(json.dumps(d, separators=(",", ":")).encode()).rstrip(b"=").decode()
now = int(time.time())
p = b({"uid": "5e0c9a1e-7d3b-4f7e-9c1a-2b8e4f6d0a11", "jti": "5e0c9a1e-7d3b-4f7e-9c1a-2b8e4f6d0a11",
       "scopes": ["cnaf_quotient_familial"], "sub": "Commune voisine", "siret": "13002526500013",
       "iat": now - 86400, "version": "1.0", "exp": now + 31536000})
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
os.write(fd, (b({"alg": "HS256"}) + "." + p + ".c2lnbmF0dXJl\n").encode())
os.close(fd)
PY
expect token_other_owner 1 "$WORK/cfg.json" "$(dossier "$WORK/owner.json" $SIRET_OK api_particulier "$(filed owner $SIRET_OK "$T/othersiret")")" failed "api.token.owner=fail api.token.live=pass" "13002526500013"
# today's tokens name no organisation: advisory skip
expect token_owner_unnamed 0 "$WORK/cfg.json" "$WORK/valid_v3.json" verified "api.token.owner=skip"
# the section carries the SHA-256 of the credential that proved it
if python3 - "$WORK/out-valid_v3.json" "$T/valid" <<'PY'
import hashlib, json, sys
r = json.load(open(sys.argv[1]))
b = open(sys.argv[2], "rb").read().rstrip(b"\n")
got = [s.get("credential_sha256") for s in r["integrations"]]
sys.exit(0 if got == [hashlib.sha256(b).hexdigest()] else 1)
PY
then ok "credential_sha256"; else nok "credential_sha256"; fi

# --- API Particulier v2 legacy keys (issue 7 §4) ----------------------------
( umask 077; printf '9f86d081884c7d659a2feaa0c55ad015\n' >"$T/legacy" )
expect legacy_key 0 "$WORK/cfg.json" "$(dossier "$WORK/legacy.json" $SIRET_OK api_particulier "$(filed legacy $SIRET_OK "$T/legacy")")" verified "api.habilitation=pass api.token.live=pass api.token.production=skip api.token.legacy=warn" "legacy"
( umask 077; printf 'dead6d081884c7d659a2feaa0c55ad01\n' >"$T/legacy-dead" )
expect legacy_key_refused 1 "$WORK/cfg.json" "$(dossier "$WORK/legacydead.json" $SIRET_OK api_particulier "$(filed legacydead $SIRET_OK "$T/legacy-dead")")" failed "api.token.live=fail api.token.legacy=warn" "Token not found or inactive"

# --- DataPass 429 with Retry-After (issue 12 §2) ------------------------------
expect datapass_429_then_ok 0 "$WORK/cfg.json" "$(dossier "$WORK/dp429.json" $SIRET_DP429 api_particulier "$(filed dp429 $SIRET_DP429 "$T/valid")")" verified "api.habilitation=pass api.token.live=pass"
[ "$ELAPSED" -ge 1 ] && ok "datapass_429_waited" || nok "datapass_429_waited: took $ELAPSED s, Retry-After is 1 s"
python3 - "$WORK/out-datapass_429_then_ok.json" <<'PY' && ok "datapass_429_in_evidence" || nok "datapass_429_in_evidence"
import json, sys
r = json.load(open(sys.argv[1]))
st = [e.get("status") for e in r["exchanges"] if "habilitations" in e.get("url", "")]
sys.exit(0 if 429 in st and st[-1] == 200 else 1)
PY
expect datapass_429_always 3 "$WORK/cfg.json" "$(dossier "$WORK/dp429all.json" $SIRET_DP429_ALL api_particulier "$(filed dp429all $SIRET_DP429_ALL "$T/valid")")" inconclusive "api.habilitation=error api.token.live=pass" "429"
python3 - "$WORK/out-datapass_429_always.json" <<'PY' && ok "datapass_429_retried_then_gave_up" || nok "datapass_429_retried_then_gave_up"
import json, sys
r = json.load(open(sys.argv[1]))
st = [e.get("status") for e in r["exchanges"] if "habilitations" in e.get("url", "")]
sys.exit(0 if st == [429, 429, 429] else 1)  # the first try and 2 retries
PY

# raccord verify: an inconclusive DataPass answer awards nothing, exit 3
"$RACCORD" keygen it.raccord.test/ledger --key "$WORK/l.key" --vkey "$WORK/l.vkey" >/dev/null 2>&1 &&
	"$RACCORD" ledger init "$WORK/ledger" --key "$WORK/l.key" --vkey "$WORK/l.vkey" >/dev/null 2>&1 ||
	nok "ledger setup"
"$RACCORD" verify "$WORK/dp429all.json" --ledger "$WORK/ledger" --key "$WORK/l.key" --config "$WORK/cfg.json" \
	>"$WORK/out-verify429.txt" 2>&1
st=$?
n=$(cat "$WORK/ledger/entries.jsonl" 2>/dev/null | wc -l)
[ $st -eq 3 ] && [ "$n" -eq 0 ] && ok "datapass_429_verify_inconclusive" ||
	nok "datapass_429_verify_inconclusive: exit $st, $n entries"
"$RACCORD" verify "$WORK/dp429.json" --ledger "$WORK/ledger" --key "$WORK/l.key" --config "$WORK/cfg.json" \
	>"$WORK/out-verify429ok.txt" 2>&1
st=$?
n=$(cat "$WORK/ledger/entries.jsonl" 2>/dev/null | wc -l)
[ $st -eq 0 ] && [ "$n" -eq 1 ] && ok "datapass_429_then_ok_verify_awards" ||
	nok "datapass_429_then_ok_verify_awards: exit $st, $n entries"

# --- DataPass not configured --------------------------------------------
(
	unset IT_DP_ID IT_DP_SECRET
	expect no_datapass 0 "$WORK/cfg.json" "$(dossier "$WORK/nodp.json" $SIRET_OK api_particulier "$(filed nodp $SIRET_OK "$T/valid")")" verified "api.habilitation=skip api.token.live=pass"
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
for s in "$DP_SECRET" "$DG_SECRET" sim-v2-valid-4be1c0d2 $(cat "$T/valid" "$T/ae" "$T/expired" "$T/blacklisted" "$T/ratelimit" "$T/e502" "$T/victim" "$T/othersiret" "$T/legacy" "$T/legacy-dead"); do
	if grep -rlF -- "$s" "$WORK" --exclude-dir=tokens --exclude-dir=secrets >"$WORK/leak.txt" 2>/dev/null; then
		leaks=$((leaks + 1)); echo "  secret leaked into: $(cat "$WORK/leak.txt")"
	fi
	# the JWT payload part alone must not leak either
	mid=$(echo "$s" | cut -s -d. -f2)
	if [ -n "$mid" ] && grep -rlF -- "$mid" "$WORK" --exclude-dir=tokens --exclude-dir=secrets >/dev/null 2>&1; then
		leaks=$((leaks + 1)); echo "  token payload leaked"
	fi
done
[ $leaks -eq 0 ] && ok "no_secret_in_outputs" || nok "no_secret_in_outputs ($leaks)"
grep -q "sha256:" "$WORK/out-valid_v3.json" && ok "fingerprint_in_report" || nok "fingerprint_in_report"

finish t_api_checks
