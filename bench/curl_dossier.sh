#!/bin/sh
# The curl baseline of bench/run.sh: the HTTP requests raccord makes to check
# one FranceConnect dossier of raccord-sim's "ok" portal, done with one curl
# process per request (same URLs, same order of dependencies, no -L, TLS
# verified against the test CA with the simulated names pinned to 127.0.0.1).
# It only fetches; it judges nothing.  Prints one line: the HTTP statuses.
#
#   sh bench/curl_dossier.sh PORTAL_PORT FC_PORT CA_FILE JAR_DIR FLAVOUR INDEX
#
# Requests (9, as raccord makes for this portal; discovery is fetched once per
# run by bench/fc_batch.py): the button page, three login fetches with fresh
# cookie jars, the captured authorization request shown to FranceConnect and
# its interaction hop (in the first fetch's jar, as a browser), a forged callback, an error=access_denied callback
# with the session's state and cookie, the post-logout URL.
set -u
pp=$1 fp=$2 ca=$3 dir=$4 fl=$5 i=$6
base="https://portal.test:$pp/$fl"
jar="$dir/jar.$i"
c() {
	curl -sS -o /dev/null --cacert "$ca" --proto =https --max-time 15 \
		--resolve "portal.test:$pp:127.0.0.1" --resolve "fc.test:$fp:127.0.0.1" \
		-w '%{http_code} %{redirect_url}' "$@"
}
st=""
add() { st="$st${st:+ }${1%% *}"; }

r=$(c "$base/connexion"); add "$r"
r=$(c -c "$jar.1" "$base/auth/franceconnect"); add "$r"; authz=${r#* }
r=$(c -c "$jar.2" "$base/auth/franceconnect"); add "$r"
r=$(c -c "$jar.3" "$base/auth/franceconnect"); add "$r"
r=$(c -b "$jar.1" -c "$jar.1" "$authz"); add "$r"; inter=${r#* }
r=$(c -b "$jar.1" "$inter"); add "$r"
r=$(c "$base/callback?code=$(printf '%064d' "$i")&state=forged$(printf '%026d' "$i")"); add "$r"
state=${authz#*&state=}; state=${state%%&*}
r=$(c -b "$jar.1" "$base/callback?error=access_denied&error_description=user%20authentication%20aborted&state=$state"); add "$r"
r=$(c "$base/"); add "$r"
rm -f "$jar.1" "$jar.2" "$jar.3"
echo "$i $st"
