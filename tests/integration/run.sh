#!/bin/sh
# Integration runner: every tests/integration/t_*.sh (or the ones named as
# arguments), with BUILD set to the build directory (build or build-san).
# Each script prints its own "name: N passed, M failed" line and exits
# non-zero on failure.
#
# Scripts run RACCORD_TEST_JOBS at a time (default 3): most of their time
# is spent waiting on servers, sleeps and polls, not on the CPU, and each
# takes its own temporary directory and free loopback ports.  The slowest
# start first.  Each script's output is kept and printed whole, in order,
# once all have ended; a line per script says when it ends.
BUILD=${BUILD:-build}
JOBS=${RACCORD_TEST_JOBS:-3}
export BUILD
OUT=$(mktemp -d "${TMPDIR:-/tmp}/raccord-integration.XXXXXX") || exit 1
trap 'rm -rf "$OUT"' EXIT INT TERM

# The slowest first (minutes on a loaded 2-core machine), then the rest.
SLOW="t_fleet t_conformance t_daemon_conformance t_selfcheck_browser"
SLOW="$SLOW t_ledger_tamper t_intake_ds_daemon t_recheck t_daemon t_selfcheck"
SLOW="$SLOW t_conformance_seal t_fc_portals t_ledger_crash t_api_checks"
SLOW="$SLOW t_ledger_export"
if [ $# -gt 0 ]; then
	LIST="$*"
else
	LIST=
	for n in $SLOW; do
		[ -f "tests/integration/$n.sh" ] && LIST="$LIST tests/integration/$n.sh"
	done
	for t in tests/integration/t_*.sh; do
		n=$(basename "$t" .sh)
		case " $SLOW " in *" $n "*) ;; *) LIST="$LIST $t" ;; esac
	done
fi

# One line per script: its result, name and seconds, into $OUT/results.
printf '%s\n' $LIST | xargs -P "$JOBS" -I{} sh -c '
	t=$1 out=$2
	n=$(basename "$t" .sh)
	t0=$(date +%s)
	if sh "$t" >"$out/$n.log" 2>&1; then r=ok; else r=FAILED; fi
	s=$(($(date +%s) - t0))
	echo "$r $n $s" >>"$out/results"
	echo "== $t: $r in $s s"
' run_one {} "$OUT"

pass=0 fail=0
for t in $LIST; do
	n=$(basename "$t" .sh)
	echo "== $t"
	cat "$OUT/$n.log" 2>/dev/null
	r=$(grep " $n " "$OUT/results" 2>/dev/null | cut -d' ' -f1)
	s=$(grep " $n " "$OUT/results" 2>/dev/null | cut -d' ' -f3)
	if [ "$r" = ok ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAILED: $t"
	fi
	echo "== $t: ${s:-?} s"
done
echo "integration: $pass passed, $fail failed ($JOBS at a time)"
grep FAILED "$OUT/results" 2>/dev/null | sed 's/^/  /'
[ "$fail" -eq 0 ]
