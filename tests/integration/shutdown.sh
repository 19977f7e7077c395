#!/usr/bin/env bash
# Stopping: SIGTERM takes no new work (new SIP requests get 503 + Retry-After) and lets the
# transactions and HTTP routes in flight finish, then exits 0 at once; past
# config.shutdown_grace they are cut short (logged, still exit 0); a second SIGINT stops at
# once; a relay waiting for DNS at exit does not crash (pending lookups are failed before the
# units stop).
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/http.sh"
need_tm

free_port PORT
free_port HTTP_PORT
export PORT HTTP_LISTEN="127.0.0.1:$HTTP_PORT"
S=$SCRIPT_DIR/shutdown.lua

# stop_and_time SIGNAL: send it, wait for the exit (10 s at most); sets TOOK (s) and WAIT_RC.
stop_and_time() {
    local t0=$EPOCHREALTIME
    kill -"$1" "$SERVER_PID"
    _wait_pid "$SERVER_PID" 10 || fail "server still running 10 s after SIG$1"
    TOOK=$(python3 -c 'import sys; print("%.2f" % (float(sys.argv[2]) - float(sys.argv[1])))' "$t0" "$EPOCHREALTIME")
    SERVER_PID=
    check_sanitizers
}

# wait_routes N: until N route coroutines run (5 s at most).
wait_routes() {
    local i n
    for ((i = 0; i < 50; i++)); do
        hcurl /metrics
        n=$(awk '/^lunasip_coroutines_alive /{print $2}' <<<"$HTTP_BODY")
        [ "${n:-0}" -ge "$1" ] && return 0
        sleep 0.1
    done
    fail "$1 routes never ran at once (coroutines alive: ${n:-?})"
}

# 1. Work in flight finishes, new work is refused, exit as soon as it is done.
export GRACE=5
start_server "$S"
sip_request OPTIONS "sip:127.0.0.1:$PORT" "X-Wait: 1500" | sip_send_raw udp "$PORT" --timeout 5 >"$T/inflight.out" &
sipc=$!
curl -s --max-time 5 -o "$T/http.out" "http://127.0.0.1:$HTTP_PORT/slow?ms=1200" &
httpc=$!
wait_routes 2
kill -TERM "$SERVER_PID"
sleep 0.2
out=$(sip_request OPTIONS "sip:127.0.0.1:$PORT" | sip_send_raw udp "$PORT" --timeout 2)
[[ $(status_line "$out") == "SIP/2.0 503 "* ]] || fail "a new request while stopping: $(status_line "$out")"
grep -qi '^Retry-After: ' <<<"$out" || fail "503 while stopping without Retry-After"
wait "$sipc" "$httpc"
[[ $(status_line "$(cat "$T/inflight.out")") == "SIP/2.0 200 "* ]] || fail "the request in flight: $(cat "$T/inflight.out")"
[ "$(cat "$T/http.out")" = "slow done" ] || fail "the HTTP route in flight: $(cat "$T/http.out")"
_wait_pid "$SERVER_PID" 3 || fail "still running 3 s after the work in flight ended"
SERVER_PID=
check_sanitizers
[ "$WAIT_RC" -eq 0 ] || fail "exit status $WAIT_RC after SIGTERM"
grep -q 'signal 15: stopping;' "$SERVER_LOG" || fail "no grace announced"
assert_no_log 'cut short' "work cut short although it finished in time"

# 2. Past the grace the rest is cut short; exit 0 all the same.
export GRACE=1
start_server "$S"
sip_request OPTIONS "sip:127.0.0.1:$PORT" "X-Wait: 10000" | sip_send_raw udp "$PORT" --timeout 1 >/dev/null &
wait_routes 1
stop_and_time TERM
[ "$WAIT_RC" -eq 0 ] || fail "exit status $WAIT_RC after the grace"
log "grace 1 s with a 10 s route: exit after $TOOK s"
python3 -c 'import sys; sys.exit(not 0.9 <= float(sys.argv[1]) < 3)' "$TOOK" || fail "stopped after $TOOK s with shutdown_grace = 1"
assert_log 'cut short' "the grace running out"

# 3. A second SIGINT stops at once.
export GRACE=30
start_server "$S"
sip_request OPTIONS "sip:127.0.0.1:$PORT" "X-Wait: 10000" | sip_send_raw udp "$PORT" --timeout 1 >/dev/null &
wait_routes 1
kill -INT "$SERVER_PID"
sleep 0.2
stop_and_time INT
[ "$WAIT_RC" -eq 0 ] || fail "exit status $WAIT_RC after two SIGINTs"
python3 -c 'import sys; sys.exit(not float(sys.argv[1]) < 1.5)' "$TOOK" || fail "the second SIGINT took $TOOK s"

# 4. SIGTERM while a relay waits for DNS (config.dns points at a nameserver that never answers).
free_port DNS_PORT
python3 -c 'import socket,sys
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("127.0.0.1",int(sys.argv[1])))
while True: s.recv(2048)' "$DNS_PORT" &
_PIDS+=($!)
wait_bound udp "$DNS_PORT" 5 || fail "the silent nameserver did not bind"   # else ICMP fails the lookup at once
export GRACE=1 DNS_SERVER="127.0.0.1:$DNS_PORT"
start_server "$S"
sip_request OPTIONS "sip:127.0.0.1:$PORT" "X-Relay: sip:nowhere.lunasip.invalid" \
    | sip_send_raw udp "$PORT" --timeout 1 >/dev/null
assert_no_log 'does not resolve' "the lookup failing before the stop (the nameserver must not answer)"
stop_and_time TERM
[ "$WAIT_RC" -eq 0 ] || fail "exit status $WAIT_RC with a lookup pending at SIGTERM"
pass
