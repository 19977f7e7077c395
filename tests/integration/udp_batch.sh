#!/usr/bin/env bash
# UDP batching: datagrams queued while the server is stopped are read in batches (recvmmsg)
# and the sends they cause leave in batches (sendmmsg). Each one must still be handled on its
# own: forwarded requests reach the next hop once, in order, bytes intact; local replies go
# back to the socket each request came from; a keepalive and a garbage datagram in the middle
# of the burst disturb nothing. 100 datagrams: more than one batch of 32.
. "$(dirname "$0")/lib/common.sh"

free_port PORT
start_server "$EXAMPLES_DIR/stateless-proxy.lua" -l "udp:127.0.0.1:$PORT"
kill -STOP "$SERVER_PID"
out=$(python3 "$IT_DIR/lib/udp_burst.py" "$PORT" "$SERVER_PID" 100) || {
    kill -CONT "$SERVER_PID"
    fail "burst: $out"
}
log "$out"
server_alive
stop_server
pass
