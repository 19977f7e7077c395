#!/usr/bin/env bash
# tm answers one digest challenge with the credentials given in opts.auth (Kamailio's uac_auth):
# lunasip A (scripts/tm_auth_client.lua) relays requests to, and sends MESSAGEs as a UAC to,
# lunasip B (scripts/auth.lua), which challenges every request without credentials (407).
# - tm.request{auth=}: the 407 is answered (CSeq + 1, Proxy-Authorization), B accepts carol: 200;
# - tm.relay(msg, {auth=}): a raw UAC's MESSAGE through A gets B's 200, credentials added by A;
# - a wrong password: B challenges again and that 407 goes to the caller (one answer only).
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/http.sh"

free_port B_PORT
start_server "$SCRIPT_DIR/auth.lua" -l "udp:127.0.0.1:$B_PORT"
B_LOG=$SERVER_LOG B_PID=$SERVER_PID

run_a() {  # run_a PASSWORD: (re)start A
    SERVER_LOG=$T/a_$1.log
    AUTH_UPSTREAM="sip:127.0.0.1:$B_PORT" AUTH_PW=$1 start_http "$SCRIPT_DIR/tm_auth_client.lua"
}

run_a plain-pw
expect_http 200 "POST /send" -X POST /send
[ "$HTTP_BODY" = '{"status":200,"user":"carol"}' ] && true ||
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if d=={"status":200,"user":"carol"} else 1)' "$HTTP_BODY" ||
    fail "tm.request with credentials: $HTTP_BODY"
out=$(sip_request MESSAGE "sip:bob@127.0.0.1:$PORT" | sip_send_raw udp "$PORT" --timeout 5)
[[ $(status_line "$out") == "SIP/2.0 200 "* ]] || fail "tm.relay with credentials: $(status_line "$out")"
[ "$(header_of "$(tr -d '\r' <<<"$out")" X-Auth)" = carol ] || fail "B did not accept carol through A: $out"
grep -c 'auth: accepted carol' "$B_LOG" | grep -qx 2 || fail "B did not see two authenticated requests"
grep -c 'auth: refused MESSAGE: no credentials' "$B_LOG" | grep -qx 2 || fail "B did not challenge both first"
server_alive
stop_server

run_a wrong-pw
expect_http 200 "POST /send (wrong password)" -X POST /send
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if d["status"]==407 else 1)' "$HTTP_BODY" ||
    fail "tm.request with a wrong password: $HTTP_BODY"
out=$(sip_request MESSAGE "sip:bob@127.0.0.1:$PORT" | sip_send_raw udp "$PORT" --timeout 5)
[[ $(status_line "$out") == "SIP/2.0 407 "* ]] || fail "tm.relay with a wrong password: $(status_line "$out")"
grep -c 'auth: refused MESSAGE: bad password' "$B_LOG" | grep -qx 2 || fail "B did not refuse both retries"
server_alive
stop_server

SERVER_LOG=$B_LOG SERVER_PID=$B_PID
server_alive
stop_server
pass
