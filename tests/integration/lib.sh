# Shared helpers for the integration scripts (sourced, POSIX sh).
# Starts raccord-sim on loopback and writes a raccord config that trusts
# the test CA, resolves the simulated names to 127.0.0.1 and opens
# 127.0.0.0/8 in the SSRF guard.  Nothing here leaves loopback.
BUILD=${BUILD:-build}
RACCORD=$BUILD/raccord
SIM=$BUILD/raccord-sim
CERTS=$BUILD/certs
[ -f "$CERTS/ca.pem" ] || sh certs/mkcerts.sh "$CERTS" >/dev/null
WORK=$(mktemp -d "${TMPDIR:-/tmp}/raccord-it.XXXXXX")
SIM_PID=

cleanup() {
	[ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

# sim_start [SIM_OPTION...]: start raccord-sim, wait for its ports, export
# FC_PORT etc.
sim_start() {
	"$SIM" --certs "$CERTS" --ports-file "$WORK/ports.json" "$@" \
		>"$WORK/sim.out" 2>"$WORK/sim.err" &
	SIM_PID=$!
	i=0
	while [ ! -s "$WORK/ports.json" ]; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 "$SIM_PID" 2>/dev/null; then
			echo "raccord-sim did not start:"; cat "$WORK/sim.err"; return 1
		fi
		sleep 0.1
	done
	port() { python3 -c "import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], ''))" "$WORK/ports.json" "$1"; }
	FC_PORT=$(port fc)
	PORTAL_PORT=$(port portal)
	PORTAL_HTTP_PORT=$(port portal_http)
	PORTAL_EXPIRED_PORT=$(port portal_expired)
	PORTAL_WRONGHOST_PORT=$(port portal_wronghost)
	PORTAL_SELFSIGNED_PORT=$(port portal_selfsigned)
	PORTAL_SOON_PORT=$(port portal_soon)
	AP_PORT=$(port api_particulier)
	AE_PORT=$(port api_entreprise)
	DP_PORT=$(port datapass)
	DG_PORT=$(port dgfip)
}

# write_config FILE [timeout_ms] [allow_private(yes|no)]
write_config() {
	python3 - "$1" "$WORK/ports.json" "$(cd "$CERTS" && pwd)/ca.pem" "${2:-8000}" "${3:-yes}" <<'PY'
import json, sys
out, ports_file, ca, timeout, allow = sys.argv[1:6]
ports = json.load(open(ports_file))
hosts = {"fc": "fc.test", "fcplus": "fcplus.test"}
resolve = []
for name, port in ports.items():
    host = hosts.get(name, "portal.test")
    if name.startswith("api_particulier"): host = "api-particulier.test"
    if name.startswith("api_entreprise"): host = "api-entreprise.test"
    if name.startswith("datapass"): host = "datapass.test"
    if name.startswith("dgfip"): host = "dgfip.test"
    resolve.append("%s:%d:127.0.0.1" % (host, port))
# Every provider URL points at the simulator, so that no test can reach a
# real FranceConnect host whatever environment a dossier names.
disc = {"discovery_url": "https://fc.test:%d/api/v2/.well-known/openid-configuration" % ports["fc"]}
cfg = {
  "franceconnect": {"production": disc, "integration": disc},
  "franceconnect_plus": {"production": disc, "integration": disc},
  "network": {"ca_file": ca, "resolve": resolve,
              "allow_private": ["127.0.0.0/8"] if allow == "yes" else [],
              "timeout_ms": int(timeout), "connect_timeout_ms": 2000},
}
json.dump(cfg, open(out, "w"), indent=2)
PY
}

# fc_dossier FILE FLAVOUR [PORT] [SCHEME] [LOGIN_PATH]: a FranceConnect dossier
# for one simulated portal flavour.
fc_dossier() {
	f=$1 fl=$2 p=${3:-$PORTAL_PORT} sc=${4:-https} lp=${5:-auth/franceconnect}
	ru="$sc://portal.test:$p/$fl/callback"
	[ "$fl" = unregistered_redirect ] && ru="$sc://portal.test:$p/$fl/other-callback"
	[ "$fl" = http_redirect ] && ru="http://portal.test:$p/$fl/callback"
	cid="cid-$fl"
	[ "$fl" = wrong_client ] && cid="cid-wrong_client"
	cat >"$f" <<JSON
{ "dossier_id": "IT-$fl",
  "collectivite": { "siren": "217500016", "siret": "21750001600019",
    "nom": "Commune de Test ($fl)", "categorie": "commune", "code_insee": "75056" },
  "paiement": { "titulaire": "Commune de Test", "iban": "FR7630006000011234567890189", "bic": "AGRIFRPP" },
  "integrations": [ { "kind": "franceconnect", "environment": "production",
    "client_id": "$cid", "login_url": "$sc://portal.test:$p/$fl/$lp",
    "redirect_uri": "$ru", "post_logout_redirect_uri": "$sc://portal.test:$p/$fl/",
    "button_page_url": "$sc://portal.test:$p/$fl/connexion" } ] }
JSON
}

# api_config FILE TIMEOUT_MS: lib.sh's config plus the simulated API hosts
# and DataPass (credentials from the environment, as in production).
api_config() {
	write_config "$1" "$2" yes
	python3 - "$1" "$AP_PORT" "$AE_PORT" "$DP_PORT" "$DG_PORT" <<'PY'
import json, sys
f, ap, ae, dp, dg = sys.argv[1:6]
cfg = json.load(open(f))
cfg["apis"] = {
  "api_particulier": {"production": {"base_url": "https://api-particulier.test:%s" % ap}},
  "api_entreprise": {"production": {"base_url": "https://api-entreprise.test:%s" % ae}},
  "api_impot_particulier": {"production": {"base_url": "https://dgfip.test:%s/impotparticulier/1.0" % dg}},
}
cfg["datapass"] = {"base_url": "https://datapass.test:%s/api/v1" % dp,
                   "client_id_env": "IT_DP_ID", "client_secret_env": "IT_DP_SECRET"}
json.dump(cfg, open(f, "w"), indent=2)
PY
}
# jwt FILE SUB EXP_OFFSET_SECONDS [JTI]: a token file (mode 0600) holding a
# JWT shaped like the operators' (uid, jti, scopes, sub, iat, version, exp).
jwt() {
	python3 - "$@" <<'PY'
import base64, json, os, sys, time, hmac, hashlib
f, sub, off = sys.argv[1], sys.argv[2], int(sys.argv[3])
jti = sys.argv[4] if len(sys.argv) > 4 else "7d3f8a5e-1b2c-4d5e-8f90-%012d" % (abs(hash(sub)) % 10**12)
b = lambda d: base64.urlsafe_b64encode(json.dumps(d, separators=(",", ":")).encode()).rstrip(b"=").decode()
now = int(time.time())
h = b({"alg": "HS256"})
p = b({"uid": jti, "jti": jti, "scopes": ["cnaf_quotient_familial"], "sub": sub,
       "iat": now - 86400, "version": "1.0", "exp": now + off})
sig = base64.urlsafe_b64encode(hmac.new(b"it-key", (h + "." + p).encode(), hashlib.sha256).digest()).rstrip(b"=").decode()
fd = os.open(f, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
os.write(fd, (h + "." + p + "." + sig + "\n").encode())
os.close(fd)
PY
}
PASS=0 FAIL=0
ok() { PASS=$((PASS + 1)); echo "ok   $*"; }
nok() { FAIL=$((FAIL + 1)); echo "FAIL $*"; }
finish() { echo "$1: $PASS passed, $FAIL failed"; [ "$FAIL" -eq 0 ]; }
