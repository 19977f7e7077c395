#!/usr/bin/env bash
# tm max_transactions: with 3 transactions live, a new request gets 503 with Retry-After
# (counted in lunasip_transactions_refused_total and tm.stats().refused); once they end,
# requests are served again.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/http.sh"
need_tm

free_port PORT
free_port HTTP_PORT
export PORT HTTP_LISTEN="127.0.0.1:$HTTP_PORT"
start_server "$SCRIPT_DIR/tm_cap.lua"

waiting=()
for i in 1 2 3; do
    sip_request OPTIONS "sip:127.0.0.1:$PORT" "X-Wait: 1" | sip_send_raw udp "$PORT" --timeout 4 >"$T/wait$i.out" &
    waiting+=($!)
done
sleep 0.4
out=$(sip_request OPTIONS "sip:127.0.0.1:$PORT" | sip_send_raw udp "$PORT" --timeout 2)
[[ $(status_line "$out") == "SIP/2.0 503 "* ]] || fail "a fourth transaction: expected 503, got: $(status_line "$out")"
grep -qi '^Retry-After: ' <<<"$out" || fail "503 without Retry-After: $out"
wait "${waiting[@]}"
for i in 1 2 3; do
    [[ $(status_line "$(cat "$T/wait$i.out")") == "SIP/2.0 200 "* ]] || fail "waiting request $i: $(cat "$T/wait$i.out")"
done
sleep 0.3   # wait_timer of the three
options_ok "$PORT" udp || fail "a request once the transactions ended"
hcurl /metrics
grep -q '^lunasip_transactions_refused_total 1$' <<<"$HTTP_BODY" || fail "refused count: $(grep refused <<<"$HTTP_BODY")"
assert_log 'max_transactions' "the cap's log line"
stop_server
pass
