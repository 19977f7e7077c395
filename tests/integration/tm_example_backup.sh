#!/usr/bin/env bash
# examples/stateful-proxy.lua with BACKUP set: the UAS named by the R-URI answers 503, the
# example's on_failure relays the INVITE once more to the backup UAS, and the call succeeds
# there; the 503 never reaches the UAC.
. "$(dirname "$0")/lib/common.sh"

free_port PORT
free_port UAS1_PORT
free_port UAS2_PORT
export BACKUP="sip:127.0.0.1:$UAS2_PORT"
start_server "$EXAMPLES_DIR/stateful-proxy.lua" -l "udp:127.0.0.1:$PORT"

start_sipp_uas uas1 "$SIPP_DIR/tm_uas_503.xml" "$UAS1_PORT" -m 1 -timeout_error
start_uas "$SIPP_DIR/uas_call_rr.xml" "$UAS2_PORT"

run_uac "$SIPP_DIR/uac_call_rr.xml" "127.0.0.1:$UAS1_PORT" -rsa "127.0.0.1:$PORT" -key tp udp ||
    fail "the call did not succeed on the backup (sipp exit $?)"
wait_uas || fail "backup UAS did not complete the call (sipp exit $?)"
_wait_pid "${UAS_PIDS[uas1]}" 10 || fail "first UAS still running"
[ "$WAIT_RC" -eq 0 ] || fail "first UAS failed (no ACK for its 503?) (sipp exit $WAIT_RC)"
assert_log "failed with 503, trying sip:127.0.0.1:$UAS2_PORT" "the example's failover log line"
grep -q '^SIP/2.0 503' "$T/uac_msg.log" && fail "the 503 reached the UAC"

server_alive
stop_server
pass
