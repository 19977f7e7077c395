#!/usr/bin/env bash
# 5% packet loss on both sides (sipp -lost 5 on the UAC and the UAS): 30 calls through the
# stateful proxy all complete on both sides, thanks to retransmissions on every hop (timers
# A/E/G and the re-sent last reply); the UAC matches replies to their transaction
# (tm_uac_loss.xml), so only a BYE's own 200 ends a call. Then every transaction is freed
# (after wait_timer, 5 s by default: it must outlast the UAC's INVITE retransmissions when a
# forwarded 2xx is lost).
. "$(dirname "$0")/lib/common.sh"

CALLS=30
free_port PORT
free_port UAS_PORT
start_server "$SCRIPT_DIR/tm_proxy.lua" -l "udp:127.0.0.1:$PORT"
start_uas "$SIPP_DIR/tm_uas_loss.xml" "$UAS_PORT" -m "$CALLS" -timeout 90s -lost 5

run_uac "$SIPP_DIR/tm_uac_loss.xml" "127.0.0.1:$UAS_PORT" -rsa "127.0.0.1:$PORT" -key tp udp \
    -m "$CALLS" -r 10 -timeout 90s -lost 5 ||
    fail "not every call completed under 5% loss (sipp exit $?)"
# The UAS side: its own verdict (every call ended by a BYE it answered), and, seen by the proxy,
# a 200 from it for the INVITE and for the BYE of every call (a lost BYE comes back only
# through the proxy's timer E). The ACK for a 2xx stays optional at the UAS: it is end to end,
# nobody but the UAC would re-send it (on a retransmitted 200; sipp does not), so a lost ACK
# stays lost and the BYE ends the UAS's wait.
wait_uas 90 || fail "the UAS reported a failed call (sipp exit $?): $(grep -m1 'Aborting' "$T/uas_err.log" 2>/dev/null)"
for m in INVITE BYE; do
    n=$(sed -n "s/.*reply route: 200 $m \(.*\)$/\1/p" "$SERVER_LOG" | sort -u | wc -l)
    [ "$n" -eq "$CALLS" ] || fail "the UAS answered the $m of $n calls, not of all $CALLS"
done

for ((i = 0; i < 100; i++)); do  # 10 s
    tail -n 1 <(grep 'tm stats active=' "$SERVER_LOG") | grep -q 'active=0 ' && break
    sleep 0.1
done
tail -n 1 <(grep 'tm stats active=' "$SERVER_LOG") | grep -q 'active=0 ' ||
    fail "transactions still alive after the calls: $(grep 'tm stats' "$SERVER_LOG" | tail -n 1)"

server_alive
stop_server
pass
