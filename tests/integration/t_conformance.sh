#!/bin/sh
# Active conformance (issue 11, docs/conformance.md): raccord registers a
# test client, plays FranceConnect and drives logins against
#  - Apache 2.4 + mod_auth_openidc (Debian), configured as a collectivité
#    should: the correct login opens a session, the forged ones are
#    refused;
#  - tests/conformance/flawed_rp.py, a small relying party that validates
#    everything (--flaw none: every run refused) or drops exactly one check
#    (--flaw nonce, state, aud, signature, alg_none, userinfo_sub): exactly
#    the matching runs must be reported as failures.
# Plus the safety rules: production dossiers refused, the secret shown
# once and only its SHA-256 kept, no secret or code in the report.
# Missing Apache, mod_auth_openidc or python3-cryptography is a FAILED
# test (bash .ci/setup installs them), never a skip.  Loopback only.
. tests/integration/lib.sh
. tests/conformance/apache.sh
# CONF_KEEP=1 keeps the work directory (reports, Apache logs) for debugging.
[ -n "${CONF_KEEP:-}" ] && cleanup() { echo "kept $WORK"; }

APACHE_DIR= RP_PID=
conf_cleanup() {
	[ -n "$APACHE_DIR" ] && apache_stop "$APACHE_DIR"
	[ -n "$RP_PID" ] && kill "$RP_PID" 2>/dev/null && wait "$RP_PID" 2>/dev/null
	cleanup
}
trap conf_cleanup EXIT INT TERM

CA=$(cd "$CERTS" && pwd)/ca.pem
CERT=$(cd "$CERTS" && pwd)/server.pem
KEY=$(cd "$CERTS" && pwd)/server.key
cat >"$WORK/conf.json" <<JSON
{ "network": { "ca_file": "$CA", "allow_private": ["127.0.0.0/8"],
               "timeout_ms": 15000, "connect_timeout_ms": 2000 } }
JSON

# dossier FILE ID ENV LOGIN_URL REDIRECT_URI [LOGOUT_URL POST_LOGOUT_URI]
dossier() {
	logout=
	[ -n "${6:-}" ] && logout=", \"logout_url\": \"$6\", \"post_logout_redirect_uri\": \"$7\""
	cat >"$1" <<JSON
{ "dossier_id": "$2",
  "collectivite": { "siren": "217500016", "siret": "21750001600019",
    "nom": "Commune de Test", "categorie": "commune", "code_insee": "75056" },
  "paiement": { "titulaire": "Commune de Test", "iban": "FR7630006000011234567890189", "bic": "AGRIFRPP" },
  "integrations": [ { "kind": "franceconnect", "environment": "$3",
    "client_id": "cid-of-the-commune", "login_url": "$4",
    "redirect_uri": "$5"$logout } ] }
JSON
}

# statuses REPORT: "id=status" lines of the conformance section.
statuses() {
	python3 - "$1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
for s in r["integrations"]:
    if s["kind"] != "conformance":
        continue
    for c in s["checks"]:
        print("%s=%s" % (c["id"].replace("fc.conformance.", ""), c["status"]))
PY
}

# details REPORT: "id: status: detail" of the checks that did not pass,
# so that a failing test says what raccord saw.
details() {
	python3 - "$1" <<'PY'
import json, sys
try:
    r = json.load(open(sys.argv[1]))
except Exception as e:
    print("(no report: %s)" % e)
    sys.exit(0)
for s in r.get("integrations", []):
    for c in s.get("checks", []):
        if c["status"] != "pass":
            print("  %s: %s: %s" % (c["id"], c["status"], c["detail"]))
PY
}

# The runs of one conformance section (reference included), the advisory
# logout check left out.
NRUNS=14

