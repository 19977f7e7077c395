#!/usr/bin/env bash
# A call to a binding registered from behind a NAT goes to the recorded source: bob's phone
# registers from 127.0.0.1:UAS with Contact sip:bob@10.20.30.40:5060 (its private address, not
# reachable); a sipp UAC calls bob through scripts/registrar.lua and the sipp UAS listening on
# the source port gets the INVITE, with the Contact as R-URI, and the call completes.
. "$(dirname "$0")/lib/common.sh"

free_port PORT
free_port UAS
start_server "$SCRIPT_DIR/registrar.lua" -l "udp:127.0.0.1:$PORT"
sip_request REGISTER "sip:127.0.0.1:$PORT" "To: <sip:bob@127.0.0.1>" "Contact: <sip:bob@10.20.30.40:5060>;expires=30" |
    python3 "$IT_DIR/lib/sip_digest.py" --port "$PORT" --lport "$UAS" | tr -d '\r' >"$T/register.log"
grep -q '^SIP/2.0 200 OK' "$T/register.log" || fail "REGISTER: $(cat "$T/register.log")"

start_uas "$SIPP_DIR/uas_call_rr.xml" "$UAS"
run_uac "$SIPP_DIR/uac_call_rr.xml" "127.0.0.1:$PORT" -s bob -key tp udp || fail "call to the NATed bob failed (sipp exit $?)"
wait_uas || fail "the UAS at bob's source address did not complete the call (sipp exit $?)"
inv=$(trace_msg "$T/uas_msg.log" received '^INVITE ')
[ "$(sed -n 1p <<<"$inv")" = "INVITE sip:bob@10.20.30.40:5060 SIP/2.0" ] || fail "R-URI at the phone: $(sed -n 1p <<<"$inv")"

server_alive
stop_server
pass
