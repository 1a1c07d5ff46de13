#!/bin/sh
# raccord against real OpenID Connect software (docs/fleet.md): a
# FranceConnect v2 stand-in on the npm package oidc-provider and Apache 2.4 +
# mod_auth_openidc relying parties, one correct per signing algorithm and one
# per misconfiguration the module allows.  Asserts that the correct sites are
# verified, that each misconfigured one fails for its own rule and no other
# (0 false verified), that `raccord verify` awards the correct one into a
# fresh ledger that `raccord ledger verify` accepts.  DataPass comes from
# raccord-sim (policy.require_habilitation stays on).  Loopback only; every
# process it starts is stopped on exit.  A missing Node.js, npm module or
# Apache is a setup error and a FAILED test, never a skip.
set -u
. tests/integration/lib.sh
FLEET=tests/fleet
NODE_PID='' APACHE_PID='' HAND_PID=''

fleet_cleanup() {
	[ -n "$APACHE_PID" ] && kill "$APACHE_PID" 2>/dev/null && wait "$APACHE_PID" 2>/dev/null
	[ -n "$HAND_PID" ] && kill "$HAND_PID" 2>/dev/null && wait "$HAND_PID" 2>/dev/null
	[ -n "$NODE_PID" ] && kill "$NODE_PID" 2>/dev/null && wait "$NODE_PID" 2>/dev/null
	cleanup
}
trap fleet_cleanup EXIT INT TERM

setup_error() {
	nok "setup: $*"
	echo "  the fleet needs Node.js, the npm modules of tests/fleet (npm ci --prefix tests/fleet)"
	echo "  and Apache 2.4 with mod_auth_openidc (apt-get install apache2 libapache2-mod-auth-openidc):"
	echo "  run .ci/setup (docs/fleet.md)"
	finish fleet
	exit 1
}

# --- prerequisites: clear errors, never a skip ------------------------------
command -v node >/dev/null 2>&1 || setup_error "node (Node.js) not found in PATH"
[ -f "$FLEET/node_modules/oidc-provider/package.json" ] ||
	setup_error "$FLEET/node_modules/oidc-provider is missing (npm ci --prefix $FLEET)"
APACHE=$(command -v apache2 2>/dev/null || echo /usr/sbin/apache2)
[ -x "$APACHE" ] || setup_error "apache2 not found (PATH or /usr/sbin/apache2)"
MODDIR=${APACHE_MODULES:-/usr/lib/apache2/modules}
for m in mod_auth_openidc mod_ssl mod_mpm_event mod_headers; do
	[ -f "$MODDIR/$m.so" ] || setup_error "$MODDIR/$m.so not found"
done
[ -x "$SIM" ] && [ -x "$RACCORD" ] || setup_error "$RACCORD or $SIM not built (make)"
# mkcerts.sh is idempotent; an older build/certs gains fleet.pem here.
sh certs/mkcerts.sh "$CERTS" >/dev/null || setup_error "certs/mkcerts.sh $CERTS failed"
[ -f "$CERTS/fleet.pem" ] || setup_error "$CERTS/fleet.pem missing"

# --- start: raccord-sim (DataPass), the provider, Apache --------------------
sim_start || setup_error "raccord-sim did not start"
# Apache needs its ports in its configuration, and the provider needs the
# relying parties' redirect URIs: pick free loopback ports first (Apache
# https and http, the hand-written RP).
# shellcheck disable=SC2046 # three numbers, split on purpose
set -- $(python3 tests/integration/free_port.py 3)
HP=$1 HTTPP=$2 HANDP=$3
PORTS="--https-port $HP --http-port $HTTPP --hand-port $HANDP"
python3 "$FLEET/fleet.py" clients $PORTS >"$WORK/clients.json" ||
	setup_error "fleet.py clients failed"
node "$FLEET/fc-provider.mjs" --cert "$CERTS/fleet.pem" --key "$CERTS/fleet.key" \
	--clients "$WORK/clients.json" --ports-file "$WORK/fc.json" -v \
	>"$WORK/fc.out" 2>"$WORK/fc.err" &
NODE_PID=$!
i=0
while [ ! -s "$WORK/fc.json" ]; do
	i=$((i + 1))
	if [ $i -gt 150 ] || ! kill -0 "$NODE_PID" 2>/dev/null; then
		cat "$WORK/fc.err"; setup_error "the FranceConnect stand-in (node $FLEET/fc-provider.mjs) did not start"
	fi
	sleep 0.1