# expect_failing REPORT "run run ..." LABEL [LOGOUT]: exactly those runs
# fail, the reference and every other run pass; the advisory logout check
# has status LOGOUT (default pass).
expect_failing() {
	statuses "$1" >"$WORK/st.all"
	grep -v '^logout=' "$WORK/st.all" >"$WORK/st"
	lo=$(sed -n 's/^logout=//p' "$WORK/st.all")
	if [ "$lo" = "${4:-pass}" ]; then
		ok "$3: logout check ${4:-pass}"
	else
		nok "$3: logout check '$lo', wanted ${4:-pass}"
		details "$1"
	fi
	got=$(grep '=fail$' "$WORK/st" | sed 's/=fail$//' | sort | tr '\n' ' ')
	want=$(printf '%s\n' $2 | sed '/^$/d' | sort | tr '\n' ' ')
	other=$(grep -v '=fail$' "$WORK/st" | grep -v '=pass$')
	n=$(wc -l <"$WORK/st")
	if [ "$got" = "$want" ] && [ -z "$other" ] && [ "$n" -eq "${NR:-$NRUNS}" ] &&
		grep -qx 'reference=pass' "$WORK/st"; then
		ok "$3: failing runs are exactly [${want% }]"
	else
		nok "$3: failing [${got% }], wanted [${want% }]; $(tr '\n' ' ' <"$WORK/st")"
		details "$1"
	fi
}

PP=$(free_port)
ISSUER="https://127.0.0.1:$PP/api/v2"

run_conf() { # DOSSIER REG OUT
	"$RACCORD" conformance "$1" --registration "$2" --listen "127.0.0.1:$PP" \
		--public-url "$ISSUER" --tls-cert "$CERT" --tls-key "$KEY" \
		--config "$WORK/conf.json" --format json >"$3" 2>"$3.err"
}

# --- Registration and safety -------------------------------------------
dossier "$WORK/prod.json" IT-conf-prod production https://127.0.0.1:1/login https://127.0.0.1:1/cb
"$RACCORD" conformance register "$WORK/prod.json" --out "$WORK/prod.reg" >"$WORK/o" 2>"$WORK/e"; rc=$?
[ $rc -eq 2 ] && grep -q 'production' "$WORK/e" && [ ! -e "$WORK/prod.reg" ] &&
	ok "register refuses a production dossier (exit 2, nothing written)" ||
	nok "register of a production dossier: exit $rc, $(cat "$WORK/e")"

dossier "$WORK/int.json" IT-conf-int integration https://127.0.0.1:1/login https://127.0.0.1:1/cb
"$RACCORD" conformance register "$WORK/int.json" --out "$WORK/int.reg" >"$WORK/o" 2>"$WORK/e"; rc=$?
secret=$(sed -n 's/^client_secret  \([0-9a-f]\{64\}\)$/\1/p' "$WORK/o")
hash=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["client_secret_sha256"])' "$WORK/int.reg" 2>/dev/null)
mode=$(stat -c %a "$WORK/int.reg" 2>/dev/null)
if [ $rc -eq 0 ] && [ -n "$secret" ] && [ "$mode" = 600 ] &&
	[ "$(printf %s "$secret" | sha256sum | cut -d' ' -f1)" = "$hash" ] &&
	! grep -q "$secret" "$WORK/int.reg"; then
	ok "register: secret shown once, file 0600 keeps only its SHA-256"
else
	nok "register: exit $rc, mode $mode, $(cat "$WORK/e")"
fi
"$RACCORD" conformance register "$WORK/int.json" --out "$WORK/int.reg" >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] && ok "register never overwrites a registration" || nok "register over a file: exit $rc"

cp "$WORK/int.reg" "$WORK/prod-run.reg"
run_conf "$WORK/prod.json" "$WORK/prod-run.reg" "$WORK/prod.out"; rc=$?
[ $rc -eq 2 ] && grep -q production "$WORK/prod.out.err" &&
	ok "conformance refuses to run for a production dossier (exit 2)" ||
	nok "conformance on a production dossier: exit $rc $(cat "$WORK/prod.out.err")"

# --- Apache 2.4 + mod_auth_openidc --------------------------------------
if why=$(apache_missing); then
	nok "Apache + mod_auth_openidc missing ($why): bash .ci/setup installs apache2 libapache2-mod-auth-openidc"
