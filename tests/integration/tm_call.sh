#!/usr/bin/env bash
# A call INVITE/180/200/ACK/BYE/200 through examples/stateful-proxy.lua (tm loaded) from a
# sipp UAC to a sipp UAS: the UAC gets 100 Trying from the proxy at once, the UAS sees our
# Via with a tm branch and the Record-Route, the ACK for the 2xx goes end to end (the route
# relays it statelessly), and the server stops cleanly. Then the same call over TCP.
. "$(dirname "$0")/lib/common.sh"

free_port PORT
free_port UAS_PORT

start_server "$EXAMPLES_DIR/stateful-proxy.lua" -l "udp:127.0.0.1:$PORT" -l "tcp:127.0.0.1:$PORT" -v
assert_log 'INFO \[tm\] started' "tm started"
start_uas "$SIPP_DIR/uas_call_rr.xml" "$UAS_PORT"

run_uac "$SIPP_DIR/uac_call_rr.xml" "127.0.0.1:$UAS_PORT" -rsa "127.0.0.1:$PORT" -key tp udp ||
    fail "UAC call through the stateful proxy failed (sipp exit $?)"
wait_uas || fail "UAS did not complete its call (sipp exit $?)"

m=$(trace_msg "$T/uac_msg.log" received '^SIP/2.0 100 ')
[ -n "$m" ] || fail "the UAC got no 100 Trying"
[ "$(vias "$m" | wc -l)" -eq 1 ] || fail "100 Trying at the UAC carries more than the UAC's Via"
inv=$(trace_msg "$T/uas_msg.log" received '^INVITE ')
[[ $(vias "$inv" | sed -n 1p) == "SIP/2.0/UDP 127.0.0.1:$PORT;branch=z9hG4bKtm"* ]] ||
    fail "INVITE at the UAS lacks the proxy's tm branch: $(vias "$inv")"
[ "$(header_of "$inv" Max-Forwards)" = 69 ] || fail "Max-Forwards at the UAS is not 69"
[ "$(grep -c '^INVITE ' "$T/uas_msg.log")" -eq 1 ] || fail "the UAS saw the INVITE more than once"
ack=$(trace_msg "$T/uas_msg.log" received '^ACK ')
[[ $(vias "$ack" | sed -n 1p) == *"branch=z9hG4bKsl"* ]] || fail "ACK for the 2xx was not relayed statelessly"

# the same call over TCP (replies on the UAC's connection, no retransmissions)
free_port UAS_PORT
start_uas "$SIPP_DIR/uas_call_rr.xml" "$UAS_PORT" -t t1
run_uac "$SIPP_DIR/uac_call_rr.xml" "127.0.0.1:$UAS_PORT" -rsa "127.0.0.1:$PORT" -key tp tcp -t t1 ||
    fail "TCP call through the stateful proxy failed (sipp exit $?)"
wait_uas || fail "UAS did not complete its TCP call (sipp exit $?)"
grep -q '^SIP/2.0 100 ' "$T/uac_msg.log" || fail "no 100 Trying over TCP"

server_alive
stop_server
assert_log 'INFO \[tm\] stopped: [0-9]+ transactions created' "tm's exit line"
pass
