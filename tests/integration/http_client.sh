#!/usr/bin/env bash
# http.request from on_http (to the server itself: everything is asynchronous), from a timer
# and from a spawned coroutine at start; errors come back as nil, err (connection refused,
# timeout, bad URL scheme raises).
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/http.sh"

free_port CLOSED   # reserved, nothing listens there
free_port PORT
free_port HTTP_PORT
export HTTP_LISTEN="127.0.0.1:$HTTP_PORT" FETCH_AT_START="http://127.0.0.1:$HTTP_PORT/version"
start_server "$SCRIPT_DIR/http_routes.lua" -l "udp:127.0.0.1:$PORT"
wait_bound tcp "$HTTP_PORT" 5 || fail "HTTP port not bound"

expect_http 200 "fetch /version" "/fetch?url=http://127.0.0.1:$HTTP_PORT/version"
[ "$HTTP_BODY" = "200 v1" ] || fail "fetch: $HTTP_BODY"
expect_http 200 "fetch with a POST body" "/fetch?method=POST&body=abc&url=http://127.0.0.1:$HTTP_PORT/echo"
[[ $HTTP_BODY == '200 '*'"body":"abc"'* ]] || fail "POST fetch: $HTTP_BODY"
expect_http 200 "fetch a 404" "/fetch?url=http://localhost:$HTTP_PORT/nothing"
[[ $HTTP_BODY == '404 '* ]] || fail "fetch 404: $HTTP_BODY"
expect_http 502 "fetch from a closed port" "/fetch?url=http://127.0.0.1:$CLOSED/"
[[ $HTTP_BODY == *"127.0.0.1:$CLOSED"* ]] || fail "no reason for the refused connection: $HTTP_BODY"
expect_http 502 "fetch that times out" "/fetch?timeout=200&url=http://127.0.0.1:$HTTP_PORT/slow%3Fms%3D1000"
[[ $HTTP_BODY == *timeout* ]] || fail "no timeout reason: $HTTP_BODY"
expect_http 500 "ftp is refused (Lua error)" "/fetch?url=ftp://127.0.0.1:$HTTP_PORT/"
assert_log "is not an http:// or https:// URL" "the bad URL error"
for i in $(seq 1 30); do grep -q 'spawn fetch' "$SERVER_LOG" && grep -q 'timer fetch' "$SERVER_LOG" && break; sleep 0.1; done
assert_log 'INFO \[lua\] timer fetch: 200' "http.request from a timer"
assert_log 'INFO \[lua\] spawn fetch: 200' "http.request from sip.spawn in on_start"
sleep 1.2   # the timed-out /slow route finishes
expect_http 200 "/health" /health
stop_server
pass
