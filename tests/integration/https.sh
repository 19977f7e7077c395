#!/usr/bin/env bash
# HTTPS both ways (certificates made here with openssl):
# - config.http.tls serves the API over TLS: curl --cacert gets /health, curl without the CA
#   refuses the certificate, plain HTTP to the port gets no answer;
# - http.request to https:// checks the server's certificate against config.tls.ca and its
#   name: a python HTTPS server with a CA-signed certificate answers (by name and by IP),
#   one with a self-signed certificate is refused with the reason unless verify = false,
#   and a server that never completes the handshake ends in the usual timeout.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/certs.sh"

make_certs "$T/certs"
free_port PORT
free_port HPORT
free_port GOOD
free_port ROGUE
free_port MUTE
cat >"$T/https.lua" <<LUA
config = {
  http = { listen = "127.0.0.1:$HPORT", tls = { cert = "certs/server.pem", key = "certs/server.key" } },
  tls  = { ca = "certs/ca.pem" },
}
function on_http(req)
  if req.path == "/fetch" then
    local r, err = http.request{ url = req.query.url, timeout = tonumber(req.query.timeout),
                                 verify = req.query.verify ~= "0" }
    if not r then return req:reply(502, err) end
    return req:reply(200, r.status .. " " .. r.body)
  end
  return req:reply(404, "no route")
end
LUA
start_server "$T/https.lua" -l "udp:127.0.0.1:$PORT"
wait_bound tcp "$HPORT" 5 || fail "HTTPS port not bound"

H="https://localhost:$HPORT"
code=$(curl -s -o "$T/body" -w '%{http_code}' --cacert "$T/certs/ca.pem" "$H/health")
[ "$code" = 200 ] && grep -q '"status":"ok"' "$T/body" || fail "GET /health over HTTPS: $code $(cat "$T/body")"
curl -s -o /dev/null "$H/health" && fail "curl accepted lunasip's certificate without the test CA"
[ $? -eq 60 ] || fail "curl without the CA should fail the certificate check (exit 60)"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "http://127.0.0.1:$HPORT/health")
[ "$code" = 000 ] || fail "plain HTTP on the HTTPS port answered $code"

python3 "$IT_DIR/lib/https_peer.py" "$GOOD" "$T/certs/peer.pem" "$T/certs/peer.key" 2>"$T/good_err.log" &
_PIDS+=("$!")
python3 "$IT_DIR/lib/https_peer.py" "$ROGUE" "$T/certs/rogue.pem" "$T/certs/rogue.key" 2>"$T/rogue_err.log" &
_PIDS+=("$!")
python3 -c 'import socket,sys,time; s=socket.socket(); s.bind(("127.0.0.1",int(sys.argv[1]))); s.listen(8); time.sleep(60)' \
    "$MUTE" &   # accepts (in the kernel) but never speaks TLS
_PIDS+=("$!")
wait_bound tcp "$GOOD" 5 && wait_bound tcp "$ROGUE" 5 && wait_bound tcp "$MUTE" 5 || fail "HTTPS peers did not bind"

fetch() {   # fetch QUERY: GET /fetch?QUERY through lunasip; sets code and body
    code=$(curl -s -o "$T/body" -w '%{http_code}' --max-time 10 --cacert "$T/certs/ca.pem" "$H/fetch?$1")
    body=$(cat "$T/body")
}
fetch "url=https://localhost:$GOOD/by-name"
[ "$code $body" = "200 200 hello /by-name" ] || fail "https:// by name: $code $body"
fetch "url=https://127.0.0.1:$GOOD/by-ip"
[ "$code $body" = "200 200 hello /by-ip" ] || fail "https:// by IP: $code $body"
fetch "url=https://localhost:$ROGUE/x"
[ "$code" = 502 ] && [[ $body == *"certificate verify failed"* ]] ||
    fail "a self-signed server certificate should be refused with the reason: $code $body"
fetch "verify=0&url=https://localhost:$ROGUE/lab"
[ "$code $body" = "200 200 hello /lab" ] || fail "verify = false: $code $body"
fetch "timeout=300&url=https://127.0.0.1:$MUTE/"
[ "$code" = 502 ] && [[ $body == *"timeout after 300 ms"* ]] || fail "a silent TLS server: $code $body"

code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$T/certs/ca.pem" "$H/health")
[ "$code" = 200 ] || fail "HTTPS after the failures: $code"
server_alive
stop_server
pass
