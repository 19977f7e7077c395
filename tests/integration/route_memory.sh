#!/usr/bin/env bash
# Memory stays flat under a steady stream of routes: what a finished route leaves for the Lua
# collector (each msg object pins a message kept in C memory, far larger than the object) is
# collected at the pace routes run, also now that route threads are reused. 1000 calls warm
# the proxy up; 3000 more may add at most 2 MB of RSS (unbounded growth was ~1.3 KB a call).
# Sanitizer builds keep freed memory in quarantine, so there RSS says nothing: skipped.
. "$(dirname "$0")/lib/common.sh"

if ldd "$LUNASIP_BIN" 2>/dev/null | grep -q 'libasan'; then
    skip "RSS is meaningless under AddressSanitizer (freed memory stays in quarantine)"
fi

free_port PORT
free_port UAS_PORT
free_port UAC_PORT
start_server "$EXAMPLES_DIR/stateless-proxy.lua" -l "udp:127.0.0.1:$PORT"

calls() {   # calls N: N calls at 500 cps through the proxy, every one must succeed
    sipp -sn uas -p "$UAS_PORT" -i 127.0.0.1 -m "$1" -nostdin -timeout 60s -timeout_error \
        </dev/null >"$T/uas.out" 2>&1 &
    local uas=$!
    _PIDS+=("$uas")
    wait_bound udp "$UAS_PORT" 5 || fail "sipp UAS did not bind $UAS_PORT"
    sipp -sn uac "127.0.0.1:$UAS_PORT" -rsa "127.0.0.1:$PORT" -p "$UAC_PORT" -i 127.0.0.1 -r 500 \
        -m "$1" -nostdin -timeout 60s -timeout_error </dev/null >"$T/uac.out" 2>&1 ||
        fail "not every one of $1 calls succeeded (sipp exit $?)"
    _wait_pid "$uas" 30 || fail "sipp UAS still running"
}
rss() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$SERVER_PID/status"; }

calls 1000
r0=$(rss)
calls 3000
r1=$(rss)
log "RSS after 1000 calls: $r0 kB, after 3000 more: $r1 kB"
[ $((r1 - r0)) -le 2048 ] || fail "RSS grew by $((r1 - r0)) kB over 3000 calls ($r0 -> $r1 kB)"

server_alive
stop_server
pass
