#!/bin/sh
# raccord check against raccord-sim: the correct portals, every flaw, the
# TLS failures, batch mode and exit codes.  Loopback only.
set -u
. tests/integration/lib.sh
sim_start || exit 1
write_config "$WORK/cfg.json" 8000 yes
write_config "$WORK/cfg-fast.json" 2500 yes
write_config "$WORK/cfg-noprivate.json" 8000 no

# expect NAME EXIT CFG DOSSIER "verdict" "check=status ..."
expect() {
	name=$1 want_exit=$2 cfg=$3 dossier=$4 want_verdict=$5 checks=$6
	"$RACCORD" check --config "$cfg" --format json "$dossier" \
		>"$WORK/$name.out" 2>"$WORK/$name.err"
	got=$?
	if [ "$got" != "$want_exit" ]; then
		nok "$name: exit $got, want $want_exit"; head -c 600 "$WORK/$name.err"; return
	fi
	if python3 - "$WORK/$name.out" "$want_verdict" "$checks" <<'PY'
import json, sys
rep = json.load(open(sys.argv[1]))
want_verdict, checks = sys.argv[2], sys.argv[3].split()
errs = []
if rep["verdict"] != want_verdict:
    errs.append("verdict %s, want %s" % (rep["verdict"], want_verdict))
got = {}
for sec in rep["integrations"]:
    for c in sec["checks"]:
        got.setdefault(c["id"], c)
for spec in checks:
    cid, st = spec.split("=")
    c = got.get(cid)
    if c is None:
        errs.append("no check %s" % cid)
    elif c["status"] != st:
        errs.append("%s is %s (%s), want %s" % (cid, c["status"], c["detail"], st))
# Evidence: every check cites existing exchanges; no secret-looking query values.
n = len(rep["exchanges"])
for sec in rep["integrations"]:
    for c in sec["checks"]:
        for i in c.get("exchanges", []):
            if not (0 <= i < n):
                errs.append("%s cites exchange %d of %d" % (c["id"], i, n))
for e in rep["exchanges"]:
    if "code=" in e["url"] and "code=REDACTED" not in e["url"]:
        errs.append("unredacted code in %s" % e["url"])
if errs:
    print("  " + "\n  ".join(errs))
    sys.exit(1)
PY
	then ok "$name"; else nok "$name"; fi
}

REQ_OK="fc.authorize.pkce=pass fc.authorize.params=pass fc.discovery=pass fc.login.redirect=pass fc.login.https=pass fc.authorize.endpoint=pass fc.authorize.response_type=pass fc.authorize.client_id=pass fc.authorize.redirect_uri=pass fc.authorize.scope=pass fc.authorize.acr_values=pass fc.authorize.prompt=pass fc.authorize.state=pass fc.authorize.nonce=pass fc.authorize.random.repeat=pass fc.authorize.random.state_is_nonce=pass fc.authorize.random.counter=pass fc.provider.accepts=pass"
ADV_OK="fc.callback.forged=pass fc.callback.error=pass fc.cookie.attributes=pass fc.tls.hsts=pass fc.tls.expiry=pass fc.button=pass fc.logout.redirect_uri=pass"

d() { fc_dossier "$WORK/$1.json" "$@"; echo "$WORK/$1.json"; }

# Correct integrations: a direct login route, a page with a form-POST
# button (CSRF token and cookie), and several hops on the site.
expect ok 0 "$WORK/cfg.json" "$(d ok)" verified "$REQ_OK $ADV_OK"
expect formpost 0 "$WORK/cfg.json" "$(fc_dossier "$WORK/formpost.json" formpost "$PORTAL_PORT" https connexion; echo "$WORK/formpost.json")" verified "$REQ_OK"
expect multihop 0 "$WORK/cfg.json" "$(d multihop)" verified "$REQ_OK"

