#!/usr/bin/env bash
# GET /metrics is valid Prometheus text (checked by promtool, package prometheus) and its
# counters move with SIP and HTTP traffic: requests by method, HTTP requests, route errors.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/http.sh"
command -v promtool >/dev/null || fail "promtool not installed (package prometheus)"

metric() {   # metric TEXT 'name{labels}' -> value (0 when absent)
    awk -v n="$2" '$1 == n { v = $2 } END { print v + 0 }' <<<"$1"
}

start_http "$SCRIPT_DIR/http_routes.lua"
hcurl /metrics; m0=$HTTP_BODY
[ "$HTTP_STATUS" = 200 ] || fail "/metrics: HTTP $HTTP_STATUS"
printf '%s\n' "$m0" >"$T/metrics0.txt"
promtool check metrics <"$T/metrics0.txt" >"$T/promtool0.log" 2>&1 || { cat "$T/promtool0.log" >&2; fail "promtool rejects /metrics"; }
grep -q '^# TYPE lunasip_sip_requests_received_total counter' <<<"$m0" || fail "no SIP requests counter"
grep -qE '^lunasip_build_info\{version="[0-9.]+",lua="5\.4\.[0-9]+",libevent="[^"]+",libosip2="[^"]+"\} 1$' <<<"$m0" ||
    fail "no build info: $(grep build_info <<<"$m0")"
# the process_* series against what /proc and ps say about the server
pid=$SERVER_PID
nfd=$(ls /proc/"$pid"/fd | wc -l)
fds=$(metric "$m0" process_open_fds)   # the server also had our HTTP connection open then
[ "$fds" -ge "$nfd" ] && [ "$fds" -le $((nfd + 1)) ] || fail "process_open_fds $fds, /proc says $nfd"
[ "$(metric "$m0" process_max_fds)" = "$(awk '/Max open files/ { print $4 }' /proc/"$pid"/limits)" ] ||
    fail "process_max_fds $(metric "$m0" process_max_fds)"
rss=$(awk '/VmRSS/ { print $2 * 1024 }' /proc/"$pid"/status)
python3 -c 'import sys; m, r = float(sys.argv[1]), float(sys.argv[2]); sys.exit(not (0.5 * r < m < 2 * r))' \
    "$(awk '$1 == "process_resident_memory_bytes" { print $2 }' <<<"$m0")" "$rss" || fail "process_resident_memory_bytes vs VmRSS $rss"
start=$(awk '$1 == "process_start_time_seconds" { print $2 }' <<<"$m0")
python3 -c 'import sys, time; sys.exit(not (0 <= time.time() - float(sys.argv[1]) < 120))' "${start:-0}" ||
    fail "process_start_time_seconds ${start:-missing} is not a few seconds ago"
grep -qE '^process_cpu_seconds_total [0-9.]+$' <<<"$m0" || fail "no process_cpu_seconds_total"

# traffic: 2 SIP OPTIONS, 3 HTTP POSTs, 1 route error
for i in 1 2; do
    sip_request OPTIONS "sip:127.0.0.1:$PORT" | expect_status udp "$PORT" 200 "OPTIONS"
done
for i in 1 2 3; do expect_http 200 "POST /test" -X POST /test; done
expect_http 500 "route error" /error

hcurl /metrics; m1=$HTTP_BODY
printf '%s\n' "$m1" >"$T/metrics1.txt"
promtool check metrics <"$T/metrics1.txt" >"$T/promtool1.log" 2>&1 || { cat "$T/promtool1.log" >&2; fail "promtool rejects /metrics after traffic"; }
d() { echo $(( $(metric "$m1" "$1") - $(metric "$m0" "$1") )); }
[ "$(d 'lunasip_sip_requests_received_total{method="OPTIONS"}')" = 2 ] || fail "OPTIONS counter moved by $(d 'lunasip_sip_requests_received_total{method="OPTIONS"}')"
[ "$(d 'lunasip_http_requests_total{method="POST"}')" = 3 ] || fail "HTTP POST counter moved by $(d 'lunasip_http_requests_total{method="POST"}')"
[ "$(d 'lunasip_sip_replies_sent_total{class="2xx"}')" = 2 ] || fail "2xx replies sent moved by $(d 'lunasip_sip_replies_sent_total{class="2xx"}')"
[ "$(d 'lunasip_sip_request_duration_seconds_count{method="OPTIONS"}')" = 2 ] ||
    fail "OPTIONS latency observations moved by $(d 'lunasip_sip_request_duration_seconds_count{method="OPTIONS"}')"
[ "$(d 'lunasip_route_errors_total')" = 1 ] || fail "route errors moved by $(d lunasip_route_errors_total)"
[ "$(d 'lunasip_http_routes_total')" = 4 ] || fail "on_http runs moved by $(d lunasip_http_routes_total)"
[ "$(d 'lunasip_http_responses_total{class="5xx"}')" = 1 ] || fail "5xx responses moved by $(d 'lunasip_http_responses_total{class="5xx"}')"
grep -q '^lunasip_coroutines_alive ' <<<"$m1" || fail "no coroutines gauge"
stop_server

if have_tm; then
    export WITH_TM=1
    start_http "$SCRIPT_DIR/http_routes.lua"
    sip_request OPTIONS "sip:127.0.0.1:$PORT" | expect_status udp "$PORT" 200 "OPTIONS with tm"
    hcurl /metrics; m2=$HTTP_BODY
    printf '%s\n' "$m2" >"$T/metrics2.txt"
    promtool check metrics <"$T/metrics2.txt" >"$T/promtool2.log" 2>&1 || { cat "$T/promtool2.log" >&2; fail "promtool rejects /metrics with tm"; }
    grep -q '^lunasip_transactions_active ' <<<"$m2" || fail "no transactions gauge with tm"
    [ "$(metric "$m2" lunasip_transactions_created_total)" -ge 1 ] || fail "no transaction counted with tm"
    stop_server
else
    skip_part "tm.so not built: transaction metrics not checked"
fi
pass
