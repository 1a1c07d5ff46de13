#!/bin/sh
# The self-check page in a real browser (issue 10): raccord serve with the
# page on, raccord-sim's portals behind it, and tests/browser/selfcheck.mjs
# driving Debian's headless Chromium (puppeteer-core, axe-core): the form,
# client- and server-side validation, a correct, a flawed, a slow and an
# unreachable portal, keyboard only, no JavaScript, the re-test cooldown,
# axe-core on every state, nothing outside loopback.  Screenshots of each
# state go to $WORK/shots and, when set, to $ARTIFACTS/selfcheck-browser.
#
#   sh tests/integration/t_selfcheck_browser.sh [--screenshot docs/img/selfcheck-failed.png]
#
# Skipped (exit 0, saying why) when Chromium or the node modules are
# missing, except under CI=true, where that is a failure.
set -u
SHOT_ARG=
if [ "${1:-}" = --screenshot ] && [ -n "${2:-}" ]; then
	case $2 in /*) SHOT_ARG=$2 ;; *) SHOT_ARG=$(pwd)/$2 ;; esac
elif [ $# -gt 0 ]; then
	echo "usage: $0 [--screenshot FILE.png]" >&2
	exit 2
fi
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
missing=
[ -x "$CHROMIUM" ] || missing="Chromium ($CHROMIUM; apt-get install chromium)"
command -v node >/dev/null 2>&1 || missing="${missing:+$missing, }node"
[ -f tests/browser/node_modules/puppeteer-core/package.json ] && [ -f tests/browser/node_modules/axe-core/axe.min.js ] ||
	missing="${missing:+$missing, }tests/browser/node_modules (npm ci --prefix tests/browser)"
if [ -n "$missing" ]; then
	if [ "${CI:-}" = true ]; then
		echo "t_selfcheck_browser: missing $missing (CI=true: .ci/setup installs them)"
		echo "t_selfcheck_browser: 0 passed, 1 failed"
		exit 1
	fi
	echo "t_selfcheck_browser: SKIPPED, missing $missing"
	exit 0
fi
if [ ! -d web/node_modules/@gouvfr/dsfr/dist ]; then
	echo "t_selfcheck_browser: web/node_modules missing (npm ci --prefix web): the page has no DSFR"
	echo "t_selfcheck_browser: 0 passed, 1 failed"
	exit 1
fi

. tests/integration/lib.sh
. tests/integration/lib_daemon.sh
sim_start || exit 1
CLOSED=$(free_port) # nothing listens there: the unreachable portal
write_config "$WORK/cfg.json" 10000 yes
# raccord serve needs its ledger, although a self-check never awards.
ledger_keys it.example/raccord/v1 || exit 1
# The daemon with the self-check page on; the network timeout (10 s) is
# what ends the `slow` portal's check, which keeps the progress state on
# screen long enough for axe-core and a screenshot on a loaded machine.  The rate limits are off (every submission comes from
# 127.0.0.1 to portal.test); the cooldown is the default's order.
python3 - "$WORK/cfg.json" "$CLOSED" <<'PY'
import json, sys
f, closed = sys.argv[1:3]
cfg = json.load(open(f))
cfg["network"]["resolve"].append("portal.test:%s:127.0.0.1" % closed)
json.dump(cfg, open(f, "w"), indent=2)
PY
config_patch "$WORK/d.json" "$WORK/cfg.json" "{
 'daemon': {'listen': '127.0.0.1:$PORT', 'store': '$WORK/jobs.sqlite', 'tokens': [],
  'queue_max': 8, 'rate_per_token_min': 0, 'rate_per_siren_hour': 0,
  'selfcheck': {'enabled': True, 'operator': \"Tests d'intégration de raccord\",
   'static_dir': '$(pwd)/web/node_modules/@gouvfr/dsfr/dist', 'queue_share': 100,
   'rate_per_address_hour': 0, 'rate_per_host_hour': 0, 'cooldown_s': 300,
   'allow_private': ['127.0.0.0/8']}},
 'ledger': {'dir': '$L', 'key_file': '$LEDGER_KEY'}}"
if ! daemon_start; then
	echo "t_selfcheck_browser: 0 passed, 1 failed"
	exit 1
fi

SHOTS=$WORK/shots
set -- --base "$BASE" --portal "https://portal.test:$PORTAL_PORT" --closed-port "$CLOSED" \
	--out "$SHOTS" --chromium "$CHROMIUM"
[ -n "$SHOT_ARG" ] && set -- "$@" --screenshot "$SHOT_ARG"
t0=$(date +%s)
node tests/browser/selfcheck.mjs "$@" >"$WORK/browser.out" 2>"$WORK/browser.err"
rc=$?
cat "$WORK/browser.out"
[ -s "$WORK/browser.err" ] && sed 's/^/  stderr: /' "$WORK/browser.err" | head -20
PASS=$(grep -c '^ok ' "$WORK/browser.out")
FAIL=$(grep -c '^FAIL ' "$WORK/browser.out")
echo "info browser run: $(($(date +%s) - t0)) s"
if [ $rc -ne 0 ] && [ "$FAIL" -eq 0 ]; then
	nok "selfcheck.mjs exited $rc without a FAIL line"
fi
grep -q '^selfcheck.mjs: ' "$WORK/browser.out" || nok "selfcheck.mjs did not finish"

# The screenshots outlive $WORK when asked for, or when something failed.
keep=${ARTIFACTS:+$ARTIFACTS/selfcheck-browser}
if [ -z "$keep" ] && [ "$FAIL" -gt 0 ]; then
	keep=$(mktemp -d "${TMPDIR:-/tmp}/raccord-selfcheck-shots.XXXXXX")
fi
if [ -n "$keep" ] && [ -d "$SHOTS" ]; then
	mkdir -p "$keep" && cp "$SHOTS"/*.png "$keep"/ 2>/dev/null &&
		cp "$WORK/daemon.log" "$keep"/daemon.log && echo "info screenshots kept in $keep"
fi
finish t_selfcheck_browser
