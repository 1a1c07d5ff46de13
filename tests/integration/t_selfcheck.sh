#!/bin/sh
# The public self-check page of raccord serve (docs/selfcheck.md), driven
# with curl against raccord-sim: the form and its security headers, CSRF
# refused, bad SIRET / URL re-rendered with field messages, an address
# the SSRF guard refuses explained in French, a correct portal verified
# and a flawed one failed (one row per check, catalogue texts), the
# cooldown (cached result with its age), the per-host and per-address
# limits (429 + Retry-After), the self-checks' share of the queue, result
# expiry, the DSFR served with cache headers, no award from a self-check
# job.  Loopback only.
set -u
. tests/integration/lib.sh
. tests/integration/lib_daemon.sh
sim_start || exit 1
write_config "$WORK/base.json" 8000 yes
T_INSTR=it-instructor-token-5f1d2c
DSFR=${DSFR_DIR:-web/node_modules/@gouvfr/dsfr/dist}
[ -f "$DSFR/dsfr.min.css" ] || { echo "t_selfcheck: $DSFR/dsfr.min.css missing: run npm ci --prefix web"; exit 1; }

ledger_keys it.example/raccord/v1 || exit 1

# sc_config OUT KEY=VALUE...: daemon.selfcheck settings over the defaults below.
sc_config() {
	out=$1; shift
	python3 - "$out" "$WORK/base.json" "$PORT" "$WORK/jobs.sqlite" "$L" "$WORK/k.pem" "$T_INSTR" "$DSFR" "$@" <<'PY'
import hashlib, json, sys
out, base, port, store, ledger, key, ti, dsfr = sys.argv[1:9]
cfg = json.load(open(base))
sc = {"enabled": True, "operator": "Préfecture d'essai <test>", "static_dir": dsfr,
      "cooldown_s": 0, "rate_per_address_hour": 0, "rate_per_host_hour": 0,
      "queue_share": 100, "result_ttl_s": 3600,
      # the simulated portals are on loopback: opened for the page itself,
      # network.allow_private (the operator's) does not reach it
      "allow_private": ["127.0.0.0/8"]}
for kv in sys.argv[9:]:
    k, v = kv.split("=", 1)
    sc[k] = json.loads(v)
cfg["daemon"] = {"listen": "127.0.0.1:%s" % port, "store": store,
                 "tokens": [{"name": "dinum-1", "role": "instructor",
                             "sha256": hashlib.sha256(ti.encode()).hexdigest()}],
                 "queue_max": 10, "connection_timeout_s": 5, "shutdown_timeout_s": 5,
                 "selfcheck": sc}
cfg["ledger"] = {"dir": ledger, "key_file": key}
json.dump(cfg, open(out, "w"), indent=2)
PY
}

has() { grep -q -- "$1" "$WORK/resp"; }
# sql QUERY: one value from the job store (python3's sqlite3: no sqlite3 CLI needed)
sql() { python3 -c 'import sqlite3,sys; r=sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone(); print("" if r is None else r[0])' "$WORK/jobs.sqlite" "$1"; }
hdr() { grep -i "^$1:" "$WORK/hdrs" | head -1 | cut -d' ' -f2- | tr -d '\r'; }
# csrf: a fresh token from the form
csrf() {
	curl -s "$BASE/" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1
}
# submit SIRET LOGIN CLIENT REDIRECT [ENV] [BUTTON] [CSRF]: POST /selfcheck
submit() {
	tok=${7-$(csrf)}
	req POST /selfcheck "" --data-urlencode "siret=$1" --data-urlencode "login_url=$2" \
		--data-urlencode "client_id=$3" --data-urlencode "redirect_uri=$4" \
		--data-urlencode "environment=${5:-production}" --data-urlencode "button_page_url=${6:-}" \
		--data-urlencode "csrf=$tok"
}
P=https://portal.test:$PORTAL_PORT
SIRET=21750001600019
# portal FLAVOUR: submit that simulated portal
portal() { submit $SIRET "$P/$1/auth/franceconnect" "cid-$1" "$P/$1/callback"; }
# wait_done PATH: poll /r/<id>.json until the check ended
wait_done() {
	i=0
	while :; do
		req GET "$1.json" ""
		st=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("state",""))' "$WORK/resp" 2>/dev/null)
		[ "$st" = done ] || [ "$st" = error ] && return 0
		i=$((i + 1)); [ $i -gt 300 ] && return 1
		sleep 0.2
	done
}

