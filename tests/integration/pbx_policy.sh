#!/usr/bin/env bash
# examples/pbx.lua's policy with a digest-answering raw client (lib/sip_digest.py) and sipp:
# - REGISTER: 401, then 200 with alice's password (sipp's [authentication]); wrong password:
#   401 again; registering someone else's AOR: 403;
# - calls: without credentials 407; to an unknown user 404; to a user with no device 480;
#   from an authenticated user whose From is someone else 403;
# - OPTIONS to the PBX itself: 200 without credentials.
. "$(dirname "$0")/lib/common.sh"
DIGEST=$IT_DIR/lib/sip_digest.py

free_port PORT
free_port HTTP_PORT
PBX_SIP="udp:127.0.0.1:$PORT" PBX_HTTP="127.0.0.1:$HTTP_PORT" start_server "$EXAMPLES_DIR/pbx.lua"

run_uac "$SIPP_DIR/reg_register_auth.xml" "127.0.0.1:$PORT" -au alice -ap alice-secret -key user alice -key expires 600 ||
    fail "sipp REGISTER for alice failed (sipp exit $?)"
[ "$(sip_count "$T/uac_msg.log" '^SIP/2.0 200')" = 1 ] || fail "alice's authenticated REGISTER was not accepted"
mv "$T/uac_msg.log" "$T/uac_msg_alice.log"
run_uac "$SIPP_DIR/reg_register_auth.xml" "127.0.0.1:$PORT" -au alice -ap nope -key user alice -key expires 600
[ "$(sip_count "$T/uac_msg.log" '^SIP/2.0 401')" = 2 ] || fail "a wrong password did not get 401 again"

finals() { tr -d '\r' | grep -E '^SIP/2\.0 [2-6][0-9]{2}'; }
# digest_final USER PASSWORD METHOD RURI [HEADERS...]: the final reply after answering the challenge
digest_final() {
    local user=$1 pw=$2
    shift 2
    sip_request "$@" | python3 "$DIGEST" --port "$PORT" --user "$user" --password "$pw" | finals | tail -1
}
got=$(digest_final alice alice-secret REGISTER "sip:127.0.0.1:$PORT" "To: <sip:bob@127.0.0.1>" "Contact: <sip:x@192.0.2.1>")
[[ $got == "SIP/2.0 403 "* ]] || fail "alice registering bob's AOR: $got"

got=$(sip_request INVITE "sip:bob@127.0.0.1:$PORT" "From: <sip:alice@127.0.0.1>;tag=a1" | sip_send_raw udp "$PORT" | finals)
[[ $got == "SIP/2.0 407 "* ]] || fail "INVITE without credentials: $got"
got=$(digest_final alice alice-secret INVITE "sip:dave@127.0.0.1:$PORT" "From: <sip:alice@127.0.0.1>;tag=a2")
[[ $got == "SIP/2.0 404 "* ]] || fail "call to an unknown user: $got"
got=$(digest_final alice alice-secret INVITE "sip:bob@127.0.0.1:$PORT" "From: <sip:alice@127.0.0.1>;tag=a3")
[[ $got == "SIP/2.0 480 "* ]] || fail "call to bob, not registered: $got"
got=$(digest_final alice alice-secret INVITE "sip:bob@127.0.0.1:$PORT" "From: <sip:carol@127.0.0.1>;tag=a4")
[[ $got == "SIP/2.0 403 "* ]] || fail "alice calling as carol: $got"
got=$(sip_request OPTIONS "sip:127.0.0.1:$PORT" | sip_send_raw udp "$PORT" | finals)
[[ $got == "SIP/2.0 200 "* ]] || fail "OPTIONS to the PBX: $got"

server_alive
stop_server
pass
