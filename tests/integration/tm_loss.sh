#!/usr/bin/env bash
# 5% packet loss on both sides (sipp -lost 5 on the UAC and the UAS): 30 calls through the
# stateful proxy all complete, thanks to retransmissions on every hop (timers A/E/G and the
# re-sent last reply). Then every transaction is freed (after wait_timer, 5 s by default: it
# must outlast the UAC's INVITE retransmissions when a forwarded 2xx is lost).
. "$(dirname "$0")/lib/common.sh"

CALLS=30
free_port PORT
free_port UAS_PORT
start_server "$SCRIPT_DIR/tm_proxy.lua" -l "udp:127.0.0.1:$PORT"
start_uas "$SIPP_DIR/tm_uas_loss.xml" "$UAS_PORT" -m "$CALLS" -timeout 90s -lost 5

run_uac "$SIPP_DIR/uac_call.xml" "127.0.0.1:$UAS_PORT" -rsa "127.0.0.1:$PORT" -key tp udp \
    -m "$CALLS" -r 10 -timeout 90s -lost 5 ||
    fail "not every call completed under 5% loss (sipp exit $?)"
# The UAS's own verdict is only reported: sipp -lost also drops messages the UAS received
# (an ACK, then a BYE it "lost"), which can make it give up on retransmitting its 200 even
# though the proxy relayed everything and the UAC completed the call.
wait_uas 90 || log "note: the UAS reported a failed call (sipp exit $?): $(grep -m1 'Aborting' "$T/uas_err.log" 2>/dev/null)"

for ((i = 0; i < 100; i++)); do  # 10 s
    tail -n 1 <(grep 'tm stats active=' "$SERVER_LOG") | grep -q 'active=0 ' && break
    sleep 0.1
done
tail -n 1 <(grep 'tm stats active=' "$SERVER_LOG") | grep -q 'active=0 ' ||
    fail "transactions still alive after the calls: $(grep 'tm stats' "$SERVER_LOG" | tail -n 1)"

server_alive
stop_server
pass
