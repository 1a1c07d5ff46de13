#!/bin/sh
# make demo: start the simulated FranceConnect and collectivité portals on
# loopback, check three dossiers (one correct, two flawed) with the real
# raccord binary, print the reports, stop what was started.
set -u
BUILD=${BUILD:-build}
. tests/integration/lib.sh
sim_start || exit 1
write_config "$WORK/demo.conf.json" 8000 yes
echo "raccord-sim listening on loopback: $(cat "$WORK/ports.json")"
echo

fc_dossier "$WORK/commune-ok.json" formpost "$PORTAL_PORT" https connexion
fc_dossier "$WORK/commune-v1.json" v1
fc_dossier "$WORK/commune-nonce.json" short_nonce
for d in commune-ok commune-v1 commune-nonce; do
	echo "==== raccord check $d.json"
	"$RACCORD" check --config "$WORK/demo.conf.json" --format text "$WORK/$d.json"
	echo "(exit status $?)"
	echo
done
echo "==== raccord check --batch (the three dossiers, one JSON line each)"
for d in commune-ok commune-v1 commune-nonce; do tr -d '\n' <"$WORK/$d.json"; echo; done >"$WORK/batch.jsonl"
"$RACCORD" check --config "$WORK/demo.conf.json" --format json --batch "$WORK/batch.jsonl" |
	python3 -c 'import json,sys
for l in sys.stdin:
    r = json.loads(l); print("  line %d  %-14s %s" % (r["line"], r.get("dossier_id", "-"), r.get("verdict", r.get("error"))))'
echo "(exit status of the batch: worst verdict)"
