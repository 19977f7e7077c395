#!/usr/bin/env bash
# examples/load-balancer.lua: round-robin over set 1 with serial failover. The first destination
# answers 503: the first call fails over to the second and succeeds; calls 2 and 3 go to the
# second and third by round-robin (probing off: LB_PING=0).
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/http.sh"
need_tm

free_port U1; free_port U2; free_port U3
export LB_LIST=$T/dispatcher.list LB_PING=0
printf '1 sip:127.0.0.1:%s\n1 sip:127.0.0.1:%s\n1 sip:127.0.0.1:%s\n' "$U1" "$U2" "$U3" >"$LB_LIST"
free_port PORT
free_port HTTP_PORT
export LB_SIP="udp:127.0.0.1:$PORT" LB_HTTP="127.0.0.1:$HTTP_PORT"
start_server "$EXAMPLES_DIR/load-balancer.lua"
assert_log 'INFO \[dispatcher\] 1 sets, 3 destinations' "the list being loaded"

start_sipp_uas busy "$SIPP_DIR/tm_uas_503.xml" "$U1" -m 1
start_sipp_uas uas2 "$SIPP_DIR/uas_call_rr.xml" "$U2" -m 2
start_sipp_uas uas3 "$SIPP_DIR/uas_call_rr.xml" "$U3" -m 1

free_port UAC_PORT
_sipp_common uac
sipp -sf "$SIPP_DIR/uac_call_rr.xml" "127.0.0.1:$PORT" -p "$UAC_PORT" "${SIPP_ARGS[@]}" -s lb -key tp udp -m 3 -l 1 \
    -timeout 30s -timeout_error </dev/null >"$T/uac.out" 2>&1 || fail "not every call succeeded (sipp exit $?)"
for u in busy uas2 uas3; do
    _wait_pid "${UAS_PIDS[$u]}" 10 || fail "UAS $u did not get its calls"
    [ "$WAIT_RC" -eq 0 ] || fail "UAS $u failed (sipp exit $WAIT_RC)"
done
[ "$(sip_count "$T/uas2_msg.log" '^INVITE ')" -eq 2 ] || fail "the second UAS should have 2 calls"
grep -q '^SIP/2.0 503' "$T/uac_msg.log" && fail "the 503 reached the UAC"
assert_log "answered 503" "on_failure seeing the 503"
assert_log "failover to sip:127.0.0.1:$U2" "the failover to the next destination"
server_alive
stop_server
pass