else
	AP=$(free_port)
	dossier "$WORK/apache.json" IT-conf-apache integration \
		"https://127.0.0.1:$AP/protected/index.html" "https://127.0.0.1:$AP/protected/redirect_uri" \
		"https://127.0.0.1:$AP/protected/redirect_uri?logout=https%3A%2F%2F127.0.0.1%3A$AP%2Fau-revoir.html" \
		"https://127.0.0.1:$AP/au-revoir.html"
	"$RACCORD" conformance register "$WORK/apache.json" --out "$WORK/apache.reg" \
		--secret-out "$WORK/apache.secret" >"$WORK/o" 2>&1 || nok "register for Apache: $(cat "$WORK/o")"
	CID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["client_id"])' "$WORK/apache.reg")
	[ "$(stat -c %a "$WORK/apache.secret")" = 600 ] && ! grep -q "$(cat "$WORK/apache.secret")" "$WORK/o" &&
		ok "register --secret-out: secret in a 0600 file, not on stdout" ||
		nok "register --secret-out: secret file mode or stdout leak"
	APACHE_DIR=$WORK/apache
	chmod 711 "$WORK" # root's Apache workers (nobody) reach the pages
	if ! apache_start "$APACHE_DIR" "$AP" "$ISSUER/.well-known/openid-configuration" \
		"$CID" "$WORK/apache.secret" "$CA" "$CERT" "$KEY" >"$WORK/apache.start" 2>&1; then
		nok "Apache did not start: $(tail -5 "$WORK/apache.start")"
	else
		run_conf "$WORK/apache.json" "$WORK/apache.reg" "$WORK/apache.out"; rc=$?
		statuses "$WORK/apache.out" >"$WORK/st.all"
		grep -v '^logout=' "$WORK/st.all" >"$WORK/st"
		# Two findings on Debian 12's mod_auth_openidc (2.4.12.3),
		# documented in docs/conformance.md:
		#  - alg_none: it skips the signature check of an unsigned ID
		#    token received from the token endpoint in the code flow
		#    (OpenID Connect Core 3.1.3.7 item 6 allows TLS in place
		#    of a signature there; FranceConnect's profile requires
		#    ES256/RS256);
		#  - userinfo_sub: it drops a userinfo whose sub differs from
		#    the ID token's (OIDC Core 5.3.2) but opens the session
		#    anyway, without the identity FranceConnect vouches for.
		# Every other forged run must be refused.
		others=$(grep -Ev '^(alg_none|userinfo_sub)=' "$WORK/st" | grep -cv '=pass$')
		if grep -qx 'reference=pass' "$WORK/st" && [ "$others" -eq 0 ] &&
			[ "$(wc -l <"$WORK/st")" -eq "$NRUNS" ] && grep -Eq '^alg_none=(pass|fail)$' "$WORK/st" &&
			grep -Eq '^userinfo_sub=(pass|fail)$' "$WORK/st"; then
			ok "mod_auth_openidc: the correct login opens a session, every forged identity but alg none and userinfo sub is refused ($(grep -E '^(alg_none|userinfo_sub)=' "$WORK/st" | tr '\n' ' '))"
		else
			nok "mod_auth_openidc: exit $rc; $(tr '\n' ' ' <"$WORK/st") $(head -3 "$WORK/apache.out.err")"
			details "$WORK/apache.out"
		fi
		# Its logout (redirect_uri?logout=) goes to end_session with
		# the ID token and the declared post_logout_redirect_uri, and
		# drops its session.
		if grep -qx 'logout=pass' "$WORK/st.all"; then
			ok "mod_auth_openidc: logout through end_session with id_token_hint (advisory check passes)"
		else
			nok "mod_auth_openidc logout: $(grep '^logout=' "$WORK/st.all")"
			details "$WORK/apache.out"
		fi
		# The session comes from mod_auth_openidc's own validation:
		# its log names the refusals raccord caused.
		grep -q 'nonce value .* did not match' "$APACHE_DIR/logs/error.log" &&
			grep -q 'signature could not be validated' "$APACHE_DIR/logs/error.log" &&
			grep -q 'resolving user info claims .* failed, nothing will be stored' "$APACHE_DIR/logs/error.log" &&
			ok "mod_auth_openidc's log shows the nonce and signature refusals and the dropped userinfo" ||
			nok "mod_auth_openidc's log lacks the expected refusals"
		# Evidence of both sides, and no secret, code or token in it.
		if python3 - "$WORK/apache.out" "$(cat "$WORK/apache.secret")" <<'PY'; then