done
FCP=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["fc"])' "$WORK/fc.json")

# The hand-written relying party (its client secret from the registry).
python3 -c 'import json,sys; print([c for c in json.load(open(sys.argv[1])) if c["client_id"] == "fleet-hand"][0]["client_secret"])' \
	"$WORK/clients.json" >"$WORK/hand.secret"
node "$FLEET/hand-rp.mjs" --cert "$CERTS/fleet.pem" --key "$CERTS/fleet.key" --ca "$CERTS/ca.pem" \
	--port "$HANDP" --fc-port "$FCP" --client-id fleet-hand --client-secret-file "$WORK/hand.secret" \
	>"$WORK/hand.stdout" 2>"$WORK/hand.stderr" &
HAND_PID=$!
i=0
until grep -q ready "$WORK/hand.stdout" 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 150 ] || ! kill -0 "$HAND_PID" 2>/dev/null; then
		cat "$WORK/hand.stderr"; setup_error "the hand-written relying party ($FLEET/hand-rp.mjs) did not start"
	fi
	sleep 0.1
done

# Apache's children run as nobody when started as root: its files must be
# world-readable and $WORK traversable.
chmod 711 "$WORK"
python3 "$FLEET/fleet.py" apache --dir "$WORK/apache" --https-port "$HP" --http-port "$HTTPP" \
	--fc-port "$FCP" --certs "$(cd "$CERTS" && pwd)" --modules "$MODDIR" ||
	setup_error "fleet.py apache failed"
cp "$CERTS/ca.pem" "$WORK/apache/ca.pem"
chmod -R a+rX "$WORK/apache"
"$APACHE" -f "$WORK/apache/httpd.conf" -DFOREGROUND >"$WORK/apache.out" 2>&1 &
APACHE_PID=$!
i=0
until curl -sf -o /dev/null --cacert "$CERTS/ca.pem" --resolve "ok.rp.fleet.test:$HP:127.0.0.1" \
	"https://ok.rp.fleet.test:$HP/connexion.html"; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$APACHE_PID" 2>/dev/null; then
		cat "$WORK/apache.out" "$WORK/apache/logs/error.log" 2>/dev/null | tail -20
		setup_error "Apache ($APACHE -f $WORK/apache/httpd.conf) did not start"
	fi
	sleep 0.1
done
ok "fleet up: provider https://fc.fleet.test:$FCP/api/v2, Apache on $HP (https) and $HTTPP (http), hand-written RP on $HANDP"

# --- raccord's configuration -----------------------------------------------
# fleet_config FILE [DISCOVERY_PATH]: the provider's discovery, the test CA,
# every fleet name pinned to 127.0.0.1, loopback opened in the SSRF guard,
# DataPass from raccord-sim.
fleet_config() {
	python3 - "$1" "$FCP" "$HP" "$HTTPP" "$HANDP" "$DP_PORT" "$(cd "$CERTS" && pwd)/ca.pem" \
		"${2:-/api/v2/.well-known/openid-configuration}" <<'PY'
import json, subprocess, sys
out, fcp, hp, hpp, handp, dp, ca, dpath = sys.argv[1:9]
hosts = subprocess.run(["python3", "tests/fleet/fleet.py", "hosts", "--https-port", hp,
                        "--http-port", hpp, "--hand-port", handp],
                       check=True, capture_output=True, text=True).stdout
resolve = ["fc.fleet.test:%s:127.0.0.1" % fcp, "datapass.test:%s:127.0.0.1" % dp,
           # nothing may reach the real sandbox, whatever a site redirects to
           "fcp-low.sbx.dev-franceconnect.fr:443:127.0.0.1"]
for line in hosts.splitlines():
    name, host, scheme = line.split()[:3]
    # Both Apache ports for every name: a site may send the browser (and
    # raccord's callback probes) to the other one; no name may reach DNS.
    for port in ([handp] if scheme == "hand" else [hp, hpp]):
        resolve.append("%s:%s:127.0.0.1" % (host, port))
disc = {"discovery_url": "https://fc.fleet.test:%s%s" % (fcp, dpath)}
cfg = {
  "franceconnect": {"production": disc, "integration": disc},
  "franceconnect_plus": {"production": disc, "integration": disc},
  "datapass": {"base_url": "https://datapass.test:%s/api/v1" % dp,
               "client_id_env": "IT_DP_ID", "client_secret_env": "IT_DP_SECRET"},
  "network": {"ca_file": ca, "resolve": resolve, "allow_private": ["127.0.0.0/8"],
              "timeout_ms": 8000, "connect_timeout_ms": 2000},
}
json.dump(cfg, open(out, "w"), indent=2)
PY
}
fleet_config "$WORK/cfg.json"
fleet_config "$WORK/cfg-nodisc.json" /api/v1/.well-known/openid-configuration
IT_DP_ID=raccord-it
IT_DP_SECRET=sim-datapass-secret-7c41d09e
export IT_DP_ID IT_DP_SECRET
SIRET_REVOKED=21750001600027