# Required rules broken: verdict failed, exit 1.
expect v1 1 "$WORK/cfg.json" "$(d v1)" failed "fc.authorize.endpoint=fail fc.provider.accepts=skip"
expect sandbox 1 "$WORK/cfg.json" "$(d sandbox)" failed "fc.authorize.endpoint=fail fc.provider.accepts=skip"
expect otherhost 1 "$WORK/cfg.json" "$(d otherhost)" failed "fc.authorize.endpoint=fail fc.provider.accepts=skip"
expect static_state 1 "$WORK/cfg.json" "$(d static_state)" failed "fc.authorize.random.repeat=fail"
expect short_nonce 1 "$WORK/cfg.json" "$(d short_nonce)" failed "fc.authorize.nonce=fail fc.provider.accepts=fail"
expect no_nonce 1 "$WORK/cfg.json" "$(d no_nonce)" failed "fc.authorize.nonce=fail fc.provider.accepts=fail"
expect same_state_nonce 1 "$WORK/cfg.json" "$(d same_state_nonce)" failed "fc.authorize.random.state_is_nonce=fail"
expect counter_state 1 "$WORK/cfg.json" "$(d counter_state)" failed "fc.authorize.random.counter=fail"
# Fetches that disagree (issue 12 §2): every request is judged, not only
# the first; one fetch of three failing on the server is inconclusive; a
# state that is the nonce of another fetch is a repeat.
expect flaky_acr 1 "$WORK/cfg.json" "$(d flaky_acr)" failed "fc.authorize.acr_values=fail fc.authorize.random.repeat=pass"
expect flaky_500 3 "$WORK/cfg.json" "$(d flaky_500)" inconclusive "fc.login.redirect=error"
expect cross_state_nonce 1 "$WORK/cfg.json" "$(d cross_state_nonce)" failed "fc.authorize.random.repeat=fail fc.authorize.random.state_is_nonce=pass"
expect no_acr 1 "$WORK/cfg.json" "$(d no_acr)" failed "fc.authorize.acr_values=fail fc.provider.accepts=fail"
expect bad_acr 1 "$WORK/cfg.json" "$(d bad_acr)" failed "fc.authorize.acr_values=fail fc.provider.accepts=fail"
expect wrong_client 1 "$WORK/cfg.json" "$(fc_dossier "$WORK/wc.json" wrong_client; sed -i 's/"client_id": "cid-wrong_client"/"client_id": "cid-declared-by-dossier"/' "$WORK/wc.json"; echo "$WORK/wc.json")" failed "fc.authorize.client_id=fail fc.provider.accepts=fail"
expect unregistered_redirect 1 "$WORK/cfg.json" "$(d unregistered_redirect)" failed "fc.authorize.redirect_uri=pass fc.provider.accepts=fail"
expect http_redirect 1 "$WORK/cfg.json" "$(d http_redirect)" failed "fc.authorize.redirect_uri=fail"
expect bad_scope 1 "$WORK/cfg.json" "$(d bad_scope)" failed "fc.authorize.scope=fail fc.provider.accepts=fail"
expect no_openid 1 "$WORK/cfg.json" "$(d no_openid)" failed "fc.authorize.scope=fail fc.provider.accepts=fail"
expect prompt_none 1 "$WORK/cfg.json" "$(d prompt_none)" failed "fc.authorize.prompt=fail fc.provider.accepts=fail"
expect token_flow 1 "$WORK/cfg.json" "$(d token_flow)" failed "fc.authorize.response_type=fail fc.provider.accepts=fail"
expect loop 1 "$WORK/cfg.json" "$(d loop)" failed "fc.login.redirect=fail"
# PKCE is refused by FC v2 (Y030007, its DTO forbids unknown parameters).
expect pkce 1 "$WORK/cfg.json" "$(d pkce)" failed "fc.authorize.pkce=fail fc.authorize.params=pass fc.provider.accepts=fail"