import json, sys
rep_text = open(sys.argv[1]).read()
r = json.loads(rep_text)
secret = sys.argv[2]
assert secret not in rep_text, "secret in report"
ex = r["exchanges"]
sides = {e["url"].split("?")[0].rsplit("/", 1)[-1] for e in ex}
assert "token" in sides and "userinfo" in sides and "authorize" in sides, sides
for e in ex:
    if "code=" in e["url"]:
        assert "code=REDACTED" in e["url"], e["url"]
    if "code=" in e.get("location", ""):
        assert "code=REDACTED" in e["location"], e["location"]
for s in r["integrations"]:
    assert s["kind"] == "conformance"
    for c in s["checks"]:
        assert c["exchanges"], c["id"]
        assert "eyJ" not in c["detail"], c["id"]
PY
			ok "report: exchanges of both sides cited, codes redacted, no secret or token"
		else
			nok "report evidence"
		fi
		apache_stop "$APACHE_DIR"
		APACHE_DIR=
	fi
fi

# --- The flawed relying party -------------------------------------------
if ! python3 -c 'import cryptography' 2>/dev/null; then
	nok "python3 cryptography missing: bash .ci/setup installs python3-cryptography"
else
	RP=$(free_port)
	dossier "$WORK/rp.json" IT-conf-rp integration "https://127.0.0.1:$RP/login" "https://127.0.0.1:$RP/callback" \
		"https://127.0.0.1:$RP/logout" "https://127.0.0.1:$RP/au-revoir"
	"$RACCORD" conformance register "$WORK/rp.json" --out "$WORK/rp.reg" \
		--secret-out "$WORK/rp.secret" >/dev/null 2>&1 || nok "register for the flawed RP"
	RCID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["client_id"])' "$WORK/rp.reg")
	# start_rp FLAW LANDING [AUTH [SECRET_FILE]]
	start_rp() {
		python3 tests/conformance/flawed_rp.py --port "$RP" --cert "$CERT" --key "$KEY" \
			--ca "$CA" --issuer "$ISSUER" --client-id "$RCID" --secret-file "${4:-$WORK/rp.secret}" \
			--flaw "$1" --landing "$2" --auth "${3:-post}" ${RP_EXTRA:-} 2>"$WORK/rp-$1-$2.log" &
		RP_PID=$!
		i=0
		# /au-revoir, not /login: /login reads raccord's discovery document,
		# and raccord's provider runs only during a conformance run.
		while ! curl -s --cacert "$CA" -o /dev/null "https://127.0.0.1:$RP/au-revoir" && [ $i -lt 50 ]; do
			i=$((i + 1)); sleep 0.1
		done
	}
	stop_rp() { kill "$RP_PID" 2>/dev/null; wait "$RP_PID" 2>/dev/null; RP_PID=; }
	for spec in "none:" "nonce:nonce_wrong nonce_missing code_replayed" "state:state_altered" \
		"aud:aud_wrong" "alg_none:alg_none" "userinfo_sub:userinfo_sub" "signature:signature_bad alg_none key_unknown"; do
		flaw=${spec%%:*} want=${spec#*:}
		start_rp "$flaw" protected
		run_conf "$WORK/rp.json" "$WORK/rp.reg" "$WORK/rp-$flaw.out"; rc=$?
		expect_failing "$WORK/rp-$flaw.out" "$want" "flawed RP --flaw $flaw"
		if [ -z "$want" ]; then exp=0; else exp=1; fi
		[ $rc -eq $exp ] && ok "flawed RP --flaw $flaw: exit $rc" ||
			nok "flawed RP --flaw $flaw: exit $rc, wanted $exp ($(head -2 "$WORK/rp-$flaw.out.err"))"
		stop_rp
	done

	# Logout (advisory): a site that never sends the browser to
	# end_session, sends it without id_token_hint, or keeps its own
	# session gets a warning, and the exit status stays 0.
	for flaw in logout_local logout_hint logout_keep; do
		start_rp "$flaw" protected
		run_conf "$WORK/rp.json" "$WORK/rp.reg" "$WORK/rp-$flaw.out"; rc=$?
		expect_failing "$WORK/rp-$flaw.out" "" "flawed RP --flaw $flaw" warn
		[ $rc -eq 0 ] && ok "flawed RP --flaw $flaw: advisory, exit 0" ||
			nok "flawed RP --flaw $flaw: exit $rc"
		stop_rp
	done
	grep -q 'did not send the browser to FranceConnect' "$WORK/rp-logout_local.out" &&
		grep -q 'without id_token_hint' "$WORK/rp-logout_hint.out" &&
		grep -q "site's own session is still open afterwards" "$WORK/rp-logout_keep.out" &&
		ok "logout warnings name what is missing" || nok "logout warnings: wrong detail"

	# A landing page anybody may see: the session is told by the name
	# of the test identity on it.
	start_rp nonce public
	run_conf "$WORK/rp.json" "$WORK/rp.reg" "$WORK/rp-public.out"
	expect_failing "$WORK/rp-public.out" "nonce_wrong nonce_missing code_replayed" \
		"flawed RP --flaw nonce, public landing page"
	stop_rp
	# One page for everybody: nothing can be judged, and raccord says so.
	start_rp none same
	run_conf "$WORK/rp.json" "$WORK/rp.reg" "$WORK/rp-same.out"; rc=$?
	statuses "$WORK/rp-same.out" >"$WORK/st"
	if [ $rc -eq 3 ] && grep -qx 'reference=error' "$WORK/st" &&
		[ "$(grep -c '=skip$' "$WORK/st")" -eq "$NRUNS" ]; then
		ok "landing page identical with and without a session: reference error, runs skipped, exit 3"
	else
		nok "identical landing page: exit $rc; $(tr '\n' ' ' <"$WORK/st")"
	fi
	stop_rp

	# client_secret_basic works as well as client_secret_post ...
	start_rp none protected basic
	run_conf "$WORK/rp.json" "$WORK/rp.reg" "$WORK/rp-basic.out"; rc=$?
	expect_failing "$WORK/rp-basic.out" "" "flawed RP --flaw none --auth basic"
	grep -q 'client_secret_basic; tokens issued' "$WORK/rp-basic.out" && [ $rc -eq 0 ] &&
		ok "client_secret_basic accepted (exit 0)" || nok "client_secret_basic: exit $rc"
	stop_rp
	# ... and a wrong secret gets no token: the reference opens no session.
	printf '%064d\n' 0 >"$WORK/wrong.secret"
	chmod 600 "$WORK/wrong.secret"
	start_rp none protected post "$WORK/wrong.secret"
	run_conf "$WORK/rp.json" "$WORK/rp.reg" "$WORK/rp-wrong.out"; rc=$?
	statuses "$WORK/rp-wrong.out" >"$WORK/st"
	if [ $rc -eq 1 ] && grep -qx 'reference=fail' "$WORK/st" &&
		grep -q 'POST /token -> 401 (wrong client_secret)' "$WORK/rp-wrong.out"; then
		ok "a wrong client secret is refused at the token endpoint (reference fail, exit 1)"
	else
		nok "wrong secret: exit $rc; $(tr '\n' ' ' <"$WORK/st")"
	fi
	stop_rp

	# raccord's provider applies FranceConnect's authorize rules: a
	# request without acr_values is refused, and the report says why.
	start_rp acr_values protected
	run_conf "$WORK/rp.json" "$WORK/rp.reg" "$WORK/rp-acr.out"; rc=$?
	statuses "$WORK/rp-acr.out" >"$WORK/st"
	if [ $rc -eq 3 ] && grep -qx 'reference=error' "$WORK/st" &&
		grep -q 'acr_values does not ask for eidas1' "$WORK/rp-acr.out"; then
		ok "an authorization request without acr_values: refused by the provider, reference error naming it"
	else
		nok "request without acr_values: exit $rc; $(tr '\n' ' ' <"$WORK/st")"
	fi
	# The SSRF guard stays on: without network.allow_private the
	# loopback site is not probed at all.
	sed 's/"allow_private": \["127.0.0.0\/8"\]/"allow_private": []/' "$WORK/conf.json" >"$WORK/conf-closed.json"
	"$RACCORD" conformance "$WORK/rp.json" --registration "$WORK/rp.reg" --listen "127.0.0.1:$PP" \
		--public-url "$ISSUER" --tls-cert "$CERT" --tls-key "$KEY" \
		--config "$WORK/conf-closed.json" --format json >"$WORK/rp-closed.out" 2>"$WORK/rp-closed.out.err"; rc=$?
	statuses "$WORK/rp-closed.out" >"$WORK/st"
	if [ $rc -eq 3 ] && grep -qx 'reference=error' "$WORK/st" &&
		grep -q 'login URL could not be fetched: address refused by the SSRF guard' "$WORK/rp-closed.out"; then
		ok "without network.allow_private the loopback site is blocked (reference error, exit 3)"
	else
		nok "closed SSRF guard: exit $rc; $(tr '\n' ' ' <"$WORK/st")"
	fi
	stop_rp
fi

# --- FranceConnect+ (encrypted tokens, eidas2) --------------------------
if python3 -c 'import cryptography' 2>/dev/null; then
	dossier "$WORK/plus.json" IT-conf-plus integration "https://127.0.0.1:$RP/login" "https://127.0.0.1:$RP/callback" \
		"https://127.0.0.1:$RP/logout" "https://127.0.0.1:$RP/au-revoir"
	sed -i 's/"kind": "franceconnect",/"kind": "franceconnect", "plus": true,/' "$WORK/plus.json"
	"$RACCORD" conformance register "$WORK/plus.json" --out "$WORK/plus-nojwks.reg" >"$WORK/o" 2>"$WORK/e"; rc=$?
	[ $rc -eq 2 ] && grep -q -- '--jwks-uri' "$WORK/e" && [ ! -e "$WORK/plus-nojwks.reg" ] &&
		ok "FranceConnect+ register without --jwks-uri: exit 2 naming it" ||
		nok "FranceConnect+ register without --jwks-uri: exit $rc $(cat "$WORK/e")"
	"$RACCORD" conformance register "$WORK/plus.json" --out "$WORK/plus.reg" --secret-out "$WORK/plus.secret" \
		--jwks-uri "https://127.0.0.1:$RP/jwks" >/dev/null 2>&1 || nok "FranceConnect+ register"
	RCID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["client_id"])' "$WORK/plus.reg")
	# The RP refuses an unencrypted token and an acr below eidas2, so a
	# passing reference shows raccord encrypted for the RP's key.
	RP_EXTRA=--plus
	for spec in "none:" "acr_level:acr_low" "nonce:nonce_wrong nonce_missing code_replayed"; do
		flaw=${spec%%:*} want=${spec#*:}
		start_rp "$flaw" protected post "$WORK/plus.secret"
		run_conf "$WORK/plus.json" "$WORK/plus.reg" "$WORK/plus-$flaw.out"; rc=$?
		NR=$((NRUNS + 1)) expect_failing "$WORK/plus-$flaw.out" "$want" "FranceConnect+ RP --flaw $flaw"
		if [ -z "$want" ]; then exp=0; else exp=1; fi
		[ $rc -eq $exp ] && ok "FranceConnect+ RP --flaw $flaw: exit $rc" ||
			nok "FranceConnect+ RP --flaw $flaw: exit $rc, wanted $exp ($(head -2 "$WORK/plus-$flaw.out.err"))"
		stop_rp
	done
	RP_EXTRA=
	grep -q 'FranceConnect+ conformance' "$WORK/plus-none.out" &&
		ok "FranceConnect+ section labelled as such" || nok "FranceConnect+ section label"
	# Without its JWKS the site cannot be logged in: reference error.
	start_rp none protected post "$WORK/plus.secret"
	run_conf "$WORK/plus.json" "$WORK/plus.reg" "$WORK/plus-nokey.out"; rc=$?
	statuses "$WORK/plus-nokey.out" >"$WORK/st"
	if [ $rc -eq 3 ] && grep -qx 'reference=error' "$WORK/st" && grep -q "the site's JWKS" "$WORK/plus-nokey.out"; then
		ok "FranceConnect+ site without a JWKS: reference error naming it, exit 3"
	else
		nok "FranceConnect+ without JWKS: exit $rc; $(tr '\n' ' ' <"$WORK/st")"
	fi
	stop_rp
fi

# raccord itself stayed clean (matters under SANITIZE=address,undefined).
if grep -l 'Sanitizer\|runtime error' "$WORK"/*.err >/dev/null 2>&1; then
	nok "sanitizer report in raccord's stderr: $(grep -l 'Sanitizer\|runtime error' "$WORK"/*.err)"
else
	ok "no sanitizer report from raccord"
fi

finish t_conformance
