#!/usr/bin/env bash
# Parallel forking (scripts/registrar.lua: registrar.lookup, then tm.relay): bob has two
# registered sipp UASes and every call rings both at once.
# - the first 200 wins: the UAC gets it (and the dialog's ACK and BYE through the proxy), the
#   other UAS, ringing, gets a CANCEL (its scenario fails without one) and answers 487;
# - a 603 from one ends the search: the ringing one gets a CANCEL, the UAC gets the 603;
# - a CANCEL from the caller reaches both branches, the UAC gets 487;
# - with opts.q_groups, the q=0.5 phone rings only after the q=1.0 one answered 486 (which
#   fails if it gets a CANCEL, as it would when both rang at once), then answers the call.
. "$(dirname "$0")/lib/common.sh"
DIGEST=$IT_DIR/lib/sip_digest.py

free_port PORT
start_server "$SCRIPT_DIR/registrar.lua" -l "udp:127.0.0.1:$PORT" -v

# register bob's two phones from their own ports (their Contacts are their sources: not natted)
register_bob() {  # register_bob PORT1 PORT2
    local p
    for p in "$@"; do
        sip_request REGISTER "sip:127.0.0.1:$PORT" "To: <sip:bob@127.0.0.1>" "Call-ID: bob-$p-$RANDOM" \
            "Contact: <sip:bob@127.0.0.1:$p>;expires=30" |
            python3 "$DIGEST" --port "$PORT" --lport "$p" | tr -d '\r' >>"$T/replies.log"
    done
    [ "$(grep -c "^SIP/2.0 200" "$T/replies.log")" -ge 2 ] || fail "bob's phones could not register"
}
count_inv() { sip_count "$1" '^INVITE '; }

# 1. the first 200 wins, the other branch is cancelled
free_port A
free_port B
register_bob "$A" "$B"
start_sipp_uas ringing "$SIPP_DIR/tm_uas_cancel.xml" "$A" -m 1
start_sipp_uas answer "$SIPP_DIR/uas_call_rr.xml" "$B" -m 1
run_uac "$SIPP_DIR/uac_call_rr.xml" "127.0.0.1:$PORT" -s bob -key tp udp ||
    fail "call to bob: the UAC did not get its 200 (sipp exit $?)"
_wait_pid "${UAS_PIDS[answer]}" 10 && [ "$WAIT_RC" = 0 ] || fail "the answering UAS did not complete its call"
_wait_pid "${UAS_PIDS[ringing]}" 6 && [ "$WAIT_RC" = 0 ] || fail "the ringing UAS got no CANCEL after the other's 200"
[ "$(count_inv "$T/ringing_msg.log")" = 1 ] && [ "$(count_inv "$T/answer_msg.log")" = 1 ] ||
    fail "both phones did not ring"