# dossier NAME RP [fleet.py dossier options]: prints the file name.
dossier() {
	n=$1 r=$2; shift 2
	python3 "$FLEET/fleet.py" dossier "$r" $PORTS "$@" >"$WORK/$n.json"
	echo "$WORK/$n.json"
}

# expect NAME EXIT CFG DOSSIER VERDICT "FAILING" "check=status[|status] ..." [provider-detail]
# FAILING is the exact set of required checks that must fail (space
# separated, "-" for none): a site must fail for its own rule and no other.
expect() {
	name=$1 want_exit=$2 cfg=$3 dossier=$4 want_verdict=$5 failing=$6 checks=$7 pdetail=${8:-}
	"$RACCORD" check --config "$cfg" --format json "$dossier" \
		>"$WORK/$name.out" 2>"$WORK/$name.err"
	got=$?
	if python3 - "$WORK/$name.out" "$want_verdict" "$failing" "$checks" "$pdetail" "$got" "$want_exit" <<'PY'
import json, sys
out, want_verdict, failing, checks, pdetail, got, want_exit = sys.argv[1:8]
errs = []
try:
    rep = json.load(open(out))
except Exception as e:
    print("  no JSON report (exit %s): %s" % (got, e)); sys.exit(1)
if got != want_exit:
    errs.append("exit %s, want %s" % (got, want_exit))
if rep["verdict"] != want_verdict:
    errs.append("verdict %s, want %s" % (rep["verdict"], want_verdict))
allc = {}
for sec in rep["integrations"]:
    for c in sec["checks"]:
        allc.setdefault(c["id"], c)
want_fail = set() if failing == "-" else set(failing.split())
got_fail = {i for i, c in allc.items() if c["required"] and c["status"] == "fail"}
if got_fail != want_fail:
    errs.append("required checks failing: %s, want exactly %s" % (sorted(got_fail) or "none", sorted(want_fail) or "none"))
    for i in sorted(got_fail ^ want_fail):
        if i in allc:
            errs.append("  %s %s: %s" % (i, allc[i]["status"], allc[i]["detail"][:300]))
for spec in checks.split():
    cid, st = spec.split("=")
    c = allc.get(cid)
    if c is None:
        errs.append("no check %s" % cid)
    elif c["status"] not in st.split("|"):
        errs.append("%s is %s (%s), want %s" % (cid, c["status"], c["detail"][:300], st))
if pdetail:
    c = allc.get("fc.provider.accepts")
    if c is None or pdetail not in c["detail"]:
        errs.append("fc.provider.accepts detail lacks %r: %s" % (pdetail, c and c["detail"]))
# Every check cites existing exchanges; no authorization code in a URL.
n = len(rep["exchanges"])
for c in allc.values():
    for i in c.get("exchanges", []):
        if not 0 <= i < n:
            errs.append("%s cites exchange %d of %d" % (c["id"], i, n))
for e in rep["exchanges"]:
    if "code=" in e["url"] and "code=REDACTED" not in e["url"]:
        errs.append("unredacted code in %s" % e["url"])
if errs:
    print("  " + "\n  ".join(errs))
    sys.exit(1)
PY
	then ok "$name"; else nok "$name"; head -c 400 "$WORK/$name.err"; fi
}

