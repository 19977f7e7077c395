#!/usr/bin/env bash
# sips: URIs (RFC 3261 §16.6 step 4, §26.2; RFC 5630), with tm loaded and real TLS peers (python ssl):
# - a call from a TLS phone to sips:peer@localhost:P (a TLS UAS): the INVITE reaches the peer
#   over TLS with our TLS Via and Record-Route <sips:TLS listener;lr>; ACK and BYE follow that
#   route back through us to the peer's sips: Contact;
# - a MESSAGE from UDP to a sips: R-URI (stateless msg:forward): Record-Route names the TLS
#   listener as sips: on top of the UDP listener (sip:, it is no TLS hop);
# - a sips: R-URI whose next hop (msg.du) is plain UDP (tm.relay) or TCP (msg:forward) is never
#   sent there: answered 480 with Warning: 380 ... "SIPS Not Allowed" (RFC 5630 §5.1.1), and the
#   Lua call returns nil and a reason that says so.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/certs.sh"
need_tm

make_certs "$T/certs"
free_port PORT
free_port TPORT
free_port PEER
free_port SINK
cat >"$T/sips.lua" <<LUA
config = {
  tls   = { cert = "certs/server.pem", key = "certs/server.key", ca = "certs/ca.pem" },
  units = { tm = {} },
}
function on_request(msg)
  if msg:in_dialog() then
    msg:loose_route()
    return tm.relay(msg)
  end
  if msg.method == "ACK" then return end
  msg:record_route()
  if msg:header("X-Du") then msg.du = msg:header("X-Du") end
  local ok, err
  if msg:header("X-Stateless") then ok, err = msg:forward() else ok, err = tm.relay(msg) end
  if not ok then sip.log("warn", "not relayed: ", err) end
end
LUA
start_server "$T/sips.lua" -l "udp:127.0.0.1:$PORT" -l "tcp:127.0.0.1:$PORT" -l "tls:127.0.0.1:$TPORT" -v

start_peer() {   # start_peer COUNT: the TLS UAS on $PEER, output in $T/peer.out
    python3 "$IT_DIR/lib/tls_peer.py" --port "$PEER" --cert "$T/certs/peer.pem" --key "$T/certs/peer.key" \
        --contact "sips:peer@127.0.0.1:$PEER" --count "$1" --timeout 15 >"$T/peer.out" 2>"$T/peer_err.log" &
    peer_pid=$!
    _PIDS+=("$peer_pid")
    wait_bound tcp "$PEER" 5 || fail "TLS peer did not bind"
}
wait_peer() {
    _wait_pid "$peer_pid" 10 || fail "TLS peer still waiting: $(cat "$T/peer.out")"
    _forget_pid "$peer_pid"
    [ "$WAIT_RC" -eq 0 ] || fail "TLS peer got fewer requests than expected: $(cat "$T/peer.out")"
    wait_free tcp "$PEER"
}
wait_free() {   # the peer's port closed (the next peer binds it again)
    for ((i = 0; i < 50; i++)); do [ -z "$(ss -Hlnt "sport = :$2")" ] && return; sleep 0.1; done
}
peer_msg() {   # peer_msg METHOD: the first request of METHOD the peer received
    awk -v m="$1" '/^CONN/{next} $0 ~ "^" m " " {p=1} p{print} p && /^----$/{exit}' "$T/peer.out"
}

# --- a sips call, TLS phone -> lunasip -> TLS peer, in-dialog requests along the sips route
start_peer 3
python3 "$IT_DIR/lib/tls_call.py" --port "$TPORT" --ca "$T/certs/ca.pem" --ruri "sips:peer@localhost:$PEER" \
    --want-rr "<sips:127.0.0.1:$TPORT;lr>" >"$T/call.out" 2>&1 || fail "sips call: $(cat "$T/call.out")"
wait_peer
inv=$(peer_msg INVITE)
[[ $(vias "$inv" | sed -n 1p) == "SIP/2.0/TLS 127.0.0.1:$TPORT;branch=z9hG4bK"* ]] ||
    fail "top Via of the sips INVITE at the peer: $(vias "$inv" | sed -n 1p)"
