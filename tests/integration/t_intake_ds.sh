#!/bin/sh
# raccord intake run --once against a démarches-simplifiées stand-in
# (tests/dssim/server.mjs: graphql-js over DS's published schema, HTTPS
# with the test CA, loopback) and raccord-sim's portals: paging over
# three pages, each dossier mapped and checked or refused, its verdict
# written into the private annotation; a second pass writes nothing
# (the same annotation); a changed dossier is annotated anew; DS down
# fails the pass with exit 3 and writes nothing; a wrong token exits 2;
# the token is in no output.
set -u
. tests/integration/lib.sh
sim_start || exit 1
api_config "$WORK/cfg.json" 8000
IT_DP_ID=raccord-it
IT_DP_SECRET=sim-datapass-secret-7c41d09e
RACCORD_DS_TOKEN=it-ds-token-4e1f9a0b77
export IT_DP_ID IT_DP_SECRET RACCORD_DS_TOKEN
if [ ! -d tests/dssim/node_modules/graphql ]; then
	echo "FAIL tests/dssim/node_modules/graphql is missing: npm ci --prefix tests/dssim"
	echo "t_intake_ds: 0 passed, 1 failed"; exit 1
fi
DSPID=
# ds_start [server args...]: the DS stand-in, DS_PORT set
ds_start() {
	rm -f "$WORK/ds.port"
	node tests/dssim/server.mjs --port-file "$WORK/ds.port" --cert "$CERTS/server.pem" \
		--key "$CERTS/server.key" --token "$RACCORD_DS_TOKEN" \
		--rewrite "https://mairie.example.fr=https://portal.test:$PORTAL_PORT/${FLAVOUR:-ok}" "$@" \
		>"$WORK/ds.out" 2>&1 &
	DSPID=$!
	i=0
	until [ -s "$WORK/ds.port" ]; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 "$DSPID" 2>/dev/null; then
			echo "the DS stand-in did not start:"; cat "$WORK/ds.out"; return 1
		fi
		sleep 0.1
	done
	DS_PORT=$(cat "$WORK/ds.port")
	python3 - "$WORK/cfg.json" "$WORK/ds.json" "$DS_PORT" <<'PY'
import json, sys
base, out, port = sys.argv[1:4]
cfg = json.load(open(base))
cfg["intake"] = {"ds": {
  "graphql_url": "https://localhost:%s/api/v2/graphql" % port,
  "demarche": 4242, "instructeur_id": "SW5zdHJ1Y3RldXItMQ==",
  "annotation": "Vérification raccord",
  "mapping": {"kind": "Type d'intégration",
              "client_id": "Identifiant client FranceConnect (client_id)",
              "login_url": "Adresse de connexion",
              "redirect_uri": "URL de retour (redirect_uri)",
              "environment": "Environnement", "iban": "IBAN", "bic": "BIC"}}}
json.dump(cfg, open(out, "w"), indent=2)
PY
}
ds_stop() { [ -n "$DSPID" ] && kill "$DSPID" 2>/dev/null && wait "$DSPID" 2>/dev/null; DSPID=; }
trap 'ds_stop; cleanup' EXIT INT TERM
state() { curl -s --cacert "$CERTS/ca.pem" "https://localhost:$DS_PORT/_state" >"$WORK/state.json"; }
writes() { python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["writes"]))' "$WORK/state.json"; }
text_of() { python3 -c 'import json,sys; w=[x for x in json.load(open(sys.argv[1]))["writes"] if x["dossierId"]==sys.argv[2]]; print(w[-1]["text"] if w else "")' "$WORK/state.json" "$1"; }

ds_start --page 3 || exit 1
"$RACCORD" intake run --once --config "$WORK/ds.json" >"$WORK/run1.out" 2>"$WORK/run1.err"
rc=$?
[ $rc = 0 ] && ok "a pass over 7 dossiers exits 0" || nok "exit $rc: $(tail -3 "$WORK/run1.err")"
grep -q "3 page(s), 7 dossier(s): 2 checked, 4 refused, 1 awaiting an API token, 7 annotation(s) written, 0 unchanged, 0 error(s)" "$WORK/run1.err" \
	&& ok "three pages read, 2 dossiers checked, 4 refused, 1 awaiting its API token, 7 annotations" || nok "counts: $(tail -2 "$WORK/run1.err")"
