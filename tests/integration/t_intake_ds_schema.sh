#!/bin/sh
# raccord's GraphQL documents for démarches-simplifiées
# (connector/intake/ds_*.graphql) validated against DS's published schema
# with graphql-js, and the answer fixture executed against it
# (tests/dssim/README.md).  A missing validator fails (npm ci --prefix
# tests/dssim).  No network.
set -u
PASS=0 FAIL=0
if [ ! -d tests/dssim/node_modules/graphql ]; then
	echo "FAIL tests/dssim/node_modules/graphql is missing: run npm ci --prefix tests/dssim (.ci/setup does)"
	echo "t_intake_ds_schema: 0 passed, 1 failed"
	exit 1
fi
out=$(mktemp)
if node tests/dssim/validate.mjs tests/dssim/schema.graphql connector/intake/ds_*.graphql \
	-- tests/dssim/dossiers_page1.json >"$out" 2>&1; then
	PASS=1; echo "ok   $(tail -1 "$out")"
else
	FAIL=1; echo "FAIL the DS documents or fixture do not fit DS's schema:"; cat "$out"
fi
rm -f "$out"
echo "t_intake_ds_schema: $PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
