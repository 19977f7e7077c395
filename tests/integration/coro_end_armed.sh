#!/usr/bin/env bash
# A coroutine that ends for any reason while a wait is armed leaves nothing behind that points to
# it (issue 10; scripts/coro_end_armed.lua). Under ASan a use-after-free turns this red.
# 1. A spawned coroutine waits inside a user coroutine; a reload cancels it. The user coroutine
#    is then closed from a route of the old script still in flight: its to-be-closed handler runs
#    Lua code (the CPU budget hook looks up the coroutine running it) and calls sip.sleep, which
#    must find no route (an error), not the freed one. A spawned tm.request cancelled by the same
#    reload times out later with nobody to resume: only the new script's one reports its 408.
# 2. A route keeps its own thread in a global and waits; another route may neither resume nor
#    close that thread, nor resume the user coroutine that waits on the first route's behalf:
#    the first route wakes at its time (1500 ms), not when the other one says.
. "$(dirname "$0")/lib/common.sh"
need_tm

free_port PORT
free_port SINK_PORT   # nothing listens there
export SINK_URI="sip:sink@127.0.0.1:$SINK_PORT"
start_server "$SCRIPT_DIR/coro_end_armed.lua" -l "udp:127.0.0.1:$PORT"

# 1
sip_request MESSAGE "sip:close-pending@127.0.0.1:$PORT" | sip_send_raw udp "$PORT" --timeout 6 >"$T/close.out" &
closer=$!
sleep 0.5
kill -HUP "$SERVER_PID"
wait "$closer"
grep -q 'SIP/2.0 200 Closed' "$T/close.out" || fail "close-pending: $(status_line "$(cat "$T/close.out")")"
assert_log 'script .* reloaded' "the reload"
assert_log 'guard closed: false .*can only be called in a route' "sip.sleep in the closed coroutine refused"
assert_log 'pending closed: true' "the user coroutine closed"
check_sanitizers

# 2
start=$(date +%s%N)
sip_request MESSAGE "sip:victim@127.0.0.1:$PORT" | sip_send_raw udp "$PORT" --timeout 5 >"$T/victim.out" &
victim=$!
for ((i = 0; i < 50; i++)); do grep -q 'victim waits' "$SERVER_LOG" && break; sleep 0.1; done
sip_request MESSAGE "sip:intruder@127.0.0.1:$PORT" | expect_status udp "$PORT" 200 "intruder"
wait "$victim"
took=$((($(date +%s%N) - start) / 1000000))
grep -q 'SIP/2.0 200 Woke' "$T/victim.out" || fail "victim: $(status_line "$(cat "$T/victim.out")")"
[ "$took" -ge 1500 ] || fail "the victim woke after $took ms, before its 1500 ms"
assert_log "intruder: resume false \(cannot resume a route's own coroutine" "resuming a route's thread refused"
assert_log "close false \(.*cannot close a route's own coroutine" "closing a route's thread refused"
assert_log "resume waiter false \(cannot resume a coroutine that waits for its route's event" "resuming a waiting user coroutine refused"
assert_no_log 'cannot resume dead coroutine' "a wait that resumed a finished coroutine"
for ((i = 0; i < 30; i++)); do grep -q 'uac reply' "$SERVER_LOG" && break; sleep 0.1; done
[ "$(grep -c 'uac reply 408' "$SERVER_LOG")" = 1 ] || fail "tm.request replies: $(grep 'uac reply' "$SERVER_LOG")"
assert_no_log 'ERROR' "an error"

server_alive
stop_server
pass
