#!/usr/bin/env bash
# The UAS never answers: the proxy retransmits the INVITE (timer A), and after fr_timer
# (1500 ms here) the UAC gets a local 408, with on_failure seeing it as reply.status 408; the
# failover branch it starts reaches a second silent UAS, and the 408 goes upstream only after
# that branch times out too.
. "$(dirname "$0")/lib/common.sh"

free_port PORT
free_port UAS_PORT
free_port ALT_PORT
export TM_FR_TIMER=1500 TM_ALT="sip:127.0.0.1:$ALT_PORT"
start_server "$SCRIPT_DIR/tm_proxy.lua" -l "udp:127.0.0.1:$PORT"
start_uas "$SIPP_DIR/tm_uas_silent.xml" "$UAS_PORT"

start=$(date +%s%N)
run_uac "$SIPP_DIR/tm_uac_408.xml" "127.0.0.1:$UAS_PORT" -rsa "127.0.0.1:$PORT" -s plain ||
    fail "UAC did not get 408 (sipp exit $?)"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$ms" -ge 1400 ] || fail "408 came after $ms ms, before fr_timer (1500 ms)"
[ "$ms" -lt 5000 ] || fail "408 came after $ms ms, long after fr_timer (1500 ms)"
n=$(grep -c '^INVITE ' "$T/uas_msg.log")
[ "$n" -ge 2 ] || fail "the proxy did not retransmit the INVITE to the silent UAS (seen $n)"
wait_uas

# on_failure with a timeout: the failover target (a second silent UAS) must get the INVITE and
# time out too -> 408 upstream only after both fr_timers
free_port UAS_PORT2
start_uas "$SIPP_DIR/tm_uas_silent.xml" "$UAS_PORT2"
start_sipp_uas alt "$SIPP_DIR/tm_uas_silent.xml" "$ALT_PORT" -m 1
start=$(date +%s%N)
run_uac "$SIPP_DIR/tm_uac_408.xml" "127.0.0.1:$UAS_PORT2" -rsa "127.0.0.1:$PORT" -s failover ||
    fail "UAC did not get 408 after the failover (sipp exit $?)"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
n=$(sip_count "$T/alt_msg.log" '^INVITE ')
[ "$n" -ge 1 ] || fail "the failover target never got the INVITE"
[ "$ms" -ge 2800 ] || fail "408 after the failover came after $ms ms, before both fr_timers (2 x 1500 ms)"
[ "$ms" -lt 7000 ] || fail "408 after the failover came after $ms ms, long after both fr_timers"
assert_log 'on_failure: INVITE got 408' "on_failure with reply.status 408"
assert_log "on_failure: relayed again to sip:127.0.0.1:$ALT_PORT: true" "tm.relay accepting the new branch"

server_alive
stop_server
pass
