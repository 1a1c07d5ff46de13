# Shared helpers for tests/integration/t_ledger_*.sh (sourced, POSIX sh).
# Builds the ledger test driver (tests/ledger_shim/ledger_driver.c) with
# cc against $BUILD's libraries (with the sanitizers when $BUILD is
# build-san), makes a work directory, a log key and an empty ledger.
BUILD=${BUILD:-build}
NAME=${NAME:-t_ledger}
PASS=0
FAIL=0
WORK=$(mktemp -d "${TMPDIR:-/tmp}/raccord-ledger.XXXXXX")
trap 'rm -rf "$WORK"' EXIT INT TERM

SANFLAGS=
case "$BUILD" in *san*) SANFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all" ;; esac
LIBS="$BUILD/libconnector.a $BUILD/libverifier.a $BUILD/libapiclients.a $BUILD/liboidc.a $BUILD/libcommon.a"
PKGS="libcurl openssl jansson cjose libmicrohttpd sqlite3 libxml-2.0 xlsxwriter libzip"
DRV=$WORK/ledger_driver
RACCORD=$BUILD/raccord
# shellcheck disable=SC2086
cc -I. -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -std=c11 -O1 -g $SANFLAGS \
	-o "$DRV" tests/ledger_shim/ledger_driver.c $LIBS $(pkg-config --libs $PKGS) -lm -lpthread ||
	{ echo "$NAME: cannot build the driver"; echo "$NAME: 0 passed, 1 failed"; exit 1; }
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

ok() { PASS=$((PASS + 1)); }
ko() { FAIL=$((FAIL + 1)); echo "FAIL: $*"; }
check() { # description command...
	d=$1; shift
	if "$@" >"$WORK/out" 2>&1; then ok; else ko "$d"; sed 's/^/    /' "$WORK/out" | head -5; fi
}
check_fails() { # description expected-status command...
	d=$1; want=$2; shift 2
	"$@" >"$WORK/out" 2>&1
	got=$?
	if [ "$got" -eq "$want" ]; then ok; else ko "$d (exit $got, wanted $want)"; sed 's/^/    /' "$WORK/out" | head -5; fi
}
finish() {
	echo "$NAME: $PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
	exit $?
}

ORIGIN=test.raccord.example/ledger
mk_ledger() { # dir
	[ -f "$WORK/k.pem" ] || "$RACCORD" keygen "$ORIGIN" --key "$WORK/k.pem" --vkey "$WORK/k.vkey" >/dev/null 2>&1
	"$RACCORD" ledger init "$1" --key "$WORK/k.pem" --vkey "$WORK/k.vkey" >/dev/null
}
verify() { "$RACCORD" ledger verify "$1" --vkey "$WORK/k.vkey"; }
