#!/usr/bin/env bash
# File descriptors: the soft RLIMIT_NOFILE is raised to the hard one at start; when even the
# hard limit is small, config.http.max_connections and config.tcp.max_connections are lowered
# below it (logged), so 300 idle connections neither starve SIP and /health of descriptors
# nor make the accept loops spin.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/http.sh"

free_port PORT
free_port HTTP_PORT
export PORT HTTP_LISTEN="127.0.0.1:$HTTP_PORT"

hard=$(ulimit -Hn)
if [ "$hard" = unlimited ] || [ "$hard" -gt 512 ]; then
    ulimit -Sn 256
    start_server "$SCRIPT_DIR/fd_limit.lua"
    soft=$(awk '/Max open files/{print $4}' "/proc/$SERVER_PID/limits")
    [ "$soft" = "$(ulimit -Hn)" ] || [ "$soft" -ge 1048576 ] || fail "soft limit $soft, expected the hard one $(ulimit -Hn)"
    stop_server
else
    log "hard limit $hard: cannot check the raise"
fi

# Hard limit 200: 136 descriptors for connections, so HTTP gets 34 and SIP TCP 102.
(ulimit -n 200; exec "$LUNASIP_BIN" -f "$SCRIPT_DIR/fd_limit.lua" </dev/null >"$T/server.stdout" 2>"$SERVER_LOG") &
SERVER_PID=$!
_PIDS+=("$SERVER_PID")
wait_bound tcp "$HTTP_PORT" 5 || fail "the server did not start with ulimit -n 200"
assert_log 'config.http.max_connections lowered to 34, config.tcp.max_connections to 102' "the lowered caps"

cpu() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }
python3 - "$PORT" "$HTTP_PORT" <<'PY' &
import socket, sys, time
port, hport = int(sys.argv[1]), int(sys.argv[2])
held = []
for i in range(150):
    for p in (port, hport):
        try:
            held.append(socket.create_connection(("127.0.0.1", p), timeout=1))
        except OSError:
            pass
time.sleep(3)
PY
holder=$!
sleep 1
c0=$(cpu)
sleep 1.5
c1=$(cpu)
ticks=$((c1 - c0))
log "server CPU while 300 connections are held: $ticks ticks in 1.5 s"
[ "$ticks" -lt 30 ] || fail "the server burned $ticks ticks in 1.5 s while at its descriptor caps"
options_ok "$PORT" udp || fail "SIP over UDP while the caps are full"
wait "$holder"
sleep 1.2
expect_http 200 "/health once the held connections are gone" /health
options_ok "$PORT" tcp || fail "SIP over TCP once the held connections are gone"
grep -q 'Too many open files' "$SERVER_LOG" && fail "the server ran out of descriptors"
stop_server
pass
