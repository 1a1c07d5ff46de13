#!/bin/sh
# raccord serve says every error of its configuration, at start and on
# SIGHUP, not only the first (review finding): a file with two faults
# names both; a reload refused for two faults logs both and the daemon
# keeps serving with the config it had.  Loopback only, no simulator.
set -u
. tests/integration/lib.sh

. tests/integration/lib_daemon.sh
ledger_keys it.example/raccord/v1 || exit 1
# conf FILE QUEUE_MAX MAX_CONNECTIONS
conf() {
	cat >"$1" <<JSON
{ "daemon": { "listen": "127.0.0.1:$PORT", "store": "$WORK/jobs.sqlite",
              "queue_max": $2, "max_connections": $3 },
  "ledger": { "dir": "$L", "key_file": "$LEDGER_KEY" } }
JSON
}

# --- at start ---------------------------------------------------------------------
conf "$WORK/bad.json" 0 0
"$RACCORD" serve --config "$WORK/bad.json" >"$WORK/out" 2>"$WORK/err"
rc=$?
[ $rc = 2 ] && ok "two faults: exit 2" || nok "exit $rc: $(cat "$WORK/err")"
grep -q "daemon.queue_max" "$WORK/err" && ok "the first fault is named" || nok "no queue_max: $(cat "$WORK/err")"
grep -q "daemon.max_connections" "$WORK/err" && ok "the second fault is named too" || nok "no max_connections: $(cat "$WORK/err")"
grep -q "2 errors in the configuration" "$WORK/err" && ok "and counted" || nok "no count: $(cat "$WORK/err")"
conf "$WORK/one.json" 0 10
"$RACCORD" serve --config "$WORK/one.json" >"$WORK/out" 2>"$WORK/err"
[ "$(grep -c "daemon\." "$WORK/err")" = 1 ] && ok "one fault: one line" || nok "one fault: $(cat "$WORK/err")"

# --- on SIGHUP ------------------------------------------------------------------------
conf "$WORK/d.json" 10 10
daemon_start "$WORK/d.json" || exit 1
conf "$WORK/d.json" 0 0
kill -HUP "$DPID"
i=0
until [ "$(grep -c "SIGHUP: config not reloaded" "$WORK/daemon.log")" -ge 2 ] || [ $i -gt 100 ]; do i=$((i + 1)); sleep 0.1; done
grep "SIGHUP: config not reloaded" "$WORK/daemon.log" | grep -q "daemon.queue_max" && ok "SIGHUP: the first fault is logged" || nok "SIGHUP log: $(tail -3 "$WORK/daemon.log")"
grep "SIGHUP: config not reloaded" "$WORK/daemon.log" | grep -q "daemon.max_connections" && ok "SIGHUP: the second fault is logged too" || nok "SIGHUP log: $(tail -3 "$WORK/daemon.log")"
curl -s -o /dev/null "$BASE/healthz" && ok "still serving after a refused reload" || nok "not serving"
daemon_stop; rc=$?
[ $rc = 0 ] && ok "SIGTERM: exit 0" || nok "exit $rc"
finish t_serve_config