# Advisory findings: reported as warnings, the verdict stays verified.
expect callback_500 0 "$WORK/cfg.json" "$(d callback_500)" verified "fc.callback.forged=warn"
expect callback_session 0 "$WORK/cfg.json" "$(d callback_session)" verified "fc.callback.forged=warn"
# A welcome page to a made-up state: the callback may accept any state.
expect callback_welcome 0 "$WORK/cfg.json" "$(d callback_welcome)" verified "fc.callback.forged=warn"
if grep -q "may accept any state" "$WORK/callback_welcome.out"; then ok "callback_welcome names the state check"; else nok "callback_welcome detail"; fi
expect error_500 0 "$WORK/cfg.json" "$(d error_500)" verified "fc.callback.error=warn"
expect weak_cookie 0 "$WORK/cfg.json" "$(d weak_cookie)" verified "fc.cookie.attributes=warn"
expect no_hsts 0 "$WORK/cfg.json" "$(d no_hsts)" verified "fc.tls.hsts=warn"
expect no_button 0 "$WORK/cfg.json" "$(d no_button)" verified "fc.button=warn"

# One request per URL (docs/checks.md): a button page that is the login
# URL is read from the first login fetch's first hop, and a post-logout URL
# that is the button page from the button page's answer; the verdicts and
# the evidence stay, the duplicate requests go.
# same_url OUT PATH N "CHECK=EXCH ...": PATH is fetched N times with GET;
# each CHECK cites one of those GETs ("any"), or the same one as check EXCH.
same_url() {
	python3 - "$WORK/$1.out" "$2" "$3" "$4" <<'PY'
import json, sys
rep = json.load(open(sys.argv[1]))
path, n, cites = sys.argv[2], int(sys.argv[3]), sys.argv[4].split()
ex = rep["exchanges"]
got = [i for i, e in enumerate(ex) if e["method"] == "GET" and e["url"].endswith(path)]
errs = [] if len(got) == n else ["%s fetched %d times, want %d" % (path, len(got), n)]
checks = {c["id"]: c for s in rep["integrations"] for c in s["checks"]}
for spec in cites:
    cid, want = spec.split("=")
    have = checks[cid].get("exchanges", [])
    w = checks[want]["exchanges"] if want in checks else have[:1]
    if have != w or len(have) != 1 or have[0] not in got:
        errs.append("%s cites %s, want %s (a GET of %s)" % (cid, have, w, path))
print("  " + "\n  ".join(errs)) if errs else None
sys.exit(1 if errs else 0)
PY
}
if same_url formpost /formpost/connexion 3 "fc.button=any"; then ok "button page = login URL: fetched once per login fetch"; else nok "button page = login URL"; fi
fc_dossier "$WORK/nbl.json" no_button "$PORTAL_PORT" https connexion
expect no_button_login 1 "$WORK/cfg.json" "$WORK/nbl.json" failed "fc.button=warn fc.login.redirect=fail"
if same_url no_button_login /no_button/connexion 3 "fc.button=any"; then ok "no button on the login URL: judged from fetch 0"; else nok "no button on the login URL"; fi
fc_dossier "$WORK/lob.json" ok
sed -i 's#"post_logout_redirect_uri": "\([^"]*\)/"#"post_logout_redirect_uri": "\1/connexion"#' "$WORK/lob.json"
expect logout_is_button 0 "$WORK/cfg.json" "$WORK/lob.json" verified "$REQ_OK $ADV_OK"
if same_url logout_is_button /ok/connexion 1 "fc.logout.redirect_uri=fc.button"; then ok "post-logout URL = button page: fetched once"; else nok "post-logout URL = button page"; fi

# TLS: expired, wrong name and untrusted certificates fail; one expiring
# in 10 days warns; plain http fails.
expect tls_expired 1 "$WORK/cfg.json" "$(fc_dossier "$WORK/te.json" ok "$PORTAL_EXPIRED_PORT"; echo "$WORK/te.json")" failed "fc.login.redirect=fail"
expect tls_wronghost 1 "$WORK/cfg.json" "$(fc_dossier "$WORK/tw.json" ok "$PORTAL_WRONGHOST_PORT"; echo "$WORK/tw.json")" failed "fc.login.redirect=fail"
expect tls_selfsigned 1 "$WORK/cfg.json" "$(fc_dossier "$WORK/ts.json" ok "$PORTAL_SELFSIGNED_PORT"; echo "$WORK/ts.json")" failed "fc.login.redirect=fail"
expect tls_soon 0 "$WORK/cfg.json" "$(fc_dossier "$WORK/tn.json" ok "$PORTAL_SOON_PORT"; echo "$WORK/tn.json")" verified "fc.tls.expiry=warn"
expect plain_http 1 "$WORK/cfg.json" "$(fc_dossier "$WORK/ph.json" ok "$PORTAL_HTTP_PORT" http; echo "$WORK/ph.json")" failed "fc.login.https=fail fc.authorize.redirect_uri=fail"