sc_config "$WORK/off.json" enabled=false
daemon_start "$WORK/off.json" || exit 1
req GET / ""; expect_code "disabled (the default): GET / is no route" 404
daemon_stop

sc_config "$WORK/d.json"
daemon_start "$WORK/d.json" || exit 1

# --- the form and its headers ----------------------------------------------
req GET / ""; expect_code "GET / serves the form" 200
has '<html lang="fr"' && has 'id="selfcheck-form"' && has 'name="csrf"' && has 'id="selfcheck-submit"' &&
	ok "form: lang=fr, the form, its CSRF field and submit button" || nok "form markup: $(head -c 400 "$WORK/resp")"
has "Préfecture d&#39;essai &lt;test&gt;" && ok "the operator is named, escaped" || nok "operator not named / not escaped"
csp=$(hdr Content-Security-Policy)
case $csp in *"frame-ancestors 'none'"*) ok "CSP frame-ancestors 'none'" ;; *) nok "CSP: $csp" ;; esac
case $csp in *unsafe-inline*) nok "CSP allows unsafe-inline" ;; *"script-src 'self'"*) ok "CSP without unsafe-inline" ;; *) nok "CSP: $csp" ;; esac
[ "$(hdr Referrer-Policy)" = no-referrer ] && ok "Referrer-Policy" || nok "Referrer-Policy: $(hdr Referrer-Policy)"
[ "$(hdr X-Content-Type-Options)" = nosniff ] && ok "nosniff" || nok "X-Content-Type-Options missing"
[ "$(hdr Cache-Control)" = no-store ] && ok "the form: Cache-Control no-store" || nok "form Cache-Control: $(hdr Cache-Control)"
[ -z "$(hdr Strict-Transport-Security)" ] && ok "no HSTS over plain HTTP" || nok "HSTS over http"
grep -q '<script>\|<style\| style="' "$WORK/resp" && nok "inline script or style in the page" || ok "no inline script or style"

# --- static files --------------------------------------------------------------
req GET /static/dsfr/dsfr.min.css ""; expect_code "DSFR css served" 200
case $(hdr Content-Type) in text/css*) ok "DSFR css: text/css" ;; *) nok "css type: $(hdr Content-Type)" ;; esac
case $(hdr Cache-Control) in *max-age=*) ok "static: long cache ($(hdr Cache-Control))" ;; *) nok "static cache: $(hdr Cache-Control)" ;; esac
cmp -s "$WORK/resp" "$DSFR/dsfr.min.css" && ok "DSFR css: the installed file" || nok "DSFR css differs"
req GET /static/dsfr/fonts/Marianne-Regular.woff2 ""; expect_code "DSFR font served" 200
[ "$(hdr Content-Type)" = font/woff2 ] && ok "font/woff2" || nok "font type: $(hdr Content-Type)"
req GET /static/selfcheck.js ""; expect_code "the page's script served" 200
case $(hdr Content-Type) in text/javascript*) ok "script: text/javascript" ;; *) nok "js type: $(hdr Content-Type)" ;; esac
req GET "/static/dsfr/../../../../etc/passwd" "" --path-as-is; expect_code "static: .. refused" 404
req GET "/static/dsfr/.bin/x.js" ""; expect_code "static: dot segment refused" 404

# --- CSRF -------------------------------------------------------------------------
submit $SIRET "$P/ok/auth/franceconnect" cid-ok "$P/ok/callback" production "" ""
expect_code "no CSRF token: 403" 403
has 'Formulaire expiré' && ok "403 page in French" || nok "403 page: $(head -c 300 "$WORK/resp")"
good=$(csrf)
bad=$(printf '%s' "$good" | sed 's/.$/A/'); [ "$bad" = "$good" ] && bad=$(printf '%s' "$good" | sed 's/.$/B/')
submit $SIRET "$P/ok/auth/franceconnect" cid-ok "$P/ok/callback" production "" "$bad"
expect_code "wrong CSRF token: 403" 403
submit $SIRET "$P/ok/auth/franceconnect" cid-ok "$P/ok/callback" production "" "1000.$(printf '%s' "$good" | cut -d. -f2)"
expect_code "CSRF token of another time: 403" 403

