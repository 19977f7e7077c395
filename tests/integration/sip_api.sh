#!/usr/bin/env bash
# The sip table outside SIP routes (scripts/sip_api.lua): sip.sleep in on_start, sip.after
# (and :cancel), sip.every stopping itself, sip.spawn running at once and sleeping, an error
# in a spawned coroutine logged and counted, sip.log levels and argument joining, sip.units,
# and sip.stats as seen by a request route.
. "$(dirname "$0")/lib/common.sh"

free_port PORT
start_server "$SCRIPT_DIR/sip_api.lua" -l "udp:127.0.0.1:$PORT"
for _ in $(seq 30); do grep -q 'api: after fired' "$SERVER_LOG" && grep -q 'every stopped' "$SERVER_LOG" && break; sleep 0.1; done
sleep 0.3   # room for a cancelled timer or a fourth tick to show up if they were broken

assert_log 'INFO \[lua\] api: start 1 true nil$' "sip.log joining its arguments with tostring"
assert_no_log 'api: debug line' "a debug line at info level"
assert_log 'api: on_start slept' "sip.sleep in on_start"
assert_log 'api: cancel=true again=false' "a pending timer cancelled once"
assert_no_log 'cancelled timer fired' "a cancelled timer firing"
assert_log 'api: after fired' "sip.after"
assert_log 'api: every stopped after 3' "sip.every cancelling itself on the third tick"
assert_log 'api: spawned with x and 42' "sip.spawn passing its arguments"
assert_log 'api: spawned woke up' "a sleep inside a spawned coroutine"
assert_log 'ERROR \[lua\].*spawned failure' "the spawned coroutine's error"
assert_log 'api: bad level rejected: true unknown level' "sip.log refusing an unknown level"
assert_log 'api: units=0' "sip.units without units"
# spawn runs the coroutine at once, up to its first wait
grep -n 'api: spawned with\|api: spawn returned' "$SERVER_LOG" | head -1 | grep -q 'spawned with' ||
    fail "sip.spawn did not run the coroutine before returning"

out=$(sip_request OPTIONS "sip:127.0.0.1:$PORT" | sip_send_raw udp "$PORT" --timeout 3)
[[ $(status_line "$out") == "SIP/2.0 200 requests=1 route_errors=1 coroutines=1" ]] ||
    fail "sip.stats from a route: $(status_line "$out")"

server_alive
stop_server
pass
