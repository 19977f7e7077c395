#!/usr/bin/env bash
# /metrics follows SIP traffic through the proxy: lunasip_sip_forwarded_total{kind,mode} tells
# stateless forwards (examples/stateless-proxy.lua) from tm relays (examples/stateful-proxy.lua)
# and counts replies; lunasip_sip_replies_sent_total{class} counts every reply we send; the
# per-method latency histogram observes requests that get their final reply from us or tm
# (stateless forwards are not observed: we never see their final reply as such).
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/http.sh"
command -v promtool >/dev/null || fail "promtool not installed (package prometheus)"

cat >"$T/wrap.lua" <<'LUA'
dofile(os.getenv("EXAMPLE"))
config.http = { listen = os.getenv("HTTP_LISTEN") }
LUA
metric() { awk -v n="$2" '$1 == n { v = $2 } END { print v + 0 }' <<<"$1"; }
d() { echo $(( $(metric "$m1" "$1") - $(metric "$m0" "$1") )); }
expect_d() {   # expect_d NAME VALUE
    [ "$(d "$1")" = "$2" ] || fail "$MODE: $1 moved by $(d "$1"), expected $2: $(grep -E 'forwarded|replies_sent|duration_seconds_count' <<<"$m1")"
}
snapshot() {
    hcurl /metrics
    printf '%s\n' "$HTTP_BODY" >"$T/metrics.txt"
    promtool check metrics <"$T/metrics.txt" >"$T/promtool.log" 2>&1 || { cat "$T/promtool.log" >&2; fail "$MODE: promtool rejects /metrics"; }
}
call() {   # call UAS_XML UAC_XML
    free_port UAS_PORT
    start_uas "$SIPP_DIR/$1" "$UAS_PORT"
    run_uac "$SIPP_DIR/$2" "127.0.0.1:$UAS_PORT" -rsa "127.0.0.1:$PORT" -key tp udp || fail "$MODE: call failed (sipp exit $?)"
    wait_uas || fail "$MODE: UAS did not complete its call"
}

# stateless: INVITE, ACK, BYE forwarded; 180, 200, 200 forwarded back
MODE=stateless
export EXAMPLE="$EXAMPLES_DIR/stateless-proxy.lua"
start_http "$T/wrap.lua"
snapshot; m0=$HTTP_BODY
call uas_call.xml uac_call.xml
snapshot; m1=$HTTP_BODY
expect_d 'lunasip_sip_forwarded_total{kind="request",mode="stateless"}' 3
expect_d 'lunasip_sip_forwarded_total{kind="reply",mode="stateless"}' 3
expect_d 'lunasip_sip_forwarded_total{kind="request",mode="stateful"}' 0
expect_d 'lunasip_sip_forwarded_total{kind="reply",mode="stateful"}' 0
expect_d 'lunasip_sip_replies_sent_total{class="1xx"}' 1
expect_d 'lunasip_sip_replies_sent_total{class="2xx"}' 2
expect_d 'lunasip_sip_request_duration_seconds_count{method="INVITE"}' 0
stop_server

if have_tm; then
    # tm: INVITE and BYE relayed, the ACK for the 2xx forwarded statelessly end to end;
    # 180, 200, 200 relayed back; 100 Trying, 180 and two 200 sent; INVITE and BYE observed
    MODE=stateful
    export EXAMPLE="$EXAMPLES_DIR/stateful-proxy.lua"
    start_http "$T/wrap.lua"
    snapshot; m0=$HTTP_BODY
    call uas_call_rr.xml uac_call_rr.xml
    snapshot; m1=$HTTP_BODY
    expect_d 'lunasip_sip_forwarded_total{kind="request",mode="stateful"}' 2
    expect_d 'lunasip_sip_forwarded_total{kind="request",mode="stateless"}' 1
    expect_d 'lunasip_sip_forwarded_total{kind="reply",mode="stateful"}' 3
    expect_d 'lunasip_sip_forwarded_total{kind="reply",mode="stateless"}' 0
    expect_d 'lunasip_sip_replies_sent_total{class="1xx"}' 2
    expect_d 'lunasip_sip_replies_sent_total{class="2xx"}' 2
    expect_d 'lunasip_sip_request_duration_seconds_count{method="INVITE"}' 1
    expect_d 'lunasip_sip_request_duration_seconds_count{method="BYE"}' 1
    # cumulative buckets: +Inf holds every observation
    inf=$(metric "$m1" 'lunasip_sip_request_duration_seconds_bucket{method="INVITE",le="+Inf"}')
    [ "$inf" = "$(metric "$m1" 'lunasip_sip_request_duration_seconds_count{method="INVITE"}')" ] ||
        fail "INVITE histogram: +Inf bucket $inf differs from its count"
    stop_server
else
    skip_part "tm.so not built: stateful counters not checked"
fi
pass
