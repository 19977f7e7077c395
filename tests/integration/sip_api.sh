#!/usr/bin/env bash
# The sip table outside SIP routes (scripts/sip_api.lua): sip.sleep in on_start, sip.after
# (and :cancel; timers fire in delay order and never early), sip.every stopping itself, sip.spawn running at once and sleeping, an error
# in a spawned coroutine logged and counted, sip.log levels and argument joining, sip.units,
# and sip.stats as seen by a request route.
. "$(dirname "$0")/lib/common.sh"

free_port PORT
start_server "$SCRIPT_DIR/sip_api.lua" -l "udp:127.0.0.1:$PORT"
for _ in $(seq 50); do
    grep -q 'api: after fired' "$SERVER_LOG" && grep -q 'every stopped' "$SERVER_LOG" &&
        grep -q 'api: timer 300 ' "$SERVER_LOG" && break
    sleep 0.1
done
sleep 0.3   # room for a cancelled timer or a fourth tick to show up if they were broken

assert_log 'INFO \[lua\] api: start 1 true nil$' "sip.log joining its arguments with tostring"
assert_no_log 'api: debug line' "a debug line at info level"
assert_log 'api: on_start slept' "sip.sleep in on_start"
assert_log 'api: cancel=true again=false' "a pending timer cancelled once"
assert_no_log 'cancelled timer fired' "a cancelled timer firing"
assert_log 'api: after fired' "sip.after"
assert_log 'api: every stopped after 3 ticks' "sip.every cancelling itself on the third tick"
ms=$(sed -n 's/.*api: every stopped after 3 ticks, \([0-9]*\) ms$/\1/p' "$SERVER_LOG")
[ "${ms:-0}" -ge 150 ] || fail "sip.every(50) ticked 3 times in ${ms:-?} ms (before 150 ms)"
# sip.after: delay order whatever the order they were set in, and never before the delay
assert_log 'api: timer 300 after [0-9]+ ms, order 0,100,200,300$' "timers firing in delay order (set as 300, 100, 200, 0)"
for d in 0 100 200 300; do
    ms=$(sed -n "s/.*api: timer $d after \([0-9]*\) ms.*/\1/p" "$SERVER_LOG")
    [ -n "$ms" ] || fail "timer $d never fired"
    [ "$ms" -ge "$d" ] || fail "sip.after($d) fired after $ms ms"
done
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
