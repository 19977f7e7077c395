#!/usr/bin/env bash
# HTTPS (config.http.tls) handshakes that fail: plain HTTP on the HTTPS port, a client offering
# only TLS 1.1 (openssl s_client), bytes that are not TLS, a client that connects and closes, and
# curl refusing our certificate (no CA). Each connection is closed without an HTTP answer, logged
# once ("https: tls handshake with 127.0.0.1:PORT failed: <reason>") and counted in
# lunasip_tls_handshake_errors_total, and HTTPS goes on serving.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/certs.sh"
command -v openssl >/dev/null || fail "openssl not installed"

make_certs "$T/certs"
free_port PORT
free_port HPORT
cat >"$T/https.lua" <<LUA
config = { http = { listen = "127.0.0.1:$HPORT", tls = { cert = "certs/server.pem", key = "certs/server.key" } } }
LUA
start_server "$T/https.lua" -l "udp:127.0.0.1:$PORT"
wait_bound tcp "$HPORT" 5 || fail "HTTPS port not bound"
H="https://localhost:$HPORT"

raw() {   # raw BYTES: send them to the HTTPS port; prints what came back, then CLOSED or OPEN
    python3 - "$HPORT" "$1" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
if sys.argv[2]:
    s.sendall(sys.argv[2].encode().decode("unicode_escape").encode("latin-1"))
else:
    s.shutdown(socket.SHUT_WR)   # connects, says nothing, closes its side
got, t0 = b"", time.monotonic()
try:
    while True:
        c = s.recv(4096)
        if not c:
            print(got.decode("latin-1") + "CLOSED")
            break
        got += c
except socket.timeout:
    print(got.decode("latin-1") + "OPEN")
except ConnectionResetError:   # closed with our bytes unread: a reset
    print(got.decode("latin-1") + "CLOSED")
PY
}
closed() { [[ $1 == *CLOSED && $1 != *HTTP/* ]]; }   # closed, no HTTP answer (a TLS alert may come)
failures() { grep -c 'https: tls handshake with 127\.0\.0\.1:[0-9]* failed: ' "$SERVER_LOG"; }
metric() { curl -s --cacert "$T/certs/ca.pem" "$H/metrics" | grep '^lunasip_tls_handshake_errors_total ' | cut -d' ' -f2; }
wait_failures() {   # wait_failures N: until N failures are logged (logging may trail the close)
    for ((i = 0; i < 60; i++)); do [ "$(failures)" -ge "$1" ] && return; sleep 0.1; done
}

code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$T/certs/ca.pem" "$H/health")
[ "$code" = 200 ] || fail "GET /health over HTTPS: $code"
[ "$(failures)" -eq 0 ] && [ "$(metric)" = 0 ] || fail "a good HTTPS request counted as a failure"

out=$(raw 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n')
closed "$out" || fail "plain HTTP on the HTTPS port: expected the connection closed, got: $out"
wait_failures 1
grep -q "https: tls handshake with 127.0.0.1:[0-9]* failed: .*http request" "$SERVER_LOG" ||
    fail "plain HTTP on the HTTPS port not logged as such: $(grep https: "$SERVER_LOG")"

echo | openssl s_client -connect "127.0.0.1:$HPORT" -tls1_1 -cipher 'DEFAULT@SECLEVEL=0' >"$T/s_client.out" 2>&1 &&
    fail "a TLS 1.1 client got a session: $(cat "$T/s_client.out")"
wait_failures 2
grep -q "https: tls handshake with 127.0.0.1:[0-9]* failed: .*unsupported protocol" "$SERVER_LOG" ||
    fail "a TLS 1.1 client not logged as such: $(grep https: "$SERVER_LOG")"

out=$(raw '\x16\x03\x01\xff\xff not a TLS record at all')
closed "$out" || fail "garbage on the HTTPS port: expected the connection closed, got: $out"
wait_failures 3
out=$(raw '')
closed "$out" || fail "a client that says nothing: expected the connection closed, got: $out"
wait_failures 4
curl -s -o /dev/null "$H/health" && fail "curl accepted lunasip's certificate without the test CA"
wait_failures 5

sleep 0.3   # anything logged twice would show by now
[ "$(failures)" -eq 5 ] || fail "each failure should be logged exactly once: $(grep 'https: tls' "$SERVER_LOG")"
[ "$(metric)" = 5 ] || fail "lunasip_tls_handshake_errors_total is '$(metric)', expected 5"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$T/certs/ca.pem" "$H/health")
[ "$code" = 200 ] || fail "HTTPS after the failures: $code"
server_alive
stop_server
pass
