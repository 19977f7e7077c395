#!/usr/bin/env bash
# Max-Forwards through examples/stateless-proxy.lua (raw requests):
# Max-Forwards: 0 -> 483 from the proxy; 5 -> forwarded with 4; missing ->
# forwarded with 70. The forwarded copies go to a raw UDP listener that
# answers 200, which must come back to the sender through the proxy.
. "$(dirname "$0")/lib/common.sh"

free_port PORT
free_port DST
start_server "$EXAMPLES_DIR/stateless-proxy.lua" -l "udp:127.0.0.1:$PORT" -l "tcp:127.0.0.1:$PORT" -v

for proto in udp tcp; do
    sip_request MESSAGE "sip:bob@127.0.0.1:$DST" "Max-Forwards: 0" |
        expect_status "$proto" "$PORT" 483 "Max-Forwards: 0"
done

# forward_via_listener LABEL [HEADER...]: send a MESSAGE through the proxy to the
# listener; sets FWD to what the listener received.
forward_via_listener() {
    local label=$1 out
    shift
    python3 "$SIP_RAW" listen --port "$DST" --timeout 5 --reply 200 >"$T/listener_$label.log" &
    local lpid=$!
    _PIDS+=("$lpid")
    wait_bound udp "$DST" 5 || fail "listener did not bind"
    out=$(sip_request MESSAGE "sip:bob@127.0.0.1:$DST" "$@" | sip_send_raw udp "$PORT" --timeout 3)
    _wait_pid "$lpid" 5 || fail "$label: listener still waiting"
    [ "$WAIT_RC" -eq 0 ] || fail "$label: the proxy forwarded nothing to 127.0.0.1:$DST"
    FWD=$(sed '/^----$/,$d' "$T/listener_$label.log" | tr -d '\r')
    [[ $(status_line "$out") == "SIP/2.0 200 "* ]] ||
        fail "$label: the listener's 200 did not come back through the proxy: $out"
}

forward_via_listener mf5 "Max-Forwards: 5"
[ "$(header_of "$FWD" Max-Forwards)" = 4 ] || fail "Max-Forwards: 5 forwarded as '$(header_of "$FWD" Max-Forwards)', expected 4"
[[ $(vias "$FWD" | sed -n 1p) == "SIP/2.0/UDP 127.0.0.1:$PORT;"*branch=z9hG4bK* ]] ||
    fail "forwarded request lacks the proxy's Via: $(vias "$FWD")"

forward_via_listener nomf -Max-Forwards
[ "$(header_of "$FWD" Max-Forwards)" = 70 ] || fail "missing Max-Forwards forwarded as '$(header_of "$FWD" Max-Forwards)', expected 70"

server_alive
stop_server
pass
