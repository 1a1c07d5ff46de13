#!/bin/sh
# TLS session resumption in a batch (issue 7 §5): on sites that close their
# connection after each answer, raccord resumes the TLS session of a
# host:port instead of a full handshake per request (raccord-sim issues
# tickets and counts full and resumed handshakes per listener, GET
# /_sim/tls), and resumption never weakens a check:
# - portals whose certificate is expired or self-signed, probed in the same
#   batch as correct ones, still fail, and leave no session to resume (the
#   chain check aborts the handshake);
# - the wrong-name portal's sessions ARE cached and resumed (TLS 1.3 and
#   1.2: libcurl checks the name after the handshake), and every one of its
#   dossiers still fails on the name: the name is checked on resumed
#   connections too;
# - cookies stay per flow: no FC cookie crosses flows, no portal cookie
#   reaches FC (the jars no longer use a libcurl share).
# Loopback only; no timing is asserted.
set -u
. tests/integration/lib.sh

# tls_counts PORT: "full=N resumed=M" of the listener on PORT.
tls_counts() {
	# -k: some of these listeners' certificates are bad on purpose.
	curl -s -k --noproxy '*' --max-time 5 \
		--resolve "portal.test:$1:127.0.0.1" "https://portal.test:$1/_sim/tls"
}

# batch FILE SPEC...: a batch of FC dossiers, SPEC = name:port:count.
batch() {
	out=$1
	shift
	: >"$out"
	for spec in "$@"; do
		name=${spec%%:*} rest=${spec#*:}
		port=${rest%%:*} n=${rest#*:}
		i=0
		while [ $i -lt "$n" ]; do
			i=$((i + 1))
			fc_dossier "$WORK/one.json" ok "$port"
			python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["dossier_id"]=sys.argv[2]; print(json.dumps(d))' \
				"$WORK/one.json" "$name-$i" >>"$out"
		done
	done
}

# verdicts OUT PREFIX=VERDICT...: every dossier whose id starts with PREFIX
# has VERDICT, and a failed one fails on fc.login.redirect.
verdicts() {
	python3 - "$@" <<'PY'
import json, sys
out, specs = sys.argv[1], dict(s.split("=") for s in sys.argv[2:])
seen, errs = {}, []
for line in open(out):
    r = json.loads(line)
    did = r.get("dossier_id", "?")
    prefix = did.rsplit("-", 1)[0]
    seen[prefix] = seen.get(prefix, 0) + 1
    want = specs.get(prefix)
    if r.get("verdict") != want:
        errs.append("%s: %s, want %s" % (did, r.get("verdict"), want))
    if want == "failed":
        st = {c["id"]: c for s in r["integrations"] for c in s["checks"]}
        c = st.get("fc.login.redirect") or {}
        if c.get("status") != "fail":
            errs.append("%s: fc.login.redirect %s" % (did, c.get("status")))
        elif prefix == "wronghost" and "host name" not in c.get("detail", ""):
            errs.append("%s: not refused for its name: %s" % (did, c.get("detail")))
for p in specs:
    if not seen.get(p):
        errs.append("no report for %s" % p)
print("; ".join(errs[:5]))
sys.exit(1 if errs else 0)
PY
}

# --- TLS 1.3, sites closing their connections -------------------------
sim_start --close || { echo "tls-resume: 0 passed, 1 failed"; exit 1; }
CA=$(cd "$CERTS" && pwd)/ca.pem
write_config "$WORK/cfg.json" 8000 yes
batch "$WORK/b13.jsonl" "ok:$PORTAL_PORT:6" "expired:$PORTAL_EXPIRED_PORT:3" \
	"wronghost:$PORTAL_WRONGHOST_PORT:3" "selfsigned:$PORTAL_SELFSIGNED_PORT:3"
"$RACCORD" check --config "$WORK/cfg.json" --format json --batch "$WORK/b13.jsonl" \
	>"$WORK/b13.out" 2>"$WORK/b13.err"
if why=$(verdicts "$WORK/b13.out" ok=verified expired=failed wronghost=failed selfsigned=failed); then
	ok "TLS 1.3 batch: correct portals verified, bad certificates failed"
else nok "TLS 1.3 batch verdicts: $why"; fi

c=$(tls_counts "$PORTAL_PORT")
full=${c#full=} full=${full%% *} res=${c#*resumed=}
# 6 dossiers x 6 requests to the portal, each on a new connection.
if [ "${res:-0}" -ge 20 ] && [ "${full:-99}" -lt "${res:-0}" ]; then
	ok "TLS 1.3: the portal's sessions are resumed ($c)"
else nok "TLS 1.3: too few resumed handshakes on the portal ($c)"; fi
c=$(tls_counts "$FC_PORT")
if [ "${c#*resumed=}" -ge 5 ]; then
	ok "TLS 1.3: FranceConnect's sessions are resumed ($c)"
else nok "TLS 1.3: FranceConnect's sessions not resumed ($c)"; fi
for p in "$PORTAL_EXPIRED_PORT" "$PORTAL_SELFSIGNED_PORT"; do
	c=$(tls_counts "$p")
	case $c in
	full=0\ *) nok "TLS 1.3: no connection reached a bad-certificate listener (port $p: $c)" ;;
	*\ resumed=0) ok "TLS 1.3: refused certificates leave no session to resume (port $p: $c)" ;;
	*) nok "TLS 1.3: a refused certificate's session was resumed (port $p: $c)" ;;
	esac
