#!/usr/bin/env bash
# INVITE retransmissions are absorbed: the UAC treats every 100 Trying as lost and so
# retransmits its INVITE until the (late) 180; the proxy re-sends its last reply to each
# retransmission, and the UAS sees exactly one INVITE. The call then completes. A MESSAGE whose
# first copy the UAS ignores is retransmitted by the proxy (timer E) and answered.
. "$(dirname "$0")/lib/common.sh"

free_port PORT
free_port UAS_PORT
start_server "$SCRIPT_DIR/tm_proxy.lua" -l "udp:127.0.0.1:$PORT"
start_uas "$SIPP_DIR/tm_uas_retrans.xml" "$UAS_PORT"

run_uac "$SIPP_DIR/tm_uac_retrans.xml" "127.0.0.1:$UAS_PORT" -rsa "127.0.0.1:$PORT" -key tp udp ||
    fail "UAC call failed (sipp exit $?)"
wait_uas || fail "UAS call failed (sipp exit $?)"
sent=$(grep -c '^INVITE ' "$T/uac_msg.log")
[ "$sent" -ge 2 ] || fail "the UAC did not retransmit its INVITE (sent $sent): the test proves nothing"
seen=$(grep -c '^INVITE ' "$T/uas_msg.log")
[ "$seen" -eq 1 ] || fail "the UAS saw $seen INVITEs, expected exactly 1"
n100=$(grep -c '^SIP/2.0 100 ' "$T/uac_msg.log")
[ "$n100" -ge 2 ] || fail "the proxy did not re-send 100 Trying to the retransmissions ($n100)"

# Non-INVITE (timer E): a UAS that ignores the first MESSAGE answers its retransmission; the
# UAC's own request goes once, so only the proxy's retransmission can get the 200 back.
free_port SINK_PORT
python3 "$SIP_RAW" listen --port "$SINK_PORT" --count 2 --reply 200 --timeout 5 >"$T/sink.log" &
sink=$!
_PIDS+=("$sink")
wait_bound udp "$SINK_PORT" 5 || fail "the raw UAS did not bind"
sip_request MESSAGE "sip:sink@127.0.0.1:$SINK_PORT" | expect_status udp "$PORT" 200 "a MESSAGE whose first copy the UAS ignored"
_wait_pid "$sink" 5 && [ "$WAIT_RC" -eq 0 ] || fail "the raw UAS did not get the MESSAGE twice: $(cat "$T/sink.log")"

server_alive
stop_server
pass