# --- bad input --------------------------------------------------------------------
submit 21750001600018 "$P/ok/auth/franceconnect" cid-ok "$P/ok/callback"
expect_code "SIRET failing Luhn: 400" 400
has 'data-testid="form-errors"' && has 'id="siret-error"' && has 'aria-describedby="siret-error"' && has 'formule de Luhn' &&
	ok "SIRET: French message tied to the field, error summary" || nok "SIRET error markup: $(grep -o 'siret-error.\{0,200\}' "$WORK/resp" | head -2)"
has 'value="21750001600018"' && ok "the typed values are kept" || nok "values not kept"
submit 35600000000049 "$P/ok/auth/franceconnect" cid-ok "$P/ok/callback"
expect_code "La Poste SIRET breaking its rule: 400" 400
has 'La Poste' && ok "La Poste message" || nok "La Poste: $(grep -o 'siret-error.\{0,200\}' "$WORK/resp" | head -1)"
submit 35600000000048 "$P/ok/auth/franceconnect" cid-ok "not a url"
expect_code "bad redirect_uri (La Poste head office SIRET accepted): 400" 400
has 'id="redirect_uri-error"' && ! has 'id="siret-error"' && ok "URL message on its field only" || nok "URL error markup"
submit $SIRET "" "" "$P/ok/callback" staging
expect_code "missing fields, bad environment: 400" 400
has 'id="login_url-error"' && has 'id="client_id-error"' && has 'id="environment-error"' &&
	ok "every bad field named at once" || nok "missing fields: $(grep -o 'id="[a-z_]*-error"' "$WORK/resp" | tr '\n' ' ')"
submit $SIRET "https://10.1.2.3/auth" cid-x "$P/ok/callback"
expect_code "a private address: 400" 400
has 'réseau privé ou réservé' && has 'id="login_url-error"' && ok "SSRF guard refusal explained in French" || nok "SSRF: $(grep -o 'login_url-error.\{0,300\}' "$WORK/resp" | head -1)"
submit $SIRET "https://[::1]:$PORTAL_PORT/ok/auth/franceconnect" cid-x "$P/ok/callback"
expect_code "IPv6 loopback: 400" 400
has 'réseau privé ou réservé' && ok "IPv6 loopback refused" || nok "::1 not refused"
submit $SIRET "https://portal.test/$(head -c 3000 /dev/zero | tr '\0' a)" cid-x "$P/ok/callback"
expect_code "a field over 2048 bytes: 400" 400
has 'trop long' && ok "too long: said on the field" || nok "too long: $(grep -o 'login_url-error.\{0,200\}' "$WORK/resp" | head -1)"
tok=$(csrf)
req POST /selfcheck "" --data "siret=$SIRET&login_url=https%3A%2F%2Fportal.test%2Fa%00b&client_id=x&redirect_uri=https%3A%2F%2Fportal.test%2Fcb&csrf=$tok"
expect_code "a NUL byte in a field: 400" 400
has 'caractères invalides' && ok "NUL: said on the field" || nok "NUL: $(grep -o 'login_url-error.\{0,200\}' "$WORK/resp" | head -1)"
submit "<script>x</script>" "$P/ok/auth/franceconnect" cid-ok "$P/ok/callback"
grep -q '<script[>&]' "$WORK/resp" && nok "a typed value reached the page unescaped" || ok "typed values escaped"

# --- a correct portal ---------------------------------------------------------
portal ok
expect_code "correct portal: 303" 303
loc=$(hdr Location)
printf '%s' "$loc" | grep -Eq '^/r/[A-Za-z0-9_-]{22}$' && ok "permalink /r/<22 base64url>: $loc" || nok "Location: $loc"
req GET "$loc" ""
if has 'data-testid="progress"'; then
	has '<noscript><meta http-equiv="refresh" content="2"></noscript>' && has '/static/selfcheck.js' && ok "progress: refresh and script" || nok "progress markup"
else
	ok "progress state already over (fast machine)"
fi
wait_done "$loc" || nok "the check did not end"
req GET "$loc" ""; expect_code "result page" 200
[ "$(hdr Cache-Control)" = no-store ] && [ "$(hdr X-Content-Type-Options)" = nosniff ] &&
	ok "result page: no-store, nosniff" || nok "result page headers: Cache-Control '$(hdr Cache-Control)', X-Content-Type-Options '$(hdr X-Content-Type-Options)'"
