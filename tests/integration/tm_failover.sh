#!/usr/bin/env bash
# Serial failover: the first UAS answers 503; opts.on_failure (scripts/tm_proxy.lua, user
# "failover") sets msg.du to the second UAS and calls tm.relay again: the call succeeds there.
# opts.on_reply and the global on_reply route see the 503, which never reaches the UAC, and the first UAS gets the proxy's ACK for its 503.
. "$(dirname "$0")/lib/common.sh"

free_port PORT
free_port UAS1_PORT
free_port UAS2_PORT
export TM_ALT="sip:127.0.0.1:$UAS2_PORT"
start_server "$SCRIPT_DIR/tm_proxy.lua" -l "udp:127.0.0.1:$PORT"

start_sipp_uas uas1 "$SIPP_DIR/tm_uas_503.xml" "$UAS1_PORT" -m 1 -timeout_error
start_uas "$SIPP_DIR/uas_call_rr.xml" "$UAS2_PORT"

run_uac "$SIPP_DIR/uac_call_rr.xml" "127.0.0.1:$UAS1_PORT" -rsa "127.0.0.1:$PORT" -s failover -key tp udp ||
    fail "the call did not succeed through the failover (sipp exit $?)"
wait_uas || fail "second UAS did not complete the call (sipp exit $?)"
_wait_pid "${UAS_PIDS[uas1]}" 10 || fail "first UAS still running"
[ "$WAIT_RC" -eq 0 ] || fail "first UAS failed (no ACK for its 503?) (sipp exit $WAIT_RC)"

assert_log 'on_reply: 503' "opts.on_reply seeing the 503"
assert_log 'on_failure: INVITE got 503' "on_failure running with the 503"
assert_log 'reply route: 503 INVITE' "the global on_reply route seeing the 503"
assert_log "on_failure: relayed again to sip:127.0.0.1:$UAS2_PORT: true" "the second relay"
grep -q '^SIP/2.0 503' "$T/uac_msg.log" && fail "the 503 reached the UAC"

server_alive
stop_server
pass
