#!/usr/bin/env bash
# User coroutines in a route: coroutine.wrap(function() sip.sleep(50) ... end)() suspends the
# whole route and goes on where it was (also two coroutines deep); a plain coroutine.yield
# still returns to its resumer; sip.sleep in the main chunk raises a clear error (no crash).
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/http.sh"
need_tm
start_http "$SCRIPT_DIR/lua_limits.lua"
expect_http 200 "/wrap" /wrap
[ "$HTTP_BODY" = "in:a,slept,first:y1,got:b,second:done" ] || fail "/wrap ran as: $HTTP_BODY"
expect_http 200 "/nested" /nested
[ "$HTTP_BODY" = "inner+outer" ] || fail "/nested: $HTTP_BODY"
expect_http 200 "/generator" /generator
[ "$HTTP_BODY" = "123" ] || fail "/generator: $HTTP_BODY"
expect_http 200 "/toplevel" /toplevel
grep -q 'can only be called in a route' <<<"$HTTP_BODY" || fail "sip.sleep at top level: $HTTP_BODY"
hcurl /metrics
grep -q '^lunasip_coroutines_alive 0$' <<<"$HTTP_BODY" || fail "coroutines left: $(grep alive <<<"$HTTP_BODY")"
stop_server
pass