has 'data-verdict="verified"' && ok "verdict verified" || nok "verdict: $(grep -o 'data-verdict="[a-z]*"' "$WORK/resp")"
n=$(grep -c 'data-testid="check-row"' "$WORK/resp")
[ "$n" -ge 5 ] && ok "$n check rows" || nok "check rows: $n"
has 'data-check-id="fc.authorize.nonce" data-status="pass"' && ok "a row with its id and status" || nok "row fc.authorize.nonce"
title=$("$RACCORD" checks --format json 2>/dev/null | python3 -c 'import json,sys; print([c for c in json.load(sys.stdin)["checks"] if c["id"]=="fc.authorize.nonce"][0]["fr"]["title"])' 2>/dev/null)
[ -n "$title" ] && grep -qF "$(printf '%s' "$title" | sed "s/'/\&#39;/g")" "$WORK/resp" && ok "French title from the catalogue" || nok "catalogue title '$title' not on the page"
has 'data-testid="exchanges"' && has 'data-testid="download-json"' && has 'data-testid="checked-at" datetime="' && has 'data-testid="retest"' &&
	ok "exchanges, JSON download, time, re-test" || nok "result page parts"
has 'href="/regles#fc.authorize.nonce"' && ok "source link" || nok "no source link"
req GET "$loc.json" ""; expect_code "JSON report" 200
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["verdict"]=="verified"; c=d["report"]["integrations"][0]["checks"][0]; assert c["explanation"]["lang"]=="fr"' "$WORK/resp" &&
	ok "JSON: verdict and French explanations" || nok "JSON: $(head -c 300 "$WORK/resp")"