inv=$(trace_msg "$T/ringing_msg.log" received '^INVITE ')
[[ $(sed -n 1p <<<"$inv") == "INVITE sip:bob@127.0.0.1:$A SIP/2.0" ]] || fail "branch R-URI: $(sed -n 1p <<<"$inv")"
[[ $(header_of "$inv" Record-Route) == "<sip:127.0.0.1:$PORT;lr>" ]] || fail "the forked copy is not record-routed"
[ "$(sip_count "$T/uac_msg.log" '^SIP/2.0 200 ')" -ge 1 ] || fail "no 200 at the UAC"
[ "$(sip_count "$T/uac_msg.log" '^SIP/2.0 487 ')" = 0 ] || fail "the cancelled branch's 487 reached the UAC"
assert_log 'forked to 2 branch' "the INVITE forked to both bindings"
mkdir "$T/1" && mv "$T"/*_msg.log "$T"/*.out "$T/1/"

# 2. a 603 cancels the other branch and goes upstream
free_port C
free_port D
sip_request REGISTER "sip:127.0.0.1:$PORT" "To: <sip:bob@127.0.0.1>" "Contact: *" "Expires: 0" "Call-ID: clear-$RANDOM" |
    sip_send_raw udp "$PORT" >/dev/null
register_bob "$C" "$D"
start_sipp_uas ringing "$SIPP_DIR/tm_uas_cancel.xml" "$C" -m 1
start_sipp_uas decline "$SIPP_DIR/fork_uas_603.xml" "$D" -m 1
run_uac "$SIPP_DIR/fork_uac_603.xml" "127.0.0.1:$PORT" -s bob || fail "the UAC did not get the 603 (sipp exit $?)"
_wait_pid "${UAS_PIDS[ringing]}" 6 && [ "$WAIT_RC" = 0 ] || fail "the ringing UAS got no CANCEL after the 603"
_wait_pid "${UAS_PIDS[decline]}" 10 && [ "$WAIT_RC" = 0 ] || fail "the declining UAS did not get its ACK"
mkdir "$T/2" && mv "$T"/*_msg.log "$T"/*.out "$T/2/"

# 3. the caller's CANCEL reaches every branch
free_port E
free_port F
sip_request REGISTER "sip:127.0.0.1:$PORT" "To: <sip:bob@127.0.0.1>" "Contact: *" "Expires: 0" "Call-ID: clear-$RANDOM" |
    sip_send_raw udp "$PORT" >/dev/null
register_bob "$E" "$F"
start_sipp_uas r1 "$SIPP_DIR/tm_uas_cancel.xml" "$E" -m 1
start_sipp_uas r2 "$SIPP_DIR/tm_uas_cancel.xml" "$F" -m 1
run_uac "$SIPP_DIR/fork_uac_cancel.xml" "127.0.0.1:$PORT" -s bob ||
    fail "the cancelling UAC did not get 200 for its CANCEL and 487 (sipp exit $?)"
_wait_pid "${UAS_PIDS[r1]}" 6 && [ "$WAIT_RC" = 0 ] || fail "branch 1 got no CANCEL"
_wait_pid "${UAS_PIDS[r2]}" 6 && [ "$WAIT_RC" = 0 ] || fail "branch 2 got no CANCEL"

server_alive
stop_server

# 4. q groups: q=1.0 first, q=0.5 once the first group failed
mkdir "$T/3" && mv "$T"/*_msg.log "$T"/*.out "$T/3/"
free_port PORT
REG_QGROUPS=1 start_server "$SCRIPT_DIR/registrar.lua" -l "udp:127.0.0.1:$PORT" -v
free_port G
free_port H
for pq in "$G 1.0" "$H 0.5"; do
    set -- $pq
    sip_request REGISTER "sip:127.0.0.1:$PORT" "To: <sip:bob@127.0.0.1>" "Call-ID: q-$1" \
        "Contact: <sip:bob@127.0.0.1:$1>;q=$2;expires=30" |
        python3 "$DIGEST" --port "$PORT" --lport "$1" | tr -d '\r' >>"$T/replies.log"
done
start_sipp_uas first "$SIPP_DIR/fork_uas_486_late.xml" "$G" -m 1
start_sipp_uas second "$SIPP_DIR/uas_call_rr.xml" "$H" -m 1
run_uac "$SIPP_DIR/uac_call_rr.xml" "127.0.0.1:$PORT" -s bob -key tp udp ||
    fail "q groups: the call did not reach the q=0.5 phone (sipp exit $?)"
_wait_pid "${UAS_PIDS[first]}" 10 && [ "$WAIT_RC" = 0 ] || fail "q groups: the q=1.0 phone was cancelled or got no ACK"
_wait_pid "${UAS_PIDS[second]}" 10 && [ "$WAIT_RC" = 0 ] || fail "q groups: the q=0.5 phone did not complete the call"
[ "$(sip_count "$T/uac_msg.log" '^SIP/2.0 486 ')" = 0 ] || fail "q groups: the first group's 486 reached the caller"
assert_log 'next q group \(q=0.500\): 1 branch' "the second q group"

server_alive
stop_server
pass
