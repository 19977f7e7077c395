#!/usr/bin/env bash
# A route whose coroutine finished leaves its Lua thread for the next route: 20 requests one
# after the other (some waiting in sip.sleep first) run on one thread, not 20. A route that
# failed gives its thread up: the next request runs on a new one, and routes keep working.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/http.sh"

start_http "$SCRIPT_DIR/http_routes.lua"

for i in $(seq 1 20); do
    q=""
    [ $((i % 5)) = 0 ] && q="?ms=20"
    expect_http 200 "request $i" "/thread$q"
done
[ "$HTTP_BODY" = 1 ] || fail "20 routes in a row ran on $HTTP_BODY threads, expected 1"

expect_http 500 "a failing route" "/thread?fail=1"
expect_http 200 "after the failure" /thread
[ "$HTTP_BODY" = 2 ] || fail "after a failed route: $HTTP_BODY threads, expected 2 (the failed one dropped)"
for i in 1 2 3; do expect_http 200 "again $i" /thread; done
[ "$HTTP_BODY" = 2 ] || fail "routes after the failure ran on $HTTP_BODY threads, expected 2"

server_alive
stop_server
pass