req GET /regles ""; expect_code "the rules page" 200
has 'id="fc.authorize.nonce"' && ok "rules page has every check anchor" || nok "rules page"
RID=${loc#/r/}

# --- no award from a self-check job ------------------------------------------------
JOB=$(sql "SELECT id FROM jobs WHERE submitted_by = 'self-check page' LIMIT 1")
if [ -n "$JOB" ]; then
	CODE=$(curl -s -o "$WORK/resp" -w '%{http_code}' -X POST -H "Authorization: Bearer $T_INSTR" "$BASE/v1/dossiers/$JOB/verify")
	expect_code "award asked on a self-check job: 409" 409
else
	nok "no self-check job in the store"
fi

# --- a flawed portal ----------------------------------------------------------
portal no_nonce
expect_code "flawed portal: 303" 303
loc=$(hdr Location)
wait_done "$loc" || nok "the check did not end"
req GET "$loc" ""
has 'data-verdict="failed"' && ok "verdict failed" || nok "verdict: $(grep -o 'data-verdict="[a-z]*"' "$WORK/resp")"
has 'data-check-id="fc.authorize.nonce" data-status="fail"' && ok "the failing row" || nok "no failing nonce row"
has 'Comment corriger' && ok "how to fix shown" || nok "no fix text"
req GET "/r/AAAAAAAAAAAAAAAAAAAAAA" ""; expect_code "unknown result: 404" 404
has 'Résultat introuvable' && ok "404 in French" || nok "404 page"
daemon_stop

# --- cooldown: the cached result with its age --------------------------------------
sc_config "$WORK/cd.json" cooldown_s=600
daemon_start "$WORK/cd.json" || exit 1
portal ok; first=$(hdr Location)
wait_done "$first"
req GET "$first" ""
has 'data-testid="retest"' && has 'disabled' && has 'Nouveau test possible dans' && ok "re-test disabled during the cooldown" || nok "re-test button"
portal ok; expect_code "repeat within the cooldown: 303" 303
case $(hdr Location) in "$first?cache=1") ok "to the cached result" ;; *) nok "cooldown Location: $(hdr Location), first $first" ;; esac
req GET "$(hdr Location)" ""
has 'data-testid="cached-age"' && has 'vérifié il y a' && ok "cached result shows its age" || nok "no cached-age"
n=$(sql "SELECT count(*) FROM jobs WHERE submitted_by = 'self-check page'")
tok=$(csrf)
req POST "$first/retest" "" --data-urlencode "csrf=$tok"
expect_code "re-test within the cooldown: back to the result" 303
m=$(sql "SELECT count(*) FROM jobs WHERE submitted_by = 'self-check page'")
[ "$n" = "$m" ] && ok "nothing run again within the cooldown" || nok "jobs $n -> $m"
# The cache is keyed on the whole dossier: the same portal with another
# client_id is checked again, not shown the verdict of the first one.
submit $SIRET "$P/ok/auth/franceconnect" cid-corrected "$P/ok/callback"; expect_code "another client_id within the cooldown: 303" 303
case $(hdr Location) in "$first"*) nok "another client_id was shown the cached result $first" ;; /r/*) ok "another client_id: a new check" ;; *) nok "Location: $(hdr Location)" ;; esac
daemon_stop

# The cooldown is per dossier, not per result: once the first result's own
# cooldown is over, a re-test from it goes to a newer result of the same
# dossier still within its cooldown, and runs nothing.
sc_config "$WORK/cd2.json" cooldown_s=4
daemon_start "$WORK/cd2.json" || exit 1
portal ok; first=$(hdr Location)
wait_done "$first"
sleep 4
req POST "$first/retest" "" --data-urlencode "csrf=$(csrf)"
expect_code "re-test after the cooldown: a new check" 303
second=$(hdr Location)
case $second in "$first"*) nok "re-test after the cooldown went back to $first" ;; /r/*) ok "re-test after the cooldown: $second" ;; *) nok "Location: $second" ;; esac
n=$(sql "SELECT count(*) FROM jobs WHERE submitted_by = 'self-check page'")
req POST "$first/retest" "" --data-urlencode "csrf=$(csrf)"
expect_code "re-test of the old result while a newer one is fresh: 303" 303
case $(hdr Location) in "$second?cache=1") ok "to the newer result, cached" ;; *) nok "re-test of an old result: Location $(hdr Location), newer $second" ;; esac
m=$(sql "SELECT count(*) FROM jobs WHERE submitted_by = 'self-check page'")
[ "$n" = "$m" ] && ok "nothing run again for the same dossier" || nok "jobs $n -> $m: the re-test bypassed the dossier's cooldown"
daemon_stop

# --- the operator's network.allow_private is not the page's ---------------------
# The base config opens 127.0.0.0/8 for raccord's own probes; a stranger's
# check reaches it only through daemon.selfcheck.allow_private.
sc_config "$WORK/np.json" allow_private=null
daemon_start "$WORK/np.json" || exit 1
submit $SIRET "https://127.0.0.1:$PORTAL_PORT/ok/auth/franceconnect" cid-x "$P/ok/callback"
expect_code "loopback that only network.allow_private opens: refused on the form" 400
has 'réseau privé ou réservé' && ok "explained in French" || nok "no SSRF text: $(grep -o 'login_url-error.\{0,200\}' "$WORK/resp" | head -1)"
portal ok; loc=$(hdr Location)
wait_done "$loc" || nok "no end for $loc"
v=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("verdict"))' "$WORK/resp")
[ "$v" != verified ] && ok "a name resolving to loopback is not probed for a stranger ($v)" || nok "the page's check reached loopback through network.allow_private"
daemon_stop

# --- rate limits ------------------------------------------------------------------
sc_config "$WORK/rl.json" rate_per_address_hour=3
daemon_start "$WORK/rl.json" || exit 1
for i in 1 2 3; do portal ok >/dev/null; done
portal ok; expect_code "flood from one address: 429" 429
has 'data-testid="rate-limited"' && has 'Trop de demandes' && ok "429 page in French" || nok "429 page"
ra=$(hdr Retry-After); [ "${ra:-0}" -gt 0 ] 2>/dev/null && ok "Retry-After: $ra" || nok "Retry-After: '$ra'"
daemon_stop
sc_config "$WORK/rh.json" rate_per_host_hour=2
daemon_start "$WORK/rh.json" || exit 1
portal ok >/dev/null; portal multihop >/dev/null
portal static_state; expect_code "third check of one host in the hour: 429" 429
has 'Ce portail' && ok "per-host message" || nok "per-host page"
daemon_stop

# --- the self-checks' share of the queue ----------------------------------------
# queue_max 10, share 20%: two self-checks queued or running at most.  The
# simulator is stopped so that the probes hang and the jobs stay in the queue.
# A fresh store: jobs of the sections above left queued would count.
rm -f "$WORK/jobs.sqlite" "$WORK/jobs.sqlite-wal" "$WORK/jobs.sqlite-shm"
sc_config "$WORK/qs.json" queue_share=20
kill -STOP "$SIM_PID"
daemon_start "$WORK/qs.json" || { kill -CONT "$SIM_PID"; exit 1; }
portal ok; a=$CODE
portal multihop; b=$CODE; qloc=$(hdr Location)
portal static_state
[ "$a$b" = 303303 ] && [ "$CODE" = 503 ] && ok "third self-check over the share: 503" || nok "queue share: $a $b $CODE"
[ -n "$(hdr Retry-After)" ] && has 'Service très sollicité' && ok "503 page in French, Retry-After" || nok "503 page"
fc_dossier "$WORK/instr.json" ok
req POST /v1/dossiers "$T_INSTR" "$WORK/instr.json"
expect_code "an instructor still gets in" 202
IID=$(jget '["id"]')
req GET "$qloc" ""
has 'data-testid="progress"' && has '<noscript><meta http-equiv="refresh" content="2"></noscript>' && has 'src="/static/selfcheck.js"' && has "data-poll=\"$qloc.json\"" &&
	ok "progress state: refresh, script, poll URL" || nok "progress markup: $(grep -o 'data-testid="[a-z-]*"' "$WORK/resp" | tr '\n' ' ')"
req GET "$qloc.json" ""
grep -Eq '"state": ?"(queued|running)"' "$WORK/resp" && ok "JSON state while running" || nok "JSON while running: $(head -c 200 "$WORK/resp")"
# The instructor's job runs before the self-check queued ahead of it (the
# second one: its page above was still the progress state).
kill -CONT "$SIM_PID"
J2=$(sql "SELECT id FROM jobs WHERE submitted_by = 'self-check page' ORDER BY n LIMIT 1 OFFSET 1")
i=0 li= l2=
while [ -z "$li$l2" ] && [ $i -lt 600 ]; do
	li=$(grep -n "job=$IID state=running" "$WORK/daemon.log" | head -1 | cut -d: -f1)
	l2=$(grep -n "job=$J2 state=running" "$WORK/daemon.log" | head -1 | cut -d: -f1)
	i=$((i + 1)); sleep 0.2
done
[ -n "$li" ] && { [ -z "$l2" ] || [ "$li" -lt "$l2" ]; } && ok "an instructor's job is claimed before queued self-checks" || nok "claim order: instructor line ${li:-none}, self-check line ${l2:-none}"
kill -9 "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null; DPID=
rm -f "$WORK/jobs.sqlite" "$WORK/jobs.sqlite-wal" "$WORK/jobs.sqlite-shm"

# --- expiry ---------------------------------------------------------------------
sc_config "$WORK/ex.json" result_ttl_s=2
daemon_start "$WORK/ex.json" || exit 1
portal ok; loc=$(hdr Location)
req GET "$loc" ""; expect_code "fresh result" 200
sleep 3
req GET "$loc" ""; expect_code "result expired after result_ttl_s: 404" 404
req GET "$loc.json" ""; expect_code "its JSON too" 404
daemon_stop

# --- HSTS over TLS ------------------------------------------------------------------
sc_config "$WORK/tls.json"
python3 - "$WORK/tls.json" "$(cd "$CERTS" && pwd)" <<'PY2'
import json, sys
f, certs = sys.argv[1:3]
cfg = json.load(open(f))
cfg["daemon"]["tls_cert"] = certs + "/server.pem"
cfg["daemon"]["tls_key"] = certs + "/server.key"
json.dump(cfg, open(f, "w"))
PY2
"$RACCORD" serve --config "$WORK/tls.json" >>"$WORK/daemon.out" 2>>"$WORK/daemon.log" &
DPID=$!
i=0
until curl -s -o /dev/null --cacert "$CERTS/ca.pem" "https://127.0.0.1:$PORT/healthz"; do
	i=$((i + 1)); [ $i -gt 100 ] && break; sleep 0.1
done
CODE=$(curl -s -o "$WORK/resp" -D "$WORK/hdrs" -w '%{http_code}' --cacert "$CERTS/ca.pem" "https://127.0.0.1:$PORT/")
expect_code "the form over TLS" 200
case $(hdr Strict-Transport-Security) in max-age=*) ok "HSTS over TLS" ;; *) nok "no HSTS over TLS: $(tr -d '\r' <"$WORK/hdrs" | tr '\n' ' ')" ;; esac
daemon_stop

if grep -q 'AddressSanitizer\|runtime error:\|LeakSanitizer' "$WORK/daemon.log"; then
	nok "sanitizer report in the daemon's log: $(grep -m1 'AddressSanitizer\|runtime error:\|LeakSanitizer' "$WORK/daemon.log")"
else
	ok "no sanitizer report in the daemon's log"
fi
finish t_selfcheck
