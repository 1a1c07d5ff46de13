#!/bin/sh
# Benchmark of issue 2, run by hand (make bench; never in CI or tests):
# raccord check --batch over N simulated FranceConnect portals, beside the
# same requests made with one curl process per request and the machine's
# TLS handshake rate (openssl s_time), all against raccord-sim on loopback,
# in the same run.  Results and how to read them: docs/bench.md.
#
#   make bench BUILD=build-bench      or      BUILD=build-bench sh bench/run.sh
#
# Environment: BUILD (default build), RACCORD (default $BUILD/raccord: the
# binary measured, e.g. an older build beside this one), SIM_ARGS (e.g.
# --close: every simulated site closes its connection after each answer),
# ONLY=raccord (only the raccord phases), N dossiers for the main raccord runs
# (default 1000; also run at N/2 and 2N to show growth), LIMITS per-host
# concurrency limits (default "4 16 64"), N_SEQ dossiers for the sequential
# curl baseline (default 10), N_CURL and CURL_PAR for the parallel one
# (default 100 and 8), S_TIME seconds per openssl s_time run (default 10),
# JSON a file to keep the raw figures in.  Needs curl, openssl, xargs,
# python3 and GNU time (/usr/bin/time, Debian package "time").  About
# three minutes on a 2-core machine; every phase has its own time limit.
set -u
BUILD=${BUILD:-build}
N=${N:-1000}
LIMITS=${LIMITS:-4 16 64}
N_SEQ=${N_SEQ:-10}
N_CURL=${N_CURL:-100}
CURL_PAR=${CURL_PAR:-8}
S_TIME=${S_TIME:-10}
JSON=${JSON:-}
RACCORD=${RACCORD:-$BUILD/raccord}
SIM_ARGS=${SIM_ARGS:-}
ONLY=${ONLY:-}
SIM=$BUILD/raccord-sim
CERTS=$BUILD/certs

for b in "$RACCORD" "$SIM"; do
	[ -x "$b" ] || { echo "bench: $b missing; run: make BUILD=$BUILD $b certs" >&2; exit 2; }
done
for t in curl openssl xargs python3 /usr/bin/time; do
	command -v $t >/dev/null || { echo "bench: $t not installed" >&2; exit 2; }
done
[ "$N" -ge 2 ] || { echo "bench: N must be at least 2" >&2; exit 2; }
[ -f "$CERTS/ca.pem" ] || sh certs/mkcerts.sh "$CERTS" >/dev/null || exit 2

WORK=$(mktemp -d "${TMPDIR:-/tmp}/raccord-bench.XXXXXX")
SIM_PID=
sim_stop() {
	if [ -n "$SIM_PID" ]; then
		kill "$SIM_PID" 2>/dev/null
		wait "$SIM_PID" 2>/dev/null
		SIM_PID=
	fi
}
cleanup() {
	sim_stop
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# sim_start: a fresh raccord-sim on loopback; its ports in $WORK/ports.json.
sim_start() {
	rm -f "$WORK/ports.json"
	# shellcheck disable=SC2086 # SIM_ARGS is words on purpose
	"$SIM" --certs "$CERTS" --ports-file "$WORK/ports.json" $SIM_ARGS \
		>"$WORK/sim.out" 2>>"$WORK/sim.err" &
	SIM_PID=$!
	i=0
	while [ ! -s "$WORK/ports.json" ]; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 "$SIM_PID" 2>/dev/null; then
			echo "bench: raccord-sim did not start:" >&2
			cat "$WORK/sim.err" >&2
			exit 1
		fi
		sleep 0.1
	done
}

RC=0
# phase NAME ARGS...: one measurement against a fresh simulator.
phase() {
	sim_start
	echo "- $*" >&2
	timeout 300 python3 bench/fc_batch.py "$@" --results "$WORK/results.jsonl" \
		--raccord "$RACCORD" --curl-script bench/curl_dossier.sh \
		--ports "$WORK/ports.json" --ca "$CERTS/ca.pem" --sim-pid "$SIM_PID" \
		--work "$WORK" --s-time "$S_TIME" || RC=1
	if ! kill -0 "$SIM_PID" 2>/dev/null; then
		echo "bench: raccord-sim died during: $*" >&2
		tail -n 20 "$WORK/sim.err" >&2
		SIM_PID=
		RC=1
	fi
	sim_stop
}

echo "raccord: $("$RACCORD" --version 2>&1 | head -1)"
echo "repository HEAD $(git rev-parse --short HEAD 2>/dev/null || echo '?')," \
	"$RACCORD built $(date -u -r "$RACCORD" '+%Y-%m-%d %H:%M UTC')," \
	"curl $(curl --version | head -1 | cut -d' ' -f2), $(openssl version | cut -d' ' -f1-2)"
phase idle
for l in $LIMITS; do
	phase raccord "$N" "$l"
done
L1=${LIMITS%% *}
if [ "$ONLY" = raccord ]; then
	python3 bench/fc_batch.py report --results "$WORK/results.jsonl" --json "$JSON" || RC=1
	exit $RC
fi
phase raccord $((N / 2)) "$L1"
phase raccord $((N * 2)) "$L1"
phase s_time 1
phase s_time 0
phase s_time 2
phase curl_start 50
phase curl "$N_SEQ" 1
phase curl "$N_CURL" "$CURL_PAR"
python3 bench/fc_batch.py report --results "$WORK/results.jsonl" --json "$JSON" || RC=1
exit $RC
