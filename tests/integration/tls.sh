#!/usr/bin/env bash
# SIP over TLS (certificates made here with openssl, paths in config.tls relative to the script):
# - a TLS client (python ssl, checking lunasip's certificate against the test CA) gets its OPTIONS
#   answered over TLS, msg.proto is "tls";
# - a request from UDP to sip:localhost:P;transport=tls, then to sips:localhost:P, reaches a TLS
#   peer over one connection that asked for SNI "localhost" and checked the peer's certificate,
#   with our TLS Via on top and Record-Route naming both the UDP and the TLS listener; the peer's
#   200 comes back to the UDP client;
# - a call from a TLS phone (python ssl) to a UDP phone (sipp): INVITE, 200, ACK, BYE through
#   lunasip, record-routed on both transports;
# - plain text on the TLS port, a client with an expired certificate, and a peer whose certificate
#   no CA vouches for: each connection is closed, logged once and counted
#   (lunasip_tls_handshake_errors_total), and TLS service goes on.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/certs.sh"

make_certs "$T/certs"
free_port PORT
free_port TPORT
free_port HPORT
free_port PEER
free_port ROGUE
cat >"$T/tls.lua" <<LUA
config = {
  tls  = { cert = "certs/server.pem", key = "certs/server.key", ca = "certs/ca.pem", verify = true },
  http = { listen = "127.0.0.1:$HPORT" },
}
function on_request(msg)
  if msg:in_dialog() then
    msg:loose_route()
    return msg:forward()
  end
  if msg.method == "ACK" then return end
  if sip.is_myself(msg.ruri) then
    return msg:reply(200, nil, { ["X-Proto"] = msg.proto })
  end
  msg:record_route()
  local ok, err = msg:forward()
  if not ok then
    sip.log("warn", "cannot forward: ", err)
    msg:reply(502)
  end
end
LUA
cd "$T/certs" || fail "no cert dir"   # the script's folder, not the cwd, anchors its paths
start_server "$T/tls.lua" -l "udp:127.0.0.1:$PORT" -l "tls:127.0.0.1:$TPORT" -v
cd "$T" || fail "no temp dir"

tls_options() {   # tls_options [SIP_RAW ARGS...]: an OPTIONS to us over TLS, replies on stdout
    printf 'OPTIONS sip:127.0.0.1:%s SIP/2.0\r\nVia: SIP/2.0/TLS @LADDR@:@LPORT@;branch=z9hG4bK-t%s\r\nFrom: <sip:a@test>;tag=1\r\nTo: <sip:127.0.0.1>\r\nCall-ID: tls-%s\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n' \
        "$TPORT" "$RANDOM" "$RANDOM" | python3 "$SIP_RAW" send --proto tls --port "$TPORT" "$@"
}
out=$(tls_options --ca "$T/certs/ca.pem" --sni localhost)
[ "$(status_line "$out")" = "SIP/2.0 200 OK" ] || fail "OPTIONS over TLS: $out"
x=$(header_of "$out" X-Proto | tr -d "\r"); [ "$x" = tls ] || fail "msg.proto over TLS is '$x', not tls"

# --- out over TLS: SNI, certificate check, connection reuse, Via and double Record-Route
python3 "$IT_DIR/lib/tls_peer.py" --port "$PEER" --cert "$T/certs/peer.pem" --key "$T/certs/peer.key" \
    --count 2 --timeout 15 >"$T/peer.out" 2>"$T/peer_err.log" &
peer_pid=$!
_PIDS+=("$peer_pid")
wait_bound tcp "$PEER" 5 || fail "TLS peer did not bind"
n=0
for ruri in "sip:bob@localhost:$PEER;transport=tls" "sips:bob@localhost:$PEER"; do
    n=$((n + 1))
    out=$(printf 'MESSAGE %s SIP/2.0\r\nVia: SIP/2.0/UDP @LADDR@:@LPORT@;rport;branch=z9hG4bK-m%s\r\nFrom: <sip:a@test>;tag=1\r\nTo: <sip:bob@localhost>\r\nCall-ID: tls-out-%s\r\nCSeq: 1 MESSAGE\r\nMax-Forwards: 70\r\nContent-Length: 2\r\n\r\nhi' \
        "$ruri" "$n$RANDOM" "$n$RANDOM" | python3 "$SIP_RAW" send --proto udp --port "$PORT" --timeout 5)
    [ "$(status_line "$out")" = "SIP/2.0 200 OK" ] || fail "MESSAGE to $ruri: the peer's 200 did not come back: $out"
done
_wait_pid "$peer_pid" 10 || fail "TLS peer still waiting"
_forget_pid "$peer_pid"
[ "$WAIT_RC" -eq 0 ] || fail "TLS peer got fewer than 2 requests"
[ "$(grep -c '^CONN 1 SNI localhost$' "$T/peer.out")" -eq 2 ] ||
    fail "both requests should come on one connection that asked for SNI localhost: $(grep ^CONN "$T/peer.out")"
