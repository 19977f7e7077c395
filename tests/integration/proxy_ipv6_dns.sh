#!/usr/bin/env bash
# IPv6 and name resolution: (1) a call through examples/stateless-proxy.lua entirely over
# [::1] (our Via names the IPv6 listener, bracketed); skipped (exit 77) when lo has no IPv6;
# (2) a route that forwards to sip:localhost:PORT, so the next hop is a name resolved
# asynchronously before sending. The request's own target is a dead port: only the resolved
# name can deliver the call.
. "$(dirname "$0")/lib/common.sh"

if have_ipv6; then
    free_port PORT
    free_port UAS_PORT
    start_server "$EXAMPLES_DIR/stateless-proxy.lua" -l "udp:[::1]:$PORT" -l "udp:127.0.0.1:$PORT"
    start_uas "$SIPP_DIR/uas_call.xml" "$UAS_PORT" -i ::1
    run_uac "$SIPP_DIR/uac_call.xml" "[::1]:$UAS_PORT" -rsa "[::1]:$PORT" -i ::1 -key tp udp ||
        fail "IPv6 call through the proxy failed (sipp exit $?)"
    wait_uas || fail "IPv6 UAS did not complete its call (sipp exit $?)"
    m=$(trace_msg "$T/uas_msg.log" received '^INVITE ')
    [[ $(vias "$m" | sed -n 1p) == "SIP/2.0/UDP [::1]:$PORT;"*branch=z9hG4bK* ]] ||
        fail "IPv6 INVITE at the UAS: top Via is not the proxy's IPv6 listener: $(vias "$m")"
    stop_server
else
    skip_part "no IPv6 on lo: the call over [::1] did not run"
fi

free_port PORT2
free_port UAS2_PORT
export UAS_PORT=$UAS2_PORT
rm -f "$T"/uas_*.log
start_server "$SCRIPT_DIR/resolve.lua" -l "udp:127.0.0.1:$PORT2"
start_uas "$SIPP_DIR/uas_call.xml" "$UAS2_PORT"
free_port DEAD_PORT   # nothing listens there
run_uac "$SIPP_DIR/uac_call.xml" "127.0.0.1:$DEAD_PORT" -rsa "127.0.0.1:$PORT2" -key tp udp ||
    fail "call to a next hop named localhost failed (sipp exit $?)"
wait_uas || fail "UAS behind the name did not complete its call (sipp exit $?)"
m=$(trace_msg "$T/uas_msg.log" received '^INVITE ')
[[ $m == "INVITE sip:"*"@127.0.0.1:$DEAD_PORT"[\;\ ]* ]] ||
    fail "the R-URI was changed (only the next hop is the name): ${m%%$'\n'*}"
server_alive
stop_server
pass