# The required checks a correct mod_auth_openidc site passes.  Its state
# and nonce are random base64url: when a value happens to hold - or _,
# raccord warns (FC's qualification rule asks for letters and digits).
REQ_OK="fc.habilitation=pass fc.discovery=pass fc.login.redirect=pass fc.login.https=pass fc.authorize.endpoint=pass fc.authorize.duplicates=pass fc.authorize.response_type=pass fc.authorize.client_id=pass fc.authorize.redirect_uri=pass fc.authorize.scope=pass fc.authorize.acr_values=pass fc.authorize.prompt=pass fc.authorize.claims=pass fc.authorize.state=pass|warn fc.authorize.nonce=pass|warn fc.authorize.random.repeat=pass fc.authorize.random.state_is_nonce=pass fc.authorize.random.counter=pass fc.authorize.random.affix=pass fc.authorize.random.embedded=pass fc.provider.accepts=pass"
ADV_OK="fc.callback.forged=pass fc.callback.error=pass fc.cookie.attributes=pass fc.tls.hsts=pass fc.tls.expiry=pass fc.button=pass fc.logout.redirect_uri=pass"
C=$WORK/cfg.json

# --- correct relying parties -------------------------------------------------
expect ok 0 "$C" "$(dossier ok ok)" verified - "$REQ_OK $ADV_OK" main-providers
expect ok_rs256 0 "$C" "$(dossier ok_rs256 ok_rs256)" verified - "$REQ_OK"

# --- misconfigured relying parties: each fails for its own rule --------------
expect no_acr 1 "$C" "$(dossier no_acr no_acr)" failed \
	"fc.authorize.acr_values fc.provider.accepts" "fc.authorize.acr_values=fail" Y030007
expect wrong_client 1 "$C" "$(dossier wrong_client wrong_client)" failed \
	"fc.provider.accepts" "fc.authorize.client_id=pass" Y04EA6EF
expect http_redirect 1 "$C" "$(dossier http_redirect http_redirect)" failed \
	"fc.authorize.redirect_uri" "fc.authorize.redirect_uri=fail fc.provider.accepts=pass"
expect unregistered_redirect 1 "$C" "$(dossier unregistered_redirect unregistered_redirect)" failed \
	"fc.provider.accepts" "fc.authorize.redirect_uri=pass" Y04C013C
# PKCE is harmless elsewhere, but FC v2 refuses the unknown parameter: the
# collectivité must be told (issue 7), so fc.authorize.pkce fails too.
expect pkce 1 "$C" "$(dossier pkce pkce)" failed \
	"fc.authorize.pkce fc.provider.accepts" "fc.authorize.pkce=fail" Y030007
expect prompt 1 "$C" "$(dossier prompt prompt)" failed \
	"fc.authorize.prompt fc.provider.accepts" "fc.authorize.prompt=fail" Y030007
expect bad_scope 1 "$C" "$(dossier bad_scope bad_scope)" failed \
	"fc.authorize.scope fc.provider.accepts" "fc.authorize.scope=fail" invalid_scope
expect no_openid 1 "$C" "$(dossier no_openid no_openid)" failed \
	"fc.authorize.scope fc.provider.accepts" "fc.authorize.scope=fail" invalid_request
# The library answers the implicit flow in the fragment
# (#error=unsupported_response_type): still a refusal.
expect implicit 1 "$C" "$(dossier implicit implicit)" failed \
	"fc.authorize.response_type fc.provider.accepts" "fc.authorize.response_type=fail" unsupported_response_type
expect duplicate 1 "$C" "$(dossier duplicate duplicate)" failed \
	"fc.authorize.duplicates fc.provider.accepts" "fc.authorize.duplicates=fail" Y030007
expect claims_text 1 "$C" "$(dossier claims_text claims_text)" failed \
	"fc.authorize.claims fc.provider.accepts" "fc.authorize.claims=fail" invalid_request
expect v1_endpoint 1 "$C" "$(dossier v1_endpoint v1_endpoint)" failed \
	"fc.authorize.endpoint fc.authorize.platform" "fc.provider.accepts=skip"
expect sandbox 1 "$C" "$(dossier sandbox sandbox)" failed \
	"fc.authorize.endpoint fc.authorize.platform" "fc.provider.accepts=skip"
expect http_site 1 "$C" "$(dossier http_site http_site)" failed \
	"fc.login.https fc.authorize.redirect_uri" "fc.login.https=fail fc.provider.accepts=pass"

