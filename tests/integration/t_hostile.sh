#!/bin/sh
# raccord against a hostile host (issue 8 items 3-7, 9): a site and a
# configured API host that echo the credential raccord sent them in
# Location, Content-Type and Retry-After, send ESC/BEL and invalid UTF-8 in
# headers, put an authorization code in Location, and answer a redirect
# chain slowly enough to pass the dossier's deadline.  Then every output,
# report, log and ledger file of the run is searched for the test secrets.
# Loopback only: the hostile server binds 127.0.0.1 and serves TLS with the
# test CA's certificate.
set -u
KEEP=${KEEP:-}
. tests/integration/lib.sh
sim_start || exit 1

CODE=C0DE-h0st1le-4711
DP_SECRET=sim-datapass-secret-7c41d09e
SIRET_OK=21750001600019
IT_DP_ID=raccord-it
IT_DP_SECRET=$DP_SECRET
export IT_DP_ID IT_DP_SECRET

# --- the hostile server -----------------------------------------------------
cat >"$WORK/hostile.py" <<'PY'
import http.server, os, ssl, sys, time

certs, portfile, code = sys.argv[1], sys.argv[2], sys.argv[3]

class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    hits = 0

    def log_message(self, *a):  # quiet: this file is grepped for secrets
        pass

    def hostile_headers(self, echo):
        # Raw bytes: ESC/BEL (terminal control) and invalid UTF-8.
        self.send_header("Content-Type", "text/html; charset=" + echo)
        self.send_header("Retry-After", echo)
        self._headers_buffer.append(
            b"Strict-Transport-Security: max-age=1\x1b]0;owned\x07\x1b[2J \xff\xfe\xc3(\r\n")

    def finish_empty(self):
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self):
        host = self.headers.get("Host", "")
        auth = self.headers.get("Authorization", "") or ""
        key = self.headers.get("X-Api-Key", "") or ""
        token = auth.split(" ", 1)[1] if " " in auth else (auth or key)
        p = self.path
        if p.startswith("/hop/"):
            # A slow redirect chain: each hop takes 1.2 s.
            n = int(p[5:].split("?")[0] or 0)
            time.sleep(1.2)
            self.send_response(302)
            self.send_header("Location", "/hop/%d" % (n + 1))
            self.finish_empty()
            return
        if p.startswith("/login"):
            # Not FranceConnect yet: an on-site hop carrying a code.
            self.send_response(302)
            self.send_header("Location",
                             "https://%s/next?code=%s&state=s1" % (host, code))
            self.hostile_headers(code)
            self.finish_empty()
            return
        # Anything else: the configured API host, echoing the credential;
        # "rate limited" (429) every other time, so that the retry path
        # reads the echoed Retry-After too.
        H.hits += 1
        self.send_response(429 if H.hits % 2 else 401)
        self.send_header("Location", "https://%s/cb?x=%s" % (host, token))
        self.hostile_headers(token or "none")
        self.finish_empty()

    do_POST = do_GET

srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
srv.daemon_threads = True
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(os.path.join(certs, "server.pem"),
                    os.path.join(certs, "server.key"))
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
PY
python3 "$WORK/hostile.py" "$CERTS" "$WORK/hostile.port" "$CODE" \
	>"$WORK/hostile.out" 2>"$WORK/hostile.err" &
HOSTILE_PID=$!
trap 'kill $HOSTILE_PID 2>/dev/null; wait $HOSTILE_PID 2>/dev/null; [ -n "$KEEP" ] && cp -r "$WORK" "$KEEP"; cleanup' EXIT INT TERM
i=0
while [ ! -s "$WORK/hostile.port" ]; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$HOSTILE_PID" 2>/dev/null; then
		echo "hostile server did not start:"; cat "$WORK/hostile.err"; exit 1
	fi
	sleep 0.1
done
HP=$(cat "$WORK/hostile.port")

