#!/usr/bin/env bash
# The UAC CANCELs after the 180: the proxy answers the CANCEL 200 itself, sends a CANCEL on
# the branch that rang (the UAS requires it, answers 200 and 487), and the UAC gets the 487.
# A CANCEL that matches nothing gets 481.
. "$(dirname "$0")/lib/common.sh"

free_port PORT
free_port UAS_PORT
start_server "$SCRIPT_DIR/tm_proxy.lua" -l "udp:127.0.0.1:$PORT"
start_uas "$SIPP_DIR/tm_uas_cancel.xml" "$UAS_PORT"

run_uac "$SIPP_DIR/tm_uac_cancel.xml" "127.0.0.1:$UAS_PORT" -rsa "127.0.0.1:$PORT" -s cancel ||
    fail "UAC did not get 200 for its CANCEL and 487 for its INVITE (sipp exit $?)"
wait_uas || fail "UAS did not get a CANCEL and the ACK for its 487 (sipp exit $?)"

c=$(trace_msg "$T/uas_msg.log" received '^CANCEL ')
inv=$(trace_msg "$T/uas_msg.log" received '^INVITE ')
[ "$(vias "$c")" = "$(vias "$inv" | sed -n 1p)" ] || fail "the CANCEL's Via is not the INVITE's top Via"
ok=$(trace_msg "$T/uac_msg.log" received '^SIP/2.0 200 ')
[[ $(header_of "$ok" CSeq) == *CANCEL ]] || fail "the UAC's 200 is not for the CANCEL"

# A CANCEL that matches no INVITE transaction: 481.
sip_request CANCEL "sip:nobody@127.0.0.1:$UAS_PORT" | expect_status udp "$PORT" 481 "a CANCEL matching nothing"

server_alive
stop_server
pass
