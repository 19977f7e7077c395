#!/usr/bin/env bash
# The hello example unit (examples/units/hello), loaded with tm: its Lua function (hello.greet),
# its HTTP route (GET /api/hello), its metric (lunasip_hello_greetings_total) and its request
# hook. The hook chain runs by priority: hello (-10) answers sip:hello@ before tm (0) makes a
# transaction for it, so only the other request creates one.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/http.sh"
need_tm
[ -f "$LUNASIP_UNITS/hello.so" ] || fail "hello.so was not built"

metric() {   # metric TEXT name -> value (0 when absent)
    awk -v n="$2" '$1 == n { v = $2 } END { print v + 0 }' <<<"$1"
}

start_http "$SCRIPT_DIR/unit_hello.lua"
hcurl /metrics
[ "$(metric "$HTTP_BODY" lunasip_transactions_created_total)" = 0 ] || fail "transactions before any request"

for _ in 1 2; do
    sip_request MESSAGE "sip:hello@127.0.0.1:$PORT" | expect_status udp "$PORT" 200 "hello's hook"
done
grep -q 'SIP/2.0 200 Howdy' "$T/raw_replies.log" || fail "hello's hook did not answer with its greeting"
hcurl /metrics
[ "$(metric "$HTTP_BODY" lunasip_transactions_created_total)" = 0 ] ||
    fail "tm made a transaction for a request hello's earlier hook answered (hook order)"

sip_request MESSAGE "sip:bob@127.0.0.1:$PORT" | expect_status udp "$PORT" 200 "the route with hello.greet"
grep -q 'SIP/2.0 200 Howdy, bob!' "$T/raw_replies.log" || fail "hello.greet in the route"
hcurl /metrics
printf '%s\n' "$HTTP_BODY" >"$T/metrics.txt"
[ "$(metric "$HTTP_BODY" lunasip_transactions_created_total)" = 1 ] || fail "tm did not see the other request"
[ "$(metric "$HTTP_BODY" lunasip_hello_greetings_total)" = 3 ] || fail "hello's metric: $(grep hello "$T/metrics.txt")"
grep -q '^# TYPE lunasip_hello_greetings_total counter' "$T/metrics.txt" || fail "hello's metric family"

expect_http 200 "hello's route" /api/hello
[ "$(json_get "$HTTP_BODY" greeting)" = Howdy ] || fail "/api/hello: $HTTP_BODY"
[ "$(json_get "$HTTP_BODY" greetings)" = 3 ] || fail "/api/hello count: $HTTP_BODY"
expect_http 200 "units" /api/units
[[ $HTTP_BODY == *'"hello"'* && $HTTP_BODY == *'"tm"'* ]] || fail "/api/units: $HTTP_BODY"

server_alive
stop_server
pass