# Configs: the lib's, with mairie.test and api-particulier.test on the
# hostile server; NAME TIMEOUT_MS EXTRA_NETWORK_JSON.
hostile_config() {
	api_config "$WORK/$1.json" "$2"
	python3 - "$WORK/$1.json" "$HP" "$3" "$T" <<'PY'
import json, sys
f, hp, extra = sys.argv[1], sys.argv[2], sys.argv[3]
cfg = json.load(open(f))
cfg["network"]["resolve"] += ["mairie.test:%s:127.0.0.1" % hp,
                              "api-particulier.test:%s:127.0.0.1" % hp]
cfg["network"].update(json.loads(extra))
cfg["apis"]["api_particulier"]["production"]["base_url"] = \
    "https://api-particulier.test:%s" % hp
# Tokens are filed by the operator, per dossier (docs/apis.md).
cfg["secrets"] = {"dir": sys.argv[4]}
json.dump(cfg, open(f, "w"), indent=2)
PY
}
# A token, as the operators issue them, in a 0600 file under the
# operator's secrets.dir (filed per dossier by api_hostile).
T=$WORK/tokens
mkdir -p "$T" && chmod 700 "$T"
hostile_config cfg 8000 '{}'
hostile_config cfg-noredirect 8000 '{"max_redirects": 0}'
hostile_config cfg-deadline 2000 '{"dossier_timeout_ms": 3000}'

