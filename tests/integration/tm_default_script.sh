#!/usr/bin/env bash
# The shipped default script (scripts/default.lua) is a stateful proxy: it loads tm, answers
# OPTIONS aimed at itself with 200, and relays a call statefully (100 Trying from the proxy).
. "$(dirname "$0")/lib/common.sh"

free_port PORT
free_port UAS_PORT
# the same script without its fixed HTTP listener (127.0.0.1:8080 may be taken)
sed '/^ *http *=/d' "$LUNASIP_SRC/scripts/default.lua" >"$T/default.lua"
start_server "$T/default.lua" -l "udp:127.0.0.1:$PORT" -l "tcp:127.0.0.1:$PORT"
assert_log 'INFO \[tm\] started' "tm loaded by the default script"
options_ok "$PORT" udp tcp

start_uas "$SIPP_DIR/uas_call_rr.xml" "$UAS_PORT"
run_uac "$SIPP_DIR/uac_call_rr.xml" "127.0.0.1:$UAS_PORT" -rsa "127.0.0.1:$PORT" -key tp udp ||
    fail "call through the default script failed (sipp exit $?)"
wait_uas || fail "UAS call failed (sipp exit $?)"
grep -q '^SIP/2.0 100 ' "$T/uac_msg.log" || fail "no 100 Trying from the proxy"
inv=$(trace_msg "$T/uas_msg.log" received '^INVITE ')
[[ $(vias "$inv" | sed -n 1p) == *"branch=z9hG4bKtm"* ]] || fail "the INVITE was not relayed statefully"

server_alive
stop_server
pass