# Network trouble is inconclusive (exit 3), never verified.
expect huge 3 "$WORK/cfg.json" "$(d huge)" inconclusive "fc.login.redirect=error"
expect slow 3 "$WORK/cfg-fast.json" "$(d slow)" inconclusive "fc.login.redirect=error"
fc_dossier "$WORK/down.json" ok 1
sed -i 's/portal.test:1/127.0.0.1:1/g' "$WORK/down.json"
expect unreachable 3 "$WORK/cfg.json" "$WORK/down.json" inconclusive "fc.login.redirect=error"

# The SSRF guard: without network.allow_private, loopback is refused.
expect ssrf_guard 1 "$WORK/cfg-noprivate.json" "$WORK/ok.json" failed "fc.login.redirect=fail"
if grep -q "allow_private" "$WORK/ssrf_guard.out"; then ok "ssrf_guard names network.allow_private"; else nok "ssrf_guard message"; fi

# Bad input: exit 2 with the problem named, nothing printed on stdout.
printf '{"dossier_id": "x",' >"$WORK/bad.json"
"$RACCORD" check --config "$WORK/cfg.json" "$WORK/bad.json" >"$WORK/bad.out" 2>"$WORK/bad.err"
if [ $? -eq 2 ] && [ ! -s "$WORK/bad.out" ] && grep -q "bad.json" "$WORK/bad.err"; then ok "malformed dossier"; else nok "malformed dossier"; cat "$WORK/bad.err"; fi
sed 's/"siret": "21750001600019"/"siret": "21750001600018"/' "$WORK/ok.json" >"$WORK/badsiret.json"
"$RACCORD" check --config "$WORK/cfg.json" "$WORK/badsiret.json" >/dev/null 2>"$WORK/bs.err"
if [ $? -eq 2 ] && grep -q "collectivite.siret" "$WORK/bs.err"; then ok "invalid SIRET names the path"; else nok "invalid SIRET"; cat "$WORK/bs.err"; fi
echo '{"network": {"timeout_ms": 5}}' >"$WORK/badcfg.json"
"$RACCORD" check --config "$WORK/badcfg.json" "$WORK/ok.json" >/dev/null 2>"$WORK/bc.err"
if [ $? -eq 2 ] && grep -q "network.timeout_ms" "$WORK/bc.err"; then ok "bad config names the path"; else nok "bad config"; cat "$WORK/bc.err"; fi

# Batch: one line per dossier, in order, a bad line refused in place.
{ for f in ok v1 weak_cookie; do tr -d '\n' <"$WORK/$f.json"; echo; done; echo '{"oops": 1}'; } >"$WORK/batch.jsonl"
"$RACCORD" check --config "$WORK/cfg.json" --format json --batch "$WORK/batch.jsonl" >"$WORK/batch.out" 2>"$WORK/batch.err"
st=$?
if [ $st -eq 2 ] && python3 - "$WORK/batch.out" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert [l.get("verdict") for l in lines] == ["verified", "failed", "verified", None], lines
assert [l["line"] for l in lines] == [1, 2, 3, 4]
assert "oops" in lines[3]["error"], lines[3]
PY
then ok "batch"; else nok "batch (exit $st)"; head -c 400 "$WORK/batch.err"; fi

# Text output names the checks.
"$RACCORD" check --config "$WORK/cfg.json" --format text "$WORK/v1.json" >"$WORK/v1.txt" 2>/dev/null
if grep -q "fc.authorize.endpoint" "$WORK/v1.txt" && grep -q "FAIL" "$WORK/v1.txt"; then ok "text format"; else nok "text format"; fi

finish fc-portals
