#!/usr/bin/env bash
# SIP over WebSocket (RFC 7118) on ws: and wss: listeners, driven by lib/ws_check.py: the
# handshake (Sec-WebSocket-Protocol: sip, Origin policy, version), text, binary and fragmented
# messages, ping/pong, the close handshake, bad frames (oversize, bad opcode, unmasked,
# fragment misuse, reserved bits) each closing only their connection, the idle ping, and a
# request from a UDP phone to a client registered over WS reaching it on that connection
# (Record-Route on both transports) with its reply coming back; a request straight to the
# client's Contact (sip:alice@abc.invalid;transport=ws, as in-dialog requests are) too.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/certs.sh"
need_tm
[ -f "$LUNASIP_UNITS/registrar.so" ] || skip "the registrar unit is not built"

make_certs "$T/certs"
free_port PORT
free_port WS
free_port WSS
cat >"$T/ws.lua" <<LUA
config = {
  tls       = { cert = "certs/server.pem", key = "certs/server.key" },
  websocket = { max_frame = 4096, origins = { "https://good.test" } },
  tcp       = { idle_timeout = 1 },
  units     = { tm = {}, registrar = {} },
}
function on_request(msg)
  if msg.method == "REGISTER" then
    return registrar.save(msg)
  end
  if msg.method == "OPTIONS" and sip.is_myself(msg.ruri) then
    return msg:reply(200, nil, { ["X-Proto"] = msg.proto })
  end
  if msg:in_dialog() then
    msg:loose_route()
    return tm.relay(msg)
  end
  if msg.method == "ACK" then return end
  msg:record_route()
  if msg:header("X-Direct") then   -- to the R-URI as it is (a WS client's xxx.invalid Contact)
    return msg:forward()
  end
  if not registrar.lookup(msg) then
    return msg:reply(404)
  end
  local ok, err = tm.relay(msg)
  if not ok then sip.log("warn", "relay: ", err) end
end
LUA
start_server "$T/ws.lua" -l "udp:127.0.0.1:$PORT" -l "ws:127.0.0.1:$WS" -l "wss:127.0.0.1:$WSS" -v

python3 "$IT_DIR/lib/ws_check.py" --proto ws --port "$WS" --udp-port "$PORT" >"$T/ws.out" 2>&1 ||
    { cat "$T/ws.out" >&2; fail "ws checks"; }
python3 "$IT_DIR/lib/ws_check.py" --proto wss --port "$WSS" --udp-port "$PORT" --ca "$T/certs/ca.pem" \
    >"$T/wss.out" 2>&1 || { cat "$T/wss.out" >&2; fail "wss checks"; }
cat "$T/ws.out" "$T/wss.out" >&2

# a call in each direction between a WS client and a UDP phone (sipp), record-routed on both sides
for proto in ws wss; do
    wport=$WS
    [ $proto = wss ] && wport=$WSS
    free_port UAS_PORT
    start_uas "$SIPP_DIR/uas_call_rr.xml" "$UAS_PORT"
    python3 "$IT_DIR/lib/ws_check.py" --proto $proto --port "$wport" --udp-port "$PORT" --ca "$T/certs/ca.pem" \
        --call-out "$UAS_PORT" >"$T/call_out_$proto.out" 2>&1 ||
        { cat "$T/call_out_$proto.out" >&2; fail "$proto: call from the WS client to the UDP phone"; }
    wait_uas || fail "$proto: the UDP phone's call failed (sipp exit $?)"
    mv "$T/uas_msg.log" "$T/uas_msg_$proto.log"
    python3 "$IT_DIR/lib/ws_check.py" --proto $proto --port "$wport" --udp-port "$PORT" --ca "$T/certs/ca.pem" \
        --call-in >"$T/call_in_$proto.out" 2>&1 &
    callee=$!
    _PIDS+=("$callee")
    for ((i = 0; i < 50; i++)); do grep -q READY "$T/call_in_$proto.out" && break; sleep 0.1; done
    run_uac "$SIPP_DIR/uac_call_rr.xml" "127.0.0.1:$PORT" -s alice -key tp udp ||
        { cat "$T/call_in_$proto.out" >&2; fail "$proto: call from the UDP phone to the WS client (sipp exit $?)"; }
    _wait_pid "$callee" 10 || fail "$proto: the WS callee is still waiting"
    _forget_pid "$callee"
    [ "$WAIT_RC" -eq 0 ] || { cat "$T/call_in_$proto.out" >&2; fail "$proto: the WS callee failed"; }
    cat "$T/call_out_$proto.out" "$T/call_in_$proto.out" >&2
done
grep -q "ws connection [0-9]* with 127.0.0.1:[0-9]*: unmasked client frame (close 1002), closing" "$SERVER_LOG" ||
    fail "a bad frame is not logged"
server_alive
stop_server
pass