done
c=$(tls_counts "$PORTAL_WRONGHOST_PORT")
case $c in
*\ resumed=0) nok "TLS 1.3: no wrong-name session resumed, the name check on resumption is untested ($c)" ;;
*) ok "TLS 1.3: wrong-name sessions are resumed, and the batch above saw each such dossier fail on the name ($c)" ;;
esac
seen=$(curl -s --noproxy '*' --max-time 5 --cacert "$CA" --resolve "fc.test:$FC_PORT:127.0.0.1" \
	"https://fc.test:$FC_PORT/_sim/seen")
if [ "$seen" = "authorize_with_session=0 foreign_cookie=0" ]; then
	ok "cookies stay per flow and per host with a shared TLS session cache"
else nok "cookies crossed flows or hosts ($seen)"; fi
kill "$SIM_PID" 2>/dev/null
wait "$SIM_PID" 2>/dev/null
SIM_PID=

# --- TLS 1.2: sessions cached before the host name check ---------------
rm -f "$WORK/ports.json"
sim_start --close --tls12 || { nok "raccord-sim --tls12 did not start"; finish tls-resume; exit 1; }
write_config "$WORK/cfg12.json" 8000 yes
batch "$WORK/b12.jsonl" "ok:$PORTAL_PORT:4" "wronghost:$PORTAL_WRONGHOST_PORT:4"
"$RACCORD" check --config "$WORK/cfg12.json" --format json --batch "$WORK/b12.jsonl" \
	>"$WORK/b12.out" 2>"$WORK/b12.err"
if why=$(verdicts "$WORK/b12.out" ok=verified wronghost=failed); then
	ok "TLS 1.2 batch: correct portals verified, the wrong-name portal failed"
else nok "TLS 1.2 batch verdicts: $why"; fi
c=$(tls_counts "$PORTAL_PORT")
case $c in
*resumed=0) nok "TLS 1.2: the portal's sessions are not resumed ($c)" ;;
*) ok "TLS 1.2: the portal's sessions are resumed ($c)" ;;
esac
c=$(tls_counts "$PORTAL_WRONGHOST_PORT")
case $c in
*\ resumed=0) nok "TLS 1.2: no wrong-name session resumed, the name check on resumption is untested ($c)" ;;
*) ok "TLS 1.2: wrong-name sessions are resumed, and the batch above saw each such dossier fail on the name ($c)" ;;
esac
if grep -q '"tls_version": *"TLSv1.2"' "$WORK/b12.out" || grep -q 'TLSv1.2' "$WORK/b12.out"; then
	ok "TLS 1.2 was negotiated"
else nok "TLS 1.2 was not negotiated"; fi

finish tls-resume
