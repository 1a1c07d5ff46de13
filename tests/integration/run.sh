#!/bin/sh
# Integration runner: every tests/integration/t_*.sh, with BUILD set to the
# build directory (build or build-san).  Each script prints its own
# "name: N passed, M failed" line and exits non-zero on failure.
BUILD=${BUILD:-build}
export BUILD
pass=0 fail=0
for t in tests/integration/t_*.sh; do
	[ -f "$t" ] || continue
	echo "== $t"
	t0=$(date +%s)
	if sh "$t"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAILED: $t"; fi
	echo "== $t: $(($(date +%s) - t0)) s"
done
echo "integration: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