state
python3 - "$WORK/state.json" <<'PY' && ok "every page after the first asked with the previous endCursor" || nok "paging: $(head -c 400 "$WORK/state.json")"
import json, sys
q = [x["variables"] for x in json.load(open(sys.argv[1]))["queries"] if "demarche" in x["variables"]]
assert len(q) == 3, q
assert "after" not in q[0] or q[0]["after"] is None, q
assert q[1]["after"] and q[2]["after"] and q[1]["after"] != q[2]["after"], q
PY
[ "$(writes)" = 7 ] && ok "one annotation per dossier" || nok "$(writes) writes"
t=$(text_of RG9zc2llci0101)
case "$t" in "raccord : vérification vérifiée."*) ok "DS 101: verified, written back" ;; *) nok "DS 101: '$t'" ;; esac
t=$(text_of RG9zc2llci0102)
case "$t" in *"non vérifiable"*"champ \"Adresse de connexion\" (login_url) is empty"*) ok "DS 102: the missing champ, written back" ;; *) nok "DS 102: '$t'" ;; esac
t=$(text_of RG9zc2llci0104)
case "$t" in *"en attente du jeton: déposez-le sur la page d'auto-vérification de raccord avec le numéro de dossier 104"*) ok "DS 104 (API): where to give its token, written back" ;; *) nok "DS 104: '$t'" ;; esac
t=$(text_of RG9zc2llci0106)
case "$t" in *"paiement.iban"*) ok "DS 106: the bad IBAN, written back" ;; *) nok "DS 106: '$t'" ;; esac
python3 -c 'import json,sys; assert all(w["instructeurId"]=="SW5zdHJ1Y3RldXItMQ==" for w in json.load(open(sys.argv[1]))["writes"])' "$WORK/state.json" \
	&& ok "written in the configured instructeur's name" || nok "instructeurId"
grep -q "DS 101: verified" "$WORK/run1.out" && ok "one line per dossier on stdout" || nok "stdout: $(cat "$WORK/run1.out")"

# Idempotent: the same outcome is not written again.
"$RACCORD" intake run --once --config "$WORK/ds.json" >"$WORK/run2.out" 2>"$WORK/run2.err"
rc=$?
state
[ $rc = 0 ] && [ "$(writes)" = 7 ] && ok "a second pass writes nothing (the same annotations)" || nok "second pass: exit $rc, $(writes) writes: $(tail -2 "$WORK/run2.err")"
grep -q "0 annotation(s) written, 7 unchanged" "$WORK/run2.err" && ok "the second pass counts 7 unchanged" || nok "$(tail -1 "$WORK/run2.err")"
ds_stop

# A dossier changed after its check: the login now leads to a flawed portal.
FLAVOUR=no_nonce ds_start --page 3 || exit 1
"$RACCORD" intake run --once --config "$WORK/ds.json" >"$WORK/run3.out" 2>&1
state
t=$(text_of RG9zc2llci0101)
case "$t" in "raccord : vérification échouée."*"Règles non respectées"*"fc."*) ok "a changed dossier: failed, with its failed rules in the annotation" ;; *) nok "changed DS 101: '$t' $(tail -3 "$WORK/run3.out")" ;; esac
ds_stop

# DS down: exit 3, nothing written, the Retry-After named.
ds_start --down || exit 1
"$RACCORD" intake run --once --config "$WORK/ds.json" >"$WORK/run4.out" 2>"$WORK/run4.err"
rc=$?
state
[ $rc = 3 ] && ok "DS down: exit 3" || nok "DS down: exit $rc"
[ "$(writes)" = 0 ] && ok "DS down: nothing written" || nok "$(writes) writes"
grep -q "HTTP 503, DS is unavailable (Retry-After 7 s)" "$WORK/run4.err" && ok "DS down: the reason and Retry-After" || nok "$(tail -2 "$WORK/run4.err")"
ds_stop

# A wrong token: exit 2; the token never printed.
ds_start || exit 1
RACCORD_DS_TOKEN=wrong-token "$RACCORD" intake run --once --config "$WORK/ds.json" >"$WORK/run5.out" 2>"$WORK/run5.err"
rc=$?
[ $rc = 2 ] && grep -q "token of intake.ds.token_env is refused" "$WORK/run5.err" && ok "a refused token: exit 2, named" || nok "wrong token: exit $rc $(tail -1 "$WORK/run5.err")"
grep -q "it-ds-token-4e1f9a0b77\|wrong-token" "$WORK"/run*.out "$WORK"/run*.err && nok "the DS token was printed" || ok "the DS token is in no output"
finish t_intake_ds
