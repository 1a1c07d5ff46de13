#!/bin/sh
# make lint: banned functions, upward includes, formatting.
status=0
files=$(git ls-files '*.c' '*.h' 2>/dev/null)
[ -n "$files" ] || files=$(find common oidc apiclients verifier connector tests -name '*.[ch]')

# 1. Banned functions (STYLE.md "Strings and bytes").
banned='\b(strcpy|strcat|sprintf|vsprintf|gets|strtok|atoi|atol)[[:space:]]*\('
if grep -nE "$banned" $files | grep -v 'lint-ok'; then
	echo "lint: banned function used (above)"; status=1
fi

# 2. Includes point down only: connector > verifier > {oidc, apiclients} > common.
check_layer() { # dir allowed-prefixes...
	dir=$1; shift
	for f in $(echo "$files" | tr ' ' '\n' | grep "^$dir/"); do
		grep -hoE '^#include "[a-z_]+/' "$f" | sed 's/#include "//; s#/##' | while read -r inc; do
			ok=0
			for a in "$@"; do [ "$inc" = "$a" ] && ok=1; done
			[ $ok -eq 1 ] || { echo "lint: $f includes $inc/ (upward or sideways)"; echo x >> "$tmp"; }
		done
	done
}
tmp=$(mktemp)
check_layer common common
check_layer oidc oidc common
check_layer apiclients apiclients common
check_layer verifier verifier oidc apiclients common
[ -s "$tmp" ] && status=1
rm -f "$tmp"
tmp=$(mktemp)

# 3. Every check id the code records ("fc.*", "api.*" literals in verifier/
#    and oidc/) has its entry in the catalogue of checks, which explains it
#    in both languages (issue 10); a run would make its section incomplete.
srcs=$(echo "$files" | tr ' ' '\n' | grep -E '^(verifier|oidc)/[^/]*\.c$' | grep -v '^verifier/catalog\.c$')
for id in $(grep -ohE '"(fc|api)\.[a-z0-9_.]+"' $srcs | sort -u); do
	if ! grep -qF -- ".id = $id," verifier/catalog.c; then
		echo "lint: check id $id is not in the catalogue (verifier/catalog.c)"; status=1
	fi
done

# 4. Formatting (clang-format 14, .clang-format at the root).
if command -v clang-format >/dev/null 2>&1; then
	if ! clang-format --dry-run -Werror $files 2>"$tmp.fmt"; then
		grep -o '^[^ :]*\.[ch]:' "$tmp.fmt" | sort -u | sed 's/:$//; s/^/lint: not clang-formatted: /'
		echo "lint: clang-format differences (run make format)"; status=1
	fi
	rm -f "$tmp.fmt"
fi
rm -f "$tmp"
[ $status -eq 0 ] && echo "lint: ok"
exit $status