jwt "$T/valid" "$SIRET_OK" "$((365 * 86400))"
TOKEN=$(cat "$T/valid")
TOKEN_SIG=${TOKEN##*.}

fc_hostile() { # FILE LOGIN_PATH
	cat >"$1" <<JSON
{ "dossier_id": "IT-HOSTILE-$(basename "$1" .json)",
  "collectivite": { "siren": "217500016", "siret": "$SIRET_OK",
    "nom": "Commune de Test", "categorie": "commune", "code_insee": "75056" },
  "paiement": { "titulaire": "Commune de Test", "iban": "FR7630006000011234567890189", "bic": "AGRIFRPP" },
  "integrations": [ { "kind": "franceconnect", "environment": "production",
    "client_id": "cid-ok", "login_url": "https://mairie.test:$HP/$2",
    "redirect_uri": "https://mairie.test:$HP/callback",
    "post_logout_redirect_uri": "https://mairie.test:$HP/",
    "button_page_url": "https://mairie.test:$HP/connexion" } ] }
JSON
}
api_hostile() { # FILE
	id=IT-HOSTILE-$(basename "$1" .json)
	mkdir -p "$T/$SIRET_OK/$id"
	cp -p "$T/valid" "$T/$SIRET_OK/$id/token"
	cat >"$1" <<JSON
{ "dossier_id": "IT-HOSTILE-$(basename "$1" .json)",
  "collectivite": { "siren": "217500016", "siret": "$SIRET_OK",
    "nom": "Commune de Test", "categorie": "commune", "code_insee": "75056" },
  "paiement": { "titulaire": "Commune de Test", "iban": "FR7630006000011234567890189", "bic": "AGRIFRPP" },
  "integrations": [ { "kind": "api", "api": "api_particulier", "environment": "production",
    "token_file": "token" } ] }
JSON
}
fc_hostile "$WORK/fc-code.json" login
fc_hostile "$WORK/fc-slow.json" hop/0
api_hostile "$WORK/api-echo.json"

# run NAME CFG DOSSIER [options]: json and text reports, -vv logs.
run() {
	name=$1 cfg=$2 dos=$3
	shift 3
	"$RACCORD" check -vv --config "$WORK/$cfg.json" --format json "$@" "$dos" \
		>"$WORK/out-$name.json" 2>"$WORK/log-$name.txt"
	RC_JSON=$?
	"$RACCORD" check -v --config "$WORK/$cfg.json" --format text "$@" "$dos" \
		>"$WORK/out-$name.txt" 2>"$WORK/log-$name-v.txt"
	RC_TEXT=$?
}

# report_has NAME PYTHON-EXPRESSION-OVER-rep MESSAGE
report_has() {
	if python3 - "$WORK/out-$1.json" "$2" <<'PY'
import json, sys
rep = json.load(open(sys.argv[1]))
checks = {c["id"]: c for s in rep["integrations"] for c in s["checks"]}
details = " | ".join(c["detail"] for c in checks.values())
hdrs = [e.get("headers", {}) for e in rep["exchanges"]]
locs = [e.get("location", "") for e in rep["exchanges"]]
ok = eval(sys.argv[2])
if not ok:
    print("  report: " + json.dumps(rep)[:1500])
sys.exit(0 if ok else 1)
PY
	then ok "$1: $3"; else nok "$1: $3"; fi
}

no_control_bytes() { # FILE: no C0 control but newline, no DEL, no C1
	if python3 - "$1" <<'PY'
import sys
b = open(sys.argv[1], "rb").read()
bad = [c for c in b if (c < 0x20 and c != 0x0a) or c == 0x7f]
t = b.decode("utf-8", "replace")
bad += [c for c in t if 0x80 <= ord(c) <= 0x9f]
sys.exit(1 if bad else 0)
PY
	then ok "no control byte in $(basename "$1")"; else nok "control bytes in $(basename "$1")"; fi
}

# --- max_redirects 0: a login URL that redirects on-site -------------------
run noredirect cfg-noredirect "$WORK/fc-code.json"
[ "$RC_JSON" = 1 ] && ok "max_redirects 0: failed (exit 1)" || nok "max_redirects 0: exit $RC_JSON, want 1"
report_has noredirect 'rep["verdict"] == "failed" and "within the 0 redirects network.max_redirects allows" in details' "the redirect limit is the finding"
report_has noredirect 'any("code=REDACTED" in l for l in locs) and all("C0DE" not in l for l in locs)' "Location redacted (code)"
report_has noredirect 'sum(e["url"].endswith("/login") for e in rep["exchanges"]) == 3 and not any("/next" in e["url"] for e in rep["exchanges"])' "three login fetches, no redirect followed"
report_has noredirect 'all("C0DE" not in h.get("Retry-After", "") + h.get("Content-Type", "") for h in hdrs)' "the code echoed bare in headers is hidden too"
report_has noredirect 'any("\\x1B]0;owned\\x07" in h.get("Strict-Transport-Security", "") and "\\xFF\\xFE\\xC3(" in h.get("Strict-Transport-Security", "") for h in hdrs)' "ESC/BEL and invalid UTF-8 kept, escaped"
no_control_bytes "$WORK/out-noredirect.txt"
no_control_bytes "$WORK/log-noredirect.txt"
"$RACCORD" config dump --config "$WORK/cfg-noredirect.json" >"$WORK/dump-noredirect.json" 2>&1
grep -q '"max_redirects": 0' "$WORK/dump-noredirect.json" && ok "config dump shows max_redirects 0" || nok "config dump"

# --- the dossier's deadline: a slow redirect chain --------------------------
hostile_config cfg-baddeadline 8000 '{"dossier_timeout_ms": 4000}'
"$RACCORD" config dump --config "$WORK/cfg-baddeadline.json" >"$WORK/dump-bad.json" 2>"$WORK/dump-bad.err"
rc=$?
if [ "$rc" = 2 ] && grep -q "network.dossier_timeout_ms: must be at least network.timeout_ms" "$WORK/dump-bad.err"; then
	ok "a deadline shorter than one request is refused, naming the path"
else
	nok "deadline < timeout_ms: exit $rc, $(head -c 200 "$WORK/dump-bad.err")"
fi
t0=$(date +%s)
run deadline cfg-deadline "$WORK/fc-slow.json"
echo "     (deadline run: $(($(date +%s) - t0)) s for two runs, deadline 3 s each)"
[ "$RC_JSON" = 3 ] && ok "deadline: inconclusive (exit 3)" || nok "deadline: exit $RC_JSON, want 3"
report_has deadline 'rep["verdict"] == "inconclusive" and "the dossier'"'"'s deadline of 3000 ms passed" in details' "detail names the deadline"
report_has deadline 'not any(c["status"] == "fail" and "deadline" in c["detail"] for c in checks.values())' "a deadline is never a fail"

# --- an API host that echoes the token in its headers -----------------------
run api cfg "$WORK/api-echo.json"
grep -q "cannot write" "$WORK/log-api.txt" "$WORK/log-api-v.txt" && nok "api: 'cannot write the report'" || ok "api: the report is written"
report_has api 'any(h.get("Retry-After") == "REDACTED" for h in hdrs) and any("charset=REDACTED" in h.get("Content-Type", "") for h in hdrs)' "token in Retry-After and Content-Type redacted"
report_has api 'any("/cb?x=REDACTED" in l for l in locs)' "token in Location redacted"
no_control_bytes "$WORK/out-api.txt"
no_control_bytes "$WORK/log-api-v.txt"

# --batch keeps every exchange (invalid UTF-8 once dropped one).
printf '%s\n%s\n' "$(tr -d '\n' <"$WORK/api-echo.json")" "$(tr -d '\n' <"$WORK/fc-code.json")" >"$WORK/batch.jsonl"
"$RACCORD" check -v --config "$WORK/cfg-noredirect.json" --format json --batch "$WORK/batch.jsonl" \
	>"$WORK/out-batch.jsonl" 2>"$WORK/log-batch.txt"
if python3 - "$WORK/out-batch.jsonl" "$WORK/out-api.json" "$WORK/out-noredirect.json" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
single = [json.load(open(f)) for f in sys.argv[2:]]
ok = len(lines) == 2 and all("error" not in l for l in lines)
ok = ok and [len(l["exchanges"]) for l in lines] == [len(s["exchanges"]) for s in single]
sys.exit(0 if ok else 1)
PY
then ok "batch: every report and every exchange written"; else nok "batch: reports or exchanges dropped"; fi

# --- -v and -vv --------------------------------------------------------------
grep -q 'dossier=IT-HOSTILE-api-echo event=start' "$WORK/log-api-v.txt" && ok "-v: a line per dossier" || nok "-v: no dossier line"
grep -q 'request method=GET host=api-particulier.test:' "$WORK/log-api-v.txt" && ok "-v: a line per request" || nok "-v: no request line"
grep -q 'check=api.token.live status=' "$WORK/log-api-v.txt" && ok "-v: a line per check verdict" || nok "-v: no check line"
grep -q 'exchange method=\|exchange header=' "$WORK/log-api-v.txt" && nok "-v shows exchanges (that is -vv)" || ok "-v: no exchange detail"
grep -q 'exchange header="Retry-After" value="REDACTED"' "$WORK/log-api.txt" && ok "-vv: redacted exchanges" || nok "-vv: no redacted exchange"

# --- a ledger run: the hostile dossiers beside a correct one ---------------
fc_dossier "$WORK/fc-ok.json" ok
tr -d '\n' <"$WORK/fc-ok.json" >>"$WORK/batch.jsonl"
echo >>"$WORK/batch.jsonl"
"$RACCORD" keygen hostile.test/raccord --key "$WORK/k.pem" --vkey "$WORK/k.vkey" >"$WORK/keygen.out" 2>&1
"$RACCORD" ledger init "$WORK/ledger" --key "$WORK/k.pem" --vkey "$WORK/k.vkey" >"$WORK/init.out" 2>&1
"$RACCORD" verify --config "$WORK/cfg.json" --ledger "$WORK/ledger" --key "$WORK/k.pem" \
	--batch "$WORK/batch.jsonl" >"$WORK/out-verify.txt" 2>"$WORK/log-verify.txt"
echo "     (verify exit $?)"
[ -s "$WORK/ledger/entries.jsonl" ] && ok "ledger: the correct dossier was awarded" || nok "ledger: no entry written"

# Under ASan+UBSan (BUILD=build-san), a report would also change exit codes.
if grep -lE "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "$WORK"/log-* >/dev/null 2>&1; then
	nok "sanitizer report in the logs"
else
	ok "no sanitizer report"
fi

# --- no secret anywhere ------------------------------------------------------
# Every file the run wrote, but the token file itself and the hostile
# server's script (it holds the code it sends).
leaks=0
files=$(find "$WORK" -type f ! -path "$T/*" ! -name hostile.py -print)
for pair in "token:$TOKEN" "token-signature:$TOKEN_SIG" "code:$CODE" "datapass-secret:$DP_SECRET"; do
	if grep -lF -- "${pair#*:}" $files >"$WORK/leak.txt" 2>/dev/null; then
		leaks=1
		echo "  the test's ${pair%%:*} found in: $(tr '\n' ' ' <"$WORK/leak.txt")"
	fi
done
n=$(find "$WORK" -type f ! -path "$T/*" | wc -l)
[ "$leaks" = 0 ] && ok "no test secret in any of the $n files of the run" || nok "test secrets leaked"

finish t_hostile
