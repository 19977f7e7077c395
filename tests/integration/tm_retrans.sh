#!/usr/bin/env bash
# INVITE retransmissions are absorbed: the UAC treats every 100 Trying as lost and so
# retransmits its INVITE until the (late) 180; the proxy re-sends its last reply to each
# retransmission, and the UAS sees exactly one INVITE. The call then completes.
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

server_alive
stop_server
pass