# --- the hand-written relying party: a form-POST button with a CSRF token,
# and the state/nonce flaws no mod_auth_openidc setting produces.
RAND_OK="fc.authorize.state=pass fc.authorize.nonce=pass fc.authorize.random.repeat=pass fc.authorize.random.state_is_nonce=pass fc.authorize.random.counter=pass fc.authorize.random.affix=pass fc.authorize.random.embedded=pass"
expect hand_ok 0 "$C" "$(dossier hand_ok hand/ok)" verified - \
	"$REQ_OK $RAND_OK $ADV_OK" main-providers
expect hand_short_nonce 1 "$C" "$(dossier hand_short_nonce hand/short_nonce)" failed \
	"fc.authorize.nonce fc.provider.accepts" "fc.authorize.nonce=fail" Y030007
expect hand_short_state 1 "$C" "$(dossier hand_short_state hand/short_state)" failed \
	"fc.authorize.state" "fc.authorize.state=fail fc.provider.accepts=pass"
# A constant or a counter is also one long common prefix (random.affix).
expect hand_static_state 1 "$C" "$(dossier hand_static_state hand/static_state)" failed \
	"fc.authorize.random.repeat fc.authorize.random.affix" "fc.provider.accepts=pass"
expect hand_same_state_nonce 1 "$C" "$(dossier hand_same_state_nonce hand/same_state_nonce)" failed \
	"fc.authorize.random.state_is_nonce" "fc.provider.accepts=pass"
expect hand_counter_state 1 "$C" "$(dossier hand_counter_state hand/counter_state)" failed \
	"fc.authorize.random.counter fc.authorize.random.affix" "fc.provider.accepts=pass"
expect hand_prefix_state 1 "$C" "$(dossier hand_prefix_state hand/prefix_state)" failed \
	"fc.authorize.random.affix" "fc.provider.accepts=pass"
expect hand_url_state 1 "$C" "$(dossier hand_url_state hand/url_state)" failed \
	"fc.authorize.random.embedded" "fc.provider.accepts=pass"

# --- a correct site, a wrong dossier or configuration ------------------------
# The login URL is a page of the site that starts no FranceConnect login.
expect login_none 1 "$C" "$(dossier login_none ok --login-path /index.html)" failed \
	"fc.login.redirect" "fc.login.redirect=fail"
# The dossier names another client_id than the site sends (someone else's site).
expect client_mismatch 1 "$C" "$(dossier client_mismatch ok --client-id fleet-ok_rs256)" failed \
	"fc.authorize.client_id" "fc.authorize.client_id=fail"
# No active DataPass habilitation for the SIRET.
expect habilitation 1 "$C" "$(dossier habilitation ok_rs256 --siret $SIRET_REVOKED)" failed \
	"fc.habilitation" "fc.habilitation=fail fc.provider.accepts=pass"
# A discovery URL the provider does not serve is the operator's fault, not
# the collectivité's: inconclusive, never failed (nor verified).
expect discovery 3 "$WORK/cfg-nodisc.json" "$WORK/ok.json" inconclusive \
	- "fc.discovery=error"

# --- the stand-in really is a provider: a full login through each correct RP
# (authorize, identity-provider choice, mock login, code, token exchange
# with client_secret_post, ID token and signed userinfo verified by
# mod_auth_openidc) ends on the protected page.
full_login() {
	h=$(echo "$1" | tr _ -).rp.fleet.test
	rm -f "$WORK/jar"
	cu="curl -s --cacert $CERTS/ca.pem --resolve fc.fleet.test:$FCP:127.0.0.1 --resolve $h:$HP:127.0.0.1 -H Accept:text/html -c $WORK/jar -b $WORK/jar"
	u=$($cu -L "https://$h:$HP/secure/" | sed -n 's/.*id="idp-mock" href="\([^"]*\)".*/\1/p')
	[ -n "$u" ] || return 1
	$cu -L -o "$WORK/login.html" -w '%{http_code} %{url_effective}' "https://fc.fleet.test:$FCP$u" >"$WORK/login.end"
	grep -qx "200 https://$h:$HP/secure/" "$WORK/login.end" && grep -q "Espace personnel" "$WORK/login.html"
}
for r in ok ok_rs256; do
	if full_login $r; then ok "full login through $r"; else nok "full login through $r: $(cat "$WORK/login.end" 2>/dev/null)"; fi
