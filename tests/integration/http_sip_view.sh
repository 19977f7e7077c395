#!/usr/bin/env bash
# The SIP-shaped view of an HTTP request is built only when a route reads a SIP field: a route
# that reads method, path, query, body, src_ip and src_port never builds it (the debug log
# line "SIP view of ... built" never appears) and still sees the right values; a msg method
# or field builds it once, and every read sees the same made-up Call-ID; a route that first
# reads it after its reply, when the client has gone, still gets it (R-URI from the listener).
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/http.sh"

start_http "$SCRIPT_DIR/http_routes.lua" -v

for i in 1 2 3; do
    expect_http 200 "plain route" -X POST --data-binary "b$i" "/plain?k=v$i"
    [[ $HTTP_BODY =~ ^"POST /plain v$i b$i 127.0.0.1 "[0-9]+$ ]] || fail "plain route answered: $HTTP_BODY"
done
assert_no_log "SIP view of" "a SIP view built for a route that read no SIP field"

expect_http 200 "view route" /view
body=$HTTP_BODY
a=$(json_get "$body" a)
[ -n "$a" ] || fail "req.call_id is empty: $body"
[ "$(json_get "$body" b)" = "$a" ] && [ "$(json_get "$body" h)" = "$a" ] ||
    fail "reads of the view disagree: $body"
[ "$(json_get "$body" in_dialog)" = False ] || fail "req:in_dialog() is not false: $body"
[ "$(json_get "$body" ruri)" = "sip:127.0.0.1:$HTTP_PORT" ] || fail "R-URI is not the server: $body"
n=$(grep -c "SIP view of GET /view built" "$SERVER_LOG")
[ "$n" -eq 1 ] || fail "the view of GET /view was built $n times, expected once"

expect_http 200 "late route" /late
for ((i = 0; i < 30; i++)); do
    grep -q "late view: " "$SERVER_LOG" && break
    sleep 0.1
done
assert_log "late view: [0-9a-f]{16}-[0-9a-f]+@127\.0\.0\.1 sip:127\.0\.0\.1:$HTTP_PORT 127\.0\.0\.1" \
    "the view read after the reply"
assert_no_log "cannot build the SIP view" "a view that could not be built"

server_alive
stop_server
pass
