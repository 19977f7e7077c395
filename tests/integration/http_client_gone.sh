#!/usr/bin/env bash
# A client that goes away while its route sleeps: the route is cancelled (it never wakes
# up), nothing is written to the freed request, the server goes on and exits cleanly
# (no sanitizer report, exit 0 on SIGTERM). Also with a client still waiting at exit and a
# route that answered and still sleeps at exit.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/http.sh"

start_http "$SCRIPT_DIR/http_routes.lua" -v
for i in 1 2 3; do
    curl -s --max-time 0.3 "http://127.0.0.1:$HTTP_PORT/slow?ms=1500" >/dev/null 2>&1
done
expect_http 200 "/health right after the disconnects" /health
sleep 2
expect_http 200 "/health after the routes would have woken" /health
assert_log 'went away before the reply: route cancelled' "the cancellation"
assert_no_log 'slow route woke up' "a cancelled route that went on"
hcurl /metrics; m=$HTTP_BODY
grep -q '^lunasip_coroutines_alive 0$' <<<"$m" || fail "coroutines left: $(grep coroutines <<<"$m")"
# a route that answered and sleeps on, and a request still pending at exit
expect_http 200 "a route that answers early" /early
[ "$HTTP_BODY" = early ] || fail "/early: $HTTP_BODY"
curl -s --max-time 5 "http://127.0.0.1:$HTTP_PORT/slow?ms=3000" >/dev/null 2>&1 &
sleep 0.3
stop_server
pass
