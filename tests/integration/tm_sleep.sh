#!/usr/bin/env bash
# sip.sleep in a request route with tm loaded: the route (user "sleep") sleeps 1200 ms before
# relaying a MESSAGE; the UAC retransmits meanwhile (500 ms, no 100 Trying for non-INVITE);
# the server transaction absorbs the retransmissions and the UAS sees one MESSAGE.
. "$(dirname "$0")/lib/common.sh"

free_port PORT
free_port UAS_PORT
export TM_SLEEP=1200
start_server "$SCRIPT_DIR/tm_proxy.lua" -l "udp:127.0.0.1:$PORT"
start_uas "$SIPP_DIR/tm_uas_message.xml" "$UAS_PORT"

run_uac "$SIPP_DIR/tm_uac_message.xml" "127.0.0.1:$UAS_PORT" -rsa "127.0.0.1:$PORT" -s sleep ||
    fail "MESSAGE through a sleeping route failed (sipp exit $?)"
wait_uas || fail "UAS failed (sipp exit $?)"
sent=$(grep -c '^MESSAGE ' "$T/uac_msg.log")
[ "$sent" -ge 2 ] || fail "the UAC did not retransmit (sent $sent): the test proves nothing"
seen=$(grep -c '^MESSAGE ' "$T/uas_msg.log")
[ "$seen" -eq 1 ] || fail "the UAS saw $seen MESSAGEs, expected 1"
assert_log 'slept before relaying MESSAGE' "the route going on after sip.sleep"
assert_no_log 'ERROR' "an error"

server_alive
stop_server
pass