first=$(awk '/^CONN/{n++; next} n==1' "$T/peer.out" | sed '/^----$/q')
top=$(vias "$first" | sed -n 1p)
[[ $top == "SIP/2.0/TLS 127.0.0.1:$TPORT;branch=z9hG4bK"* ]] || fail "top Via at the TLS peer: $top"
rr=$(grep -i '^Record-Route:' <<<"$first" | tr -d '\r')
[ "$(sed -n 1p <<<"$rr")" = "Record-Route: <sip:127.0.0.1:$TPORT;transport=tls;lr>" ] &&
    [ "$(sed -n 2p <<<"$rr")" = "Record-Route: <sip:127.0.0.1:$PORT;lr>" ] ||
    fail "Record-Route should name the TLS listener then the UDP one: $rr"

# --- a call from a TLS phone (python) to a UDP phone (sipp), record-routed on both sides
free_port UAS_PORT
start_uas "$SIPP_DIR/uas_call_rr.xml" "$UAS_PORT"
python3 "$IT_DIR/lib/tls_call.py" --port "$TPORT" --ca "$T/certs/ca.pem" --ruri "sip:uas@127.0.0.1:$UAS_PORT" \
    --want-rr "<sip:127.0.0.1:$PORT;lr>,<sip:127.0.0.1:$TPORT;transport=tls;lr>" >"$T/call.out" 2>&1 ||
    fail "call over TLS: $(cat "$T/call.out")"
wait_uas || fail "the UDP phone's side of the TLS call failed (sipp exit $?)"

# --- failures: each closed, logged once, counted
before=$(grep -c 'tls handshake with\|tls connect to' "$SERVER_LOG")
out=$(printf 'OPTIONS sip:127.0.0.1 SIP/2.0\r\n\r\n' | python3 "$SIP_RAW" send --proto tcp --port "$TPORT" --until-close --timeout 5)
grep -q '^CLOSED' <<<"$out" || fail "plain text on the TLS port: connection not closed: $out"
grep -q '^SIP/2.0' <<<"$out" && fail "plain text on the TLS port got a SIP answer: $out"
out=$(tls_options --ca "$T/certs/ca.pem" --cert "$T/certs/expired.pem" --key "$T/certs/expired.key")
grep -q '^SIP/2.0 200' <<<"$out" && fail "a client with an expired certificate was served: $out"
python3 "$IT_DIR/lib/tls_peer.py" --port "$ROGUE" --cert "$T/certs/rogue.pem" --key "$T/certs/rogue.key" \
    --count 1 --timeout 6 >"$T/rogue.out" 2>"$T/rogue_err.log" &
_PIDS+=("$!")
wait_bound tcp "$ROGUE" 5 || fail "rogue TLS peer did not bind"
out=$(printf 'MESSAGE sip:bob@localhost:%s;transport=tls SIP/2.0\r\nVia: SIP/2.0/UDP @LADDR@:@LPORT@;rport;branch=z9hG4bK-r%s\r\nFrom: <sip:a@test>;tag=1\r\nTo: <sip:bob@localhost>\r\nCall-ID: tls-rogue\r\nCSeq: 1 MESSAGE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n' \
    "$ROGUE" "$RANDOM" | python3 "$SIP_RAW" send --proto udp --port "$PORT" --timeout 2)
grep -q '^SIP/2.0 200' <<<"$out" && fail "a peer with an unverifiable certificate got the request: $out"
grep -q '^CONN' "$T/rogue.out" && fail "the rogue peer received a request"
for ((i = 0; i < 30; i++)); do
    [ "$(grep -c 'tls handshake with\|tls connect to' "$SERVER_LOG")" -ge $((before + 3)) ] && break
    sleep 0.1
done
grep -q "tls handshake with 127.0.0.1:[0-9]* failed: .*\(wrong version\|http request\|record\)" "$SERVER_LOG" ||
    fail "plain text on the TLS port not logged as a bad handshake"
grep -q "tls handshake with 127.0.0.1:[0-9]* failed: .*certificate: certificate has expired" "$SERVER_LOG" ||
    fail "the expired client certificate not logged"
grep -q "tls connect to 127.0.0.1:$ROGUE failed: .*certificate verify failed" "$SERVER_LOG" ||
    fail "the peer's unverifiable certificate not logged"
[ "$(grep -c 'tls handshake with\|tls connect to' "$SERVER_LOG")" -eq $((before + 3)) ] ||
    fail "each failure should be logged exactly once: $(grep 'tls handshake with\|tls connect to' "$SERVER_LOG")"
m=$(curl -s "http://127.0.0.1:$HPORT/metrics" | grep '^lunasip_tls_handshake_errors_total ')
[ "$m" = "lunasip_tls_handshake_errors_total 3" ] || fail "handshake failures counted: '$m', expected 3"

out=$(tls_options --ca "$T/certs/ca.pem" --sni localhost)
[ "$(status_line "$out")" = "SIP/2.0 200 OK" ] || fail "TLS service after the failures: $out"
server_alive
stop_server
pass
