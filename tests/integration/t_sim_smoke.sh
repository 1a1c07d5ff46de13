#!/bin/sh
# Smoke test of raccord-sim itself (not of raccord): ports JSON, FC v2
# discovery/JWKS/authorize/token/userinfo/session-end, the portal flavours,
# a full mock login, TLS listeners, and a clean, prompt shutdown.
# Loopback only: curl pins every simulated name to 127.0.0.1.
#
#   BUILD=build sh tests/integration/t_sim_smoke.sh
set -u
BUILD=${BUILD:-build}
SIM=$BUILD/raccord-sim
CERTS=$BUILD/certs
if [ ! -x "$SIM" ]; then
	case $BUILD in
	build-san) make -s SANITIZE=address,undefined "$SIM" >/dev/null ;;
	*) make -s BUILD="$BUILD" "$SIM" >/dev/null ;;
	esac
fi
[ -x "$SIM" ] || { echo "sim-smoke: $SIM missing"; exit 1; }
[ -f "$CERTS/ca.pem" ] || sh certs/mkcerts.sh "$CERTS" >/dev/null
CA=$(cd "$CERTS" && pwd)/ca.pem

W=$(mktemp -d "${TMPDIR:-/tmp}/sim-smoke.XXXXXX")
SIM_PID=
cleanup() {
	[ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

PASS=0 FAIL=0
ok() { PASS=$((PASS + 1)); echo "ok   $*"; }
nok() { FAIL=$((FAIL + 1)); echo "FAIL $*"; }
check() { # NAME COMMAND...: ok when the command succeeds
	n=$1; shift
	if "$@"; then ok "$n"; else nok "$n"; fi
}

"$SIM" --certs "$CERTS" --ports-file "$W/ports.json" >"$W/sim.out" \
	2>"$W/sim.err" &
SIM_PID=$!
i=0
while [ ! -s "$W/ports.json" ]; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$SIM_PID" 2>/dev/null; then
		echo "raccord-sim did not start:"; cat "$W/sim.err"
		echo "sim-smoke: 0 passed, 1 failed"; exit 1
	fi
	sleep 0.1
done
J=$(cat "$W/ports.json")
port() { echo "$J" | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
FC=$(port fc) PO=$(port portal) PH=$(port portal_http)
PE=$(port portal_expired) PW=$(port portal_wronghost)
PS=$(port portal_selfsigned) PN=$(port portal_soon)

# --- ports JSON ---
keys_ok() {
	for k in fc portal portal_http portal_expired portal_wronghost \
		portal_selfsigned portal_soon; do
		p=$(port $k)
		[ -n "$p" ] && [ "$p" -gt 0 ] || return 1
	done
	[ "$(cat "$W/sim.out")" = "$J" ]
}
check "ports JSON has every listener, stdout = ports file" keys_ok

R="--resolve fc.test:$FC:127.0.0.1 --resolve portal.test:$PO:127.0.0.1
 --resolve portal.test:$PH:127.0.0.1 --resolve portal.test:$PE:127.0.0.1
 --resolve portal.test:$PW:127.0.0.1 --resolve portal.test:$PS:127.0.0.1
 --resolve portal.test:$PN:127.0.0.1"
# c ARGS...: curl with the test CA, names pinned to loopback; headers in
# $W/h, body in $W/b; prints the status code.
c() {
	# shellcheck disable=SC2086
	curl -s --noproxy '*' --max-time 10 --cacert "$CA" $R -D "$W/h" \
		-o "$W/b" -w '%{http_code}' "$@"
}
hdr() { grep -i "^$1:" "$W/h" | head -1 | tr -d '\r' | sed 's/^[^:]*: //'; }
has() { grep -q -- "$1" "$W/b"; }
hhas() { grep -qi -- "$1" "$W/h"; }
qarg() { echo "$2" | sed -n "s/.*[?&]$1=\([^&]*\).*/\1/p"; }
FCB=https://fc.test:$FC/api/v2
POB=https://portal.test:$PO

# --- FC discovery and keys ---
st=$(c "$FCB/.well-known/openid-configuration")
check "discovery 200 with issuer" \
	grep -q "\"issuer\":\"https://fc.test:$FC/api/v2\"" "$W/b"
check "discovery: eidas1, code, client_secret_post, pairwise, ES256" sh -c \
	"grep -q '\"acr_values_supported\":\[\"eidas1\"\]' '$W/b' &&
	 grep -q '\"response_types_supported\":\[\"code\"\]' '$W/b' &&
	 grep -q '\"token_endpoint_auth_methods_supported\":\[\"client_secret_post\",\"private_key_jwt\"\]' '$W/b' &&
	 grep -q '\"subject_types_supported\":\[\"pairwise\"\]' '$W/b' &&
	 grep -q '\"end_session_endpoint\":\"$FCB/session/end\"' '$W/b' &&
	 [ $st = 200 ]"
st=$(c "$FCB/jwks")
check "jwks: one public P-256 key" sh -c "[ $st = 200 ] &&
	grep -q '\"crv\":\"P-256\"' '$W/b' && ! grep -q '\"d\":' '$W/b'"

# --- portal "ok" starts the flow correctly ---
st=$(c "$POB/ok/auth/franceconnect")
L1=$(hdr location)
S1=$(qarg state "$L1") N1=$(qarg nonce "$L1")
check "ok: 302 to FC authorize with code, cid-ok, eidas1, openid" sh -c \
	"[ $st = 302 ] && case '$L1' in
	 '$FCB/authorize?response_type=code&client_id=cid-ok&redirect_uri=https%3A%2F%2Fportal.test%3A$PO%2Fok%2Fcallback&scope=openid%20given_name%20family_name%20email&acr_values=eidas1&state='*) true;; *) false;; esac"
check "ok: state cookie Secure, HttpOnly, SameSite=Lax; HSTS" sh -c \
	"grep -qi '^set-cookie: fc_state=[0-9a-f]*; Path=/; Secure; HttpOnly; SameSite=Lax' '$W/h' &&
	 grep -qi '^strict-transport-security:' '$W/h'"
c "$POB/ok/auth/franceconnect" >/dev/null
L2=$(hdr location)
check "ok: state/nonce 64 chars, fresh each time, state != nonce" sh -c \
	"[ ${#S1} -eq 64 ] && [ ${#N1} -eq 64 ] && [ '$S1' != '$N1' ] &&
	 [ '$S1' != '$(qarg state "$L2")' ] && [ '$N1' != '$(qarg nonce "$L2")' ]"

# --- FC authorize verdicts for a few flavours ---
# fcauth FLAVOUR: follow the portal's redirect to FC; status in $st.
fcauth() {
	c "$POB/$1/auth/franceconnect" >/dev/null
	loc=$(hdr location)
	st=$(c "$loc")
}
fcauth ok
check "FC accepts ok: 303 to interaction with fc_session_id and _interaction" sh -c "[ $st = 303 ] &&
	grep -qi '^set-cookie: fc_session_id=[0-9a-f]*; Path=/; HttpOnly; Secure; SameSite=Lax' '$W/h' &&
	grep -qi '^set-cookie: _interaction=[0-9a-f]*;' '$W/h' &&
	hl=\$(grep -i '^location:' '$W/h'); case \"\$hl\" in *'/api/v2/interaction/'*) true;; *) false;; esac"
ia=$(hdr location)
st=$(c "https://fc.test:$FC$ia")
check "FC interaction without its cookies: Y190001, HTTP 401" sh -c \
	"[ $st = 401 ] && grep -q 'data-testid=\"error-code\">Erreur Y190001<' '$W/b'"
for pair in wrong_client:Y04EA6EF unregistered_redirect:Y04C013C \
	short_nonce:Y030007 no_nonce:Y030007 no_acr:Y030007 bad_acr:Y030007 \
	prompt_none:Y030007; do
	f=${pair%%:*} code=${pair#*:}
	fcauth "$f"
	check "FC refuses $f: 400 page, Erreur $code" sh -c \
		"[ $st = 400 ] && grep -q 'data-testid=\"error-code\">Erreur $code<' '$W/b'"
done
for pair in token_flow:unsupported_response_type no_openid:invalid_request \
	bad_scope:invalid_scope; do
	f=${pair%%:*} e=${pair#*:}
	fcauth "$f"
	check "FC answers $f: 303 error=$e with state and iss" sh -c \
		"[ $st = 303 ] && grep -qi '^location: $POB/$f/callback?error=$e&.*&state=[0-9a-f]*&iss=https%3A%2F%2Ffc.test' '$W/h'"
done
st=$(c "$FCB/authorize?response_type=code&client_id=cid-ok&redirect_uri=example.com&scope=openid&acr_values=eidas1&state=s&nonce=nnnnnnnnnnnnnnnnnnnnnnnn")
check "FC: malformed redirect_uri is Y030007" sh -c "[ $st = 400 ] && grep -q Y030007 '$W/b'"

# --- portal flavours (the redirect itself) ---
c "$POB/v1/auth/franceconnect" >/dev/null
check "v1 goes to app.franceconnect.gouv.fr/api/v1" sh -c \
	"case '$(hdr location)' in https://app.franceconnect.gouv.fr/api/v1/authorize?*) true;; *) false;; esac"
c "$POB/sandbox/auth/franceconnect" >/dev/null
check "sandbox goes to fcp-low.sbx.dev-franceconnect.fr" sh -c \
	"case '$(hdr location)' in https://fcp-low.sbx.dev-franceconnect.fr/api/v2/authorize?*) true;; *) false;; esac"
c "$POB/static_state/auth/franceconnect" >/dev/null
a=$(qarg state "$(hdr location)")
c "$POB/static_state/auth/franceconnect" >/dev/null
check "static_state repeats a 32-char state" sh -c \
	"[ '$a' = '$(qarg state "$(hdr location)")' ] && [ ${#a} -eq 32 ]"
c "$POB/counter_state/auth/franceconnect" >/dev/null
a=$(qarg state "$(hdr location)")
c "$POB/counter_state/auth/franceconnect" >/dev/null
b=$(qarg state "$(hdr location)")
check "counter_state counts" sh -c "case '$a' in state0*) true;; *) false;; esac &&
	[ ${#a} -ge 22 ] && [ '$a' != '$b' ]"
c "$POB/same_state_nonce/auth/franceconnect" >/dev/null
l=$(hdr location)
check "same_state_nonce: state = nonce" [ "$(qarg state "$l")" = "$(qarg nonce "$l")" ]
c "$POB/weak_cookie/auth/franceconnect" >/dev/null
check "weak_cookie: no Secure/HttpOnly/SameSite" sh -c \
	"hc=\$(grep -i '^set-cookie: fc_state' '$W/h'); [ -n \"\$hc\" ] &&
	 ! echo \"\$hc\" | grep -qi 'secure\|httponly\|samesite'"
c "$POB/no_hsts/connexion" >/dev/null
check "no_hsts: no Strict-Transport-Security" sh -c "! grep -qi '^strict-transport-security' '$W/h'"
st=$(c "$POB/multihop/auth/franceconnect")
l=$(hdr location)
st2=$(c "$POB${l#"$POB"}")
check "multihop: 302 /multihop/sso/start then 302 FC" sh -c \
	"[ $st = 302 ] && [ '$l' = /multihop/sso/start ] && [ $st2 = 302 ] &&
	 grep -qi '^location: $FCB/authorize?' '$W/h'"
c "$POB/loop/auth/franceconnect" >/dev/null
check "loop redirects to itself" [ "$(hdr location)" = /loop/auth/franceconnect ]
st=$(c "$POB/ok/connexion")
check "ok login page: DSFR button and the FC link" sh -c "[ $st = 200 ] &&
	grep -q 'class=\"fr-connect-group\"' '$W/b' && grep -q 'class=\"fr-connect\"' '$W/b' &&
	grep -q 'href=\"https://franceconnect.gouv.fr/\"' '$W/b'"
c "$POB/no_button/connexion" >/dev/null
check "no_button: no button, no link" sh -c "! grep -q 'fr-connect' '$W/b' &&
	! grep -q 'franceconnect.gouv.fr' '$W/b'"

# formpost: GET refused, POST needs the csrf bound to the cookie.
st=$(c "$POB/formpost/auth/franceconnect")
check "formpost: GET auth is 405" [ "$st" = 405 ]
c -c "$W/jar-fp" "$POB/formpost/connexion" >/dev/null
tok=$(sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' "$W/b")
st=$(c -b "$W/jar-fp" -d "csrf=forged" "$POB/formpost/auth/franceconnect")
check "formpost: wrong csrf is 403" [ "$st" = 403 ]
st=$(c -b "$W/jar-fp" -d "csrf=$tok" "$POB/formpost/auth/franceconnect")
check "formpost: POST with csrf starts the flow" sh -c "[ $st = 302 ] &&
	grep -qi '^location: $FCB/authorize?response_type=code&client_id=cid-formpost' '$W/h'"

# --- callback hardening ---
st=$(c "$POB/ok/callback?code=forged&state=forged")
check "ok: forged callback is 400 Échec, no session" sh -c "[ $st = 400 ] &&
	grep -q 'Échec de la connexion' '$W/b' && ! grep -qi '^set-cookie: session' '$W/h'"
st=$(c "$POB/callback_500/callback?code=forged&state=forged")
check "callback_500: forged callback is 500 with a trace" sh -c \
	"[ $st = 500 ] && grep -q 'at fr.simville' '$W/b'"
st=$(c "$POB/callback_session/callback?code=forged&state=forged")
check "callback_session: forged callback opens a session" sh -c "[ $st = 302 ] &&
	grep -qi '^set-cookie: session=' '$W/h' && grep -qi '^location: /callback_session/espace' '$W/h'"
st=$(c "$POB/error_500/callback?error=access_denied&state=x")
check "error_500: error callback is 500" [ "$st" = 500 ]
c -c "$W/jar-cancel" "$POB/ok/auth/franceconnect" >/dev/null
s=$(qarg state "$(hdr location)")
st=$(c -b "$W/jar-cancel" "$POB/ok/callback?error=access_denied&error_description=user%20authentication%20aborted&state=$s")
check "ok: access_denied with a valid state is 200 Connexion annulée" sh -c \
	"[ $st = 200 ] && grep -q 'Connexion annulée' '$W/b' && ! grep -qi '^set-cookie: session' '$W/h'"

# --- a full mock login on ok: the portal is a real RP ---
J2="$W/jar-login"
c -c "$J2" "$POB/ok/auth/franceconnect" >/dev/null
c -b "$J2" -c "$J2" "$(hdr location)" >/dev/null
ia=$(hdr location)
st=$(c -b "$J2" "https://fc.test:$FC$ia")
check "FC interaction page with its cookies: Choisissez votre compte" sh -c "[ $st = 200 ] && grep -q 'Choisissez votre compte' '$W/b' &&
	grep -q 'data-testid=\"main-providers\"' '$W/b' && grep -q 'id=\"grid-main-providers\"' '$W/b'"
st=$(c -b "$J2" "https://fc.test:$FC$ia/login?login=test&password=123")
cb=$(hdr location)
check "mock FI login: 302 to callback with code, state, iss" sh -c "[ $st = 302 ] &&
	case '$cb' in '$POB/ok/callback?code='*'&state='*'&iss=https%3A%2F%2Ffc.test%3A$FC%2Fapi%2Fv2') true;; *) false;; esac"
st=$(c -b "$J2" -c "$J2" "$cb")
check "callback exchanges the code and opens a session" sh -c "[ $st = 302 ] &&
	grep -qi '^set-cookie: session=[0-9a-f]*; Path=/; Secure; HttpOnly; SameSite=Lax' '$W/h'"
st=$(c -b "$J2" "$POB/ok/espace")
check "espace greets Angela Claire Louise DUBOIS (signed userinfo)" sh -c \
	"[ $st = 200 ] && grep -q 'Bonjour Angela Claire Louise DUBOIS' '$W/b'"
st=$(c -b "$J2" -c "$J2" "$POB/ok/deconnexion")
lo=$(hdr location)
check "deconnexion: 302 to FC session/end with id_token_hint" sh -c "[ $st = 302 ] &&
	case '$lo' in '$FCB/session/end?id_token_hint=ey'*'&state='*'&post_logout_redirect_uri=https%3A%2F%2Fportal.test%3A$PO%2Fok%2F') true;; *) false;; esac"
st=$(c "$lo")
check "session/end: 303 to post_logout_redirect_uri with state" sh -c "[ $st = 303 ] &&
	grep -qi '^location: $POB/ok/?state=[0-9a-f]*' '$W/h'"
st=$(c "$FCB/session/end?state=x&post_logout_redirect_uri=$POB/ok/")
check "session/end without id_token_hint: 400" [ "$st" = 400 ]

# The token endpoint itself, as an FS uses it (this test is the FS).
c -c "$W/jar-t" "$POB/ok/auth/franceconnect" >/dev/null
c -c "$W/jar-t" "$(hdr location)" >/dev/null
c -b "$W/jar-t" "https://fc.test:$FC$(hdr location)/login?login=test&password=123" >/dev/null
code=$(qarg code "$(hdr location)")
tok() {
	c "$@" -d grant_type=authorization_code -d "code=$code" \
		--data-urlencode "redirect_uri=$POB/ok/callback" "$FCB/token"
}
st=$(tok -u cid-ok:secret-ok)
check "token: client_secret_basic is 401 invalid_client" sh -c \
	"[ $st = 401 ] && grep -q invalid_client '$W/b'"
st=$(tok -d client_id=cid-ok -d client_secret=secret-ok)
at=$(sed -n 's/.*"access_token":"\([0-9a-f]*\)".*/\1/p' "$W/b")
check "token: exactly 5 fields, Bearer, 60 s, ES256 id_token" sh -c "[ $st = 200 ] &&
	[ \$(grep -o '\"[a-z_]*\":' '$W/b' | wc -l) -eq 5 ] &&
	grep -q '\"token_type\":\"Bearer\"' '$W/b' && grep -q '\"expires_in\":60' '$W/b' &&
	grep -q '\"id_token\":\"eyJhbGciOiJFUzI1NiIs' '$W/b'"
st=$(tok -d client_id=cid-ok -d client_secret=secret-ok)
check "token: a code is single-use (invalid_grant)" sh -c \
	"[ $st = 400 ] && grep -q invalid_grant '$W/b'"
st=$(c -H "Authorization: Bearer $at" "$FCB/userinfo")
check "userinfo: application/jwt" sh -c "[ $st = 200 ] &&
	grep -qi '^content-type: application/jwt' '$W/h' && grep -q '^eyJ' '$W/b'"
st=$(c -H "Authorization: Bearer nope" "$FCB/userinfo")
check "userinfo: bad token is 401" [ "$st" = 401 ]

# --- TLS listeners and plain http ---
tls() { curl -s --noproxy '*' --max-time 5 --cacert "$CA" $R -o /dev/null "$1"; echo $?; }
check "portal_expired: certificate refused" [ "$(tls "https://portal.test:$PE/ok/connexion")" != 0 ]
check "portal_wronghost: certificate refused" [ "$(tls "https://portal.test:$PW/ok/connexion")" != 0 ]
check "portal_selfsigned: certificate refused" [ "$(tls "https://portal.test:$PS/ok/connexion")" != 0 ]
check "portal_soon: certificate accepted" [ "$(tls "https://portal.test:$PN/ok/connexion")" = 0 ]
st=$(c "http://portal.test:$PH/ok/auth/franceconnect")
check "portal_http: plain http, http redirect_uri, no HSTS" sh -c "[ $st = 302 ] &&
	! grep -qi '^strict-transport-security' '$W/h' &&
	grep -qi 'redirect_uri=http%3A%2F%2Fportal.test%3A$PH%2Fok%2Fcallback' '$W/h'"

# --- huge and slow ---
st=$(c "$POB/huge/auth/franceconnect")
check "huge: 200, chunked, 50 MiB" sh -c "[ $st = 200 ] &&
	grep -qi '^transfer-encoding: chunked' '$W/h' && [ \$(wc -c <'$W/b') -eq 52428800 ]"
rm -f "$W/b"
t0=$(date +%s)
curl -s --noproxy '*' --max-time 1 --cacert "$CA" $R -o /dev/null \
	"$POB/slow/auth/franceconnect"
e=$?
check "slow: no answer within 1 s (curl timeout)" [ "$e" = 28 ]
curl -s --noproxy '*' --max-time 30 --cacert "$CA" $R -o /dev/null \
	"$POB/slow/auth/franceconnect" &
SLOW=$!
sleep 0.3
st=$(c "$FCB/jwks")
check "slow handler blocks nobody else" [ "$st" = 200 ]

# --- clean, prompt shutdown (while a slow request is pending) ---
kill -TERM "$SIM_PID"
wait "$SIM_PID"
rc=$?
SIM_PID=
t1=$(date +%s)
wait "$SLOW" 2>/dev/null
check "SIGTERM: exit 0" [ "$rc" = 0 ]
check "SIGTERM: stops promptly despite the slow request" [ $((t1 - t0)) -lt 10 ]
check "no sanitizer report" sh -c "! grep -q 'Sanitizer' '$W/sim.err'"
grep -q Sanitizer "$W/sim.err" && head -40 "$W/sim.err"

echo "sim-smoke: $PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