done
# The same through the hand-written RP: its button is a form POST.
h=hand.rp.fleet.test
rm -f "$WORK/jar"
cu="curl -s --cacert $CERTS/ca.pem --resolve fc.fleet.test:$FCP:127.0.0.1 --resolve $h:$HANDP:127.0.0.1 -H Accept:text/html -c $WORK/jar -b $WORK/jar"
t=$($cu "https://$h:$HANDP/ok/connexion" | sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p')
u=$($cu -L -d "csrf=$t" "https://$h:$HANDP/ok/login" | sed -n 's/.*id="idp-mock" href="\([^"]*\)".*/\1/p')
$cu -L -o "$WORK/login.html" -w '%{http_code} %{url_effective}' "https://fc.fleet.test:$FCP$u" >"$WORK/login.end"
if grep -qx "200 https://$h:$HANDP/ok/espace" "$WORK/login.end" && grep -q "Bonjour Angela Claire Louise DUBOIS" "$WORK/login.html"; then
	ok "full login through the hand-written RP"
else nok "full login through the hand-written RP: $(cat "$WORK/login.end") $(cat "$WORK/hand.stderr")"; fi
# Without the provider's cookies the choice page is FC's Y190001 (HTTP 401).
loc=$(curl -s -o /dev/null -w '%{redirect_url}' --cacert "$CERTS/ca.pem" --resolve "ok.rp.fleet.test:$HP:127.0.0.1" \
	-H Accept:text/html "https://ok.rp.fleet.test:$HP/secure/")
st=$(curl -s -o "$WORK/nocookie.html" -w '%{http_code}' --cacert "$CERTS/ca.pem" --resolve "fc.fleet.test:$FCP:127.0.0.1" \
	-H Accept:text/html -L "$loc")
if [ "$st" = 401 ] && grep -q 'data-testid="error-code">Y190001' "$WORK/nocookie.html"; then
	ok "no cookies: Y190001"
else nok "no cookies: HTTP $st"; fi

# --- raccord verify: the award, into a fresh ledger --------------------------
L=$WORK/ledger
"$RACCORD" keygen fleet.raccord.test/ledger --key "$WORK/k.pem" --vkey "$WORK/k.vkey" >/dev/null 2>&1 &&
	"$RACCORD" ledger init "$L" --key "$WORK/k.pem" --vkey "$WORK/k.vkey" >/dev/null 2>&1 ||
	nok "ledger init"
v() { # NAME WANT_EXIT DOSSIER PATTERN
	"$RACCORD" verify "$3" --ledger "$L" --key "$WORK/k.pem" --config "$C" >"$WORK/v-$1.out" 2>&1
	st=$?
	if [ "$st" = "$2" ] && grep -q "$4" "$WORK/v-$1.out"; then ok "verify $1"; else
		nok "verify $1: exit $st, want $2 and /$4/"; head -c 600 "$WORK/v-$1.out"; fi
}
v no_acr 1 "$WORK/no_acr.json" "franceconnect"
v habilitation 1 "$WORK/habilitation.json" "refused"
v ok 0 "$WORK/ok.json" "AWARDED 5000,00 EUR"
v ok_rs256 0 "$WORK/ok_rs256.json" "already awarded"
if [ "$(wc -l <"$L/entries.jsonl")" -eq 1 ] && grep -q '"dossier_id":"FLEET-ok"' "$L/entries.jsonl"; then
	ok "one award, for FLEET-ok"
else nok "ledger entries: $(cat "$L/entries.jsonl")"; fi
if "$RACCORD" ledger verify "$L" --vkey "$WORK/k.vkey" --config "$C" >"$WORK/lv.out" 2>&1; then
	ok "ledger verify"
else nok "ledger verify"; cat "$WORK/lv.out"; fi

# --- no secret in any output -------------------------------------------------
if grep -rlF -e "not-a-real-secret" -e "$IT_DP_SECRET" "$WORK"/*.out "$WORK"/*.err "$L" >"$WORK/leak" 2>/dev/null; then
	nok "a client secret leaked into: $(cat "$WORK/leak")"
else ok "no secret in reports, logs or the ledger"; fi

finish fleet
