#!/usr/bin/env bash
# An on_http route that raises an error gets 500 (logged with a traceback, counted), one that
# ends without replying gets 500 too, and the server goes on serving. Without on_http: 404 JSON.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/http.sh"

start_http "$SCRIPT_DIR/http_routes.lua"
for i in 1 2 3; do
    expect_http 500 "route error #$i" /error
    [[ $HTTP_BODY == *'"error"'* ]] || fail "500 body is not a JSON error: $HTTP_BODY"
done
expect_http 500 "route without a reply" /noreply
assert_log 'ERROR \[lua\].*http route failure on purpose' "the route error"
assert_log 'stack traceback' "a traceback"
expect_http 200 "/health after errors" /health
expect_http 200 "a route after errors" -X POST /test
hcurl /metrics; m=$HTTP_BODY
grep -q '^lunasip_route_errors_total 3$' <<<"$m" || fail "route errors not counted: $(grep route_errors <<<"$m")"
server_alive
stop_server

# a script without on_http
cat >"$T/no_http.lua" <<'LUA'
config = { http = { listen = os.getenv("HTTP_LISTEN") } }
function on_request(msg) msg:reply(200) end
LUA
start_http "$T/no_http.lua"
expect_http 404 "no on_http" /anything
[[ $HTTP_BODY == *'"error"'* ]] || fail "404 body is not a JSON error: $HTTP_BODY"
expect_http 200 "/health without on_http" /health
stop_server
pass
