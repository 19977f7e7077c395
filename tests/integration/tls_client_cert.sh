#!/usr/bin/env bash
# Client certificates required (config.tls.verify_client = true with ca; certificates made here
# with openssl): on the SIP TLS listener a client presenting a certificate signed by ca gets its
# OPTIONS answered; one without a certificate and one whose certificate ca did not sign (a
# self-signed one) are refused: closed without a SIP answer, logged once each and counted in
# lunasip_tls_handshake_errors_total. The same setting on config.http.tls makes HTTPS ask curl
# for one. verify_client without ca stops the start with a message that says so.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/certs.sh"

make_certs "$T/certs"
free_port PORT
free_port TPORT
free_port HPORT
cat >"$T/cc.lua" <<LUA
config = {
  tls  = { cert = "certs/server.pem", key = "certs/server.key", ca = "certs/ca.pem", verify_client = true },
  http = { listen = "127.0.0.1:$HPORT",
           tls = { cert = "certs/server.pem", key = "certs/server.key", ca = "certs/ca.pem", verify_client = true } },
}
function on_request(msg) msg:reply(200) end
LUA
start_server "$T/cc.lua" -l "udp:127.0.0.1:$PORT" -l "tls:127.0.0.1:$TPORT"

options() {   # options [SIP_RAW ARGS...]: an OPTIONS over TLS, what came back on stdout
    printf 'OPTIONS sip:127.0.0.1:%s SIP/2.0\r\nVia: SIP/2.0/TLS @LADDR@:@LPORT@;branch=z9hG4bK-c%s\r\nFrom: <sip:a@test>;tag=1\r\nTo: <sip:127.0.0.1>\r\nCall-ID: cc-%s\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n' \
        "$TPORT" "$RANDOM" "$RANDOM" |
        python3 "$SIP_RAW" send --proto tls --port "$TPORT" --ca "$T/certs/ca.pem" --sni localhost --timeout 3 "$@"
}
failures() { grep -c "tls handshake with 127.0.0.1:[0-9]* failed" "$SERVER_LOG"; }

out=$(options --cert "$T/certs/peer.pem" --key "$T/certs/peer.key")
[ "$(status_line "$out")" = "SIP/2.0 200 OK" ] || fail "a client with a certificate signed by ca: $out"
[ "$(failures)" -eq 0 ] || fail "a good client counted as a failure"

out=$(options)
grep -q '^SIP/2.0' <<<"$out" && fail "a client without a certificate was served: $out"
out=$(options --cert "$T/certs/rogue.pem" --key "$T/certs/rogue.key")
grep -q '^SIP/2.0' <<<"$out" && fail "a client whose certificate ca did not sign was served: $out"
for ((i = 0; i < 30; i++)); do [ "$(failures)" -ge 2 ] && break; sleep 0.1; done
grep -q "tls handshake with 127.0.0.1:[0-9]* failed: .*peer did not return a certificate" "$SERVER_LOG" ||
    fail "the client without a certificate not logged: $(grep 'tls handshake' "$SERVER_LOG")"
grep -q "tls handshake with 127.0.0.1:[0-9]* failed: .*certificate verify failed" "$SERVER_LOG" ||
    fail "the client with a certificate ca did not sign not logged: $(grep 'tls handshake' "$SERVER_LOG")"
sleep 0.3
[ "$(failures)" -eq 2 ] || fail "each refusal should be logged once: $(grep 'tls handshake' "$SERVER_LOG")"
c=(--cacert "$T/certs/ca.pem" --cert "$T/certs/peer.pem" --key "$T/certs/peer.key")
m=$(curl -s "${c[@]}" "https://localhost:$HPORT/metrics" | grep '^lunasip_tls_handshake_errors_total ')
[ "$m" = "lunasip_tls_handshake_errors_total 2" ] || fail "refusals counted: '$m', expected 2"

# HTTPS with verify_client: curl without a certificate is refused, with one it is served
curl -s -o /dev/null --cacert "$T/certs/ca.pem" "https://localhost:$HPORT/health" &&
    fail "HTTPS served a client without a certificate"
code=$(curl -s -o /dev/null -w '%{http_code}' "${c[@]}" "https://localhost:$HPORT/health")
[ "$code" = 200 ] || fail "HTTPS with a client certificate: $code"

out=$(options --cert "$T/certs/peer.pem" --key "$T/certs/peer.key")
[ "$(status_line "$out")" = "SIP/2.0 200 OK" ] || fail "TLS service after the refusals: $out"
server_alive
stop_server

cat >"$T/noca.lua" <<LUA
config = { tls = { cert = "certs/server.pem", key = "certs/server.key", verify_client = true } }
LUA
out=$("$LUNASIP_BIN" -c -f "$T/noca.lua" 2>&1) && fail "verify_client without ca was accepted: $out"
grep -q "config.tls.verify_client needs ca" <<<"$out" || fail "verify_client without ca: $out"
pass
