#!/usr/bin/env bash
# No transaction leaks: after 200 calls at 50 calls/s through the stateful proxy, the count of
# live transactions (tm.stats().active, logged by scripts/tm_proxy.lua) returns to 0 once
# wait_timer (500 ms here) has passed, and tm's exit line says 0 were active.
. "$(dirname "$0")/lib/common.sh"

CALLS=200
free_port PORT
free_port UAS_PORT
export TM_WAIT_TIMER=500
start_server "$SCRIPT_DIR/tm_proxy.lua" -l "udp:127.0.0.1:$PORT"
start_uas "$SIPP_DIR/uas_call.xml" "$UAS_PORT" -m "$CALLS" -timeout 60s

run_uac "$SIPP_DIR/uac_call.xml" "127.0.0.1:$UAS_PORT" -rsa "127.0.0.1:$PORT" -key tp udp \
    -m "$CALLS" -r 50 -l 100 -timeout 60s || fail "not every call succeeded (sipp exit $?)"
wait_uas 30 || fail "UAS: not every call succeeded (sipp exit $?)"

last() { grep 'tm stats active=' "$SERVER_LOG" | tail -n 1; }
for ((i = 0; i < 50; i++)); do
    last | grep -q 'active=0 ' && break
    sleep 0.1
done
last | grep -q 'active=0 ' || fail "transactions still alive after the load: $(last)"
created=$(last | sed -n 's/.*created=\([0-9]*\).*/\1/p')
[ "${created:-0}" -ge $((CALLS * 2)) ] || fail "only ${created:-0} transactions created for $CALLS calls"

server_alive
stop_server
assert_log "INFO \[tm\] stopped: $created transactions created, 0 active at exit" "tm's exit line with 0 active"
pass
