#!/usr/bin/env bash
# The UAS answers 486: the UAC gets the 486 (held until the branch set is done, then sent as
# the best reply), and the proxy ACKs the 486 hop by hop (the UAS scenario requires that ACK);
# the UAC's own ACK is absorbed by the proxy's server transaction.
. "$(dirname "$0")/lib/common.sh"

free_port PORT
free_port UAS_PORT
start_server "$SCRIPT_DIR/tm_proxy.lua" -l "udp:127.0.0.1:$PORT"
start_uas "$SIPP_DIR/tm_uas_486.xml" "$UAS_PORT"

run_uac "$SIPP_DIR/tm_uac_486.xml" "127.0.0.1:$UAS_PORT" -rsa "127.0.0.1:$PORT" -s busy ||
    fail "UAC did not get 486 (sipp exit $?)"
wait_uas || fail "UAS did not get the proxy's ACK for its 486 (sipp exit $?)"

ack=$(trace_msg "$T/uas_msg.log" received '^ACK ')
[ "$(vias "$ack" | wc -l)" -eq 1 ] || fail "the ACK at the UAS is not the proxy's own (hop by hop): $(vias "$ack")"
[[ $(vias "$ack") == *"branch=z9hG4bKtm"* ]] || fail "the proxy's ACK does not carry the INVITE's branch"
[ "$(grep -c '^ACK ' "$T/uas_msg.log")" -eq 1 ] || fail "the UAC's ACK went through to the UAS"

server_alive
stop_server
pass