rr=$(grep -i '^Record-Route:' <<<"$inv" | tr -d '\r')
[ "$rr" = "Record-Route: <sips:127.0.0.1:$TPORT;lr>" ] || fail "Record-Route of the sips INVITE: $rr"
for m in ACK BYE; do
    [ "$(peer_msg $m | head -1 | tr -d '\r')" = "$m sips:peer@127.0.0.1:$PEER SIP/2.0" ] ||
        fail "$m did not reach the peer's sips Contact over TLS: $(cat "$T/peer.out")"
done

# --- from UDP to a sips R-URI: double Record-Route, sips: for the TLS side only
start_peer 1
out=$(printf 'MESSAGE sips:bob@localhost:%s SIP/2.0\r\nVia: SIP/2.0/UDP @LADDR@:@LPORT@;rport;branch=z9hG4bK-s%s\r\nFrom: <sip:a@test>;tag=1\r\nTo: <sips:bob@localhost>\r\nCall-ID: sips-udp-%s\r\nCSeq: 1 MESSAGE\r\nX-Stateless: 1\r\nMax-Forwards: 70\r\nContent-Length: 2\r\n\r\nhi' \
    "$PEER" "$RANDOM" "$RANDOM" | python3 "$SIP_RAW" send --proto udp --port "$PORT" --timeout 5)
[ "$(status_line "$out")" = "SIP/2.0 200 OK" ] || fail "MESSAGE from UDP to sips: the peer's 200 did not come back: $out"
wait_peer
rr=$(peer_msg MESSAGE | grep -i '^Record-Route:' | tr -d '\r')
[ "$(sed -n 1p <<<"$rr")" = "Record-Route: <sips:127.0.0.1:$TPORT;lr>" ] &&
    [ "$(sed -n 2p <<<"$rr")" = "Record-Route: <sip:127.0.0.1:$PORT;lr>" ] ||
    fail "Record-Route from UDP to sips: should be the TLS listener (sips:) then the UDP one: $rr"

# --- a sips R-URI with a plain next hop: 480 + Warning 380, nothing sent there
python3 "$SIP_RAW" listen --proto udp --port "$SINK" --timeout 4 >"$T/sink.out" 2>&1 &
sink_pid=$!
_PIDS+=("$sink_pid")
wait_bound udp "$SINK" 5 || fail "UDP sink did not bind"
n=0
for hop in "sip:127.0.0.1:$SINK|" "sip:127.0.0.1:$SINK;transport=tcp|X-Stateless: 1\r\n"; do
    n=$((n + 1))
    out=$(printf "MESSAGE sips:bob@localhost:%s SIP/2.0\r\nVia: SIP/2.0/TLS @LADDR@:@LPORT@;rport;branch=z9hG4bK-d%s\r\nFrom: <sips:a@test>;tag=1\r\nTo: <sips:bob@localhost>\r\nCall-ID: sips-down-%s\r\nCSeq: 1 MESSAGE\r\nX-Du: %s\r\n${hop#*|}Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n" \
        "$PEER" "$n$RANDOM" "$n$RANDOM" "${hop%%|*}" |
        python3 "$SIP_RAW" send --proto tls --port "$TPORT" --ca "$T/certs/ca.pem" --sni localhost --timeout 5)
    [ "$(status_line "$out")" = "SIP/2.0 480 Temporarily Unavailable" ] ||
        fail "sips R-URI with next hop ${hop%%|*}: expected 480, got: $out"
    w=$(header_of "$out" Warning | tr -d '\r')
    [ "$w" = "380 127.0.0.1:$TPORT \"SIPS Not Allowed\"" ] || fail "480 for a sips downgrade: Warning is '$w'"
done
assert_log "not relayed: a SIPS request goes over TLS only, not udp \(RFC 5630\); answered 480" "the UDP refusal (tm.relay)"
assert_log "not relayed: a SIPS request goes over TLS only, not tcp \(RFC 5630\); answered 480" "the TCP refusal (msg:forward)"
_wait_pid "$sink_pid" 6
_forget_pid "$sink_pid"
[ "$WAIT_RC" -eq 1 ] && ! grep -q MESSAGE "$T/sink.out" || fail "a sips request went over UDP: $(cat "$T/sink.out")"

server_alive
stop_server
pass
