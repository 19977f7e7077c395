#!/usr/bin/env bash
# Header changes made by a route (scripts/headers.lua) reach the UAS: the UAC's
# INVITE carries Subject: original and X-Remove-Me; the route appends
# X-Lunasip: yes, sets Subject to "changed" and removes X-Remove-Me, and the UAS
# scenario (sipp/uas_headers.xml) fails the call unless it sees exactly that.
# Also: headers given to msg:reply as a table or a string reach the UAC.
. "$(dirname "$0")/lib/common.sh"

free_port PORT
free_port UAS_PORT
start_server "$SCRIPT_DIR/headers.lua" -l "udp:127.0.0.1:$PORT" -l "tcp:127.0.0.1:$PORT"
start_uas "$SIPP_DIR/uas_headers.xml" "$UAS_PORT"

run_uac "$SIPP_DIR/uac_call.xml" "127.0.0.1:$UAS_PORT" -rsa "127.0.0.1:$PORT" -key tp udp ||
    fail "UAC call failed (sipp exit $?)"
wait_uas || fail "UAS rejected the INVITE's headers (sipp exit $?), see uas_err.log"

inv=$(trace_msg "$T/uas_msg.log" received '^INVITE ')
[ "$(header_of "$inv" X-Lunasip)" = yes ] || fail "X-Lunasip missing at the UAS"
[ "$(header_of "$inv" Subject)" = changed ] || fail "Subject at the UAS is '$(header_of "$inv" Subject)'"
[ -z "$(header_of "$inv" Subject 2)" ] || fail "two Subject headers at the UAS"
[ -z "$(header_of "$inv" X-Remove-Me)" ] || fail "X-Remove-Me still at the UAS"
# the body went through untouched
grep -q '^m=audio [0-9]* RTP/AVP 0' <<<"$inv" || fail "SDP body lost at the UAS"
assert_no_log 'ERROR \[lua\]' "a route error"

for kind in table string; do
    out=$(sip_request OPTIONS "sip:$kind@127.0.0.1:$PORT" | sip_send_raw udp "$PORT" --timeout 3)
    [[ $(status_line "$out") == "SIP/2.0 200 "* ]] || fail "OPTIONS ($kind headers): $out"
    [ "$(header_of "$(tr -d '\r' <<<"$out")" X-Reply)" = "from-$kind" ] ||
        fail "reply header given as a $kind missing: $out"
done
[[ $(status_line "$out") == "SIP/2.0 200 Fine" ]] || fail "reason phrase 'Fine' not used: $(status_line "$out")"

# msg:header() gives the bytes as received: an Authorization of a scheme nobody knows, a folded
# Subject joined by one space, each comma-separated Via value on its own
auth='NewScheme realm="a,b",  opaque=%00x;y , response = "q"'
out=$(sip_request OPTIONS "sip:echo@127.0.0.1:$PORT" "Authorization: $auth" $'Subject: one\r\n  two' \
      "Via: SIP/2.0/@PROTO@ @LADDR@:@LPORT@;branch=z9hG4bKecho;rport , SIP/2.0/TCP [2001:db8::1]:5070;branch=z9hG4bKx" |
      sip_send_raw udp "$PORT" --timeout 3)
out=$(tr -d '\r' <<<"$out")
[ "$(header_of "$out" X-Auth)" = "$auth" ] || fail "Authorization not as received: $(header_of "$out" X-Auth)"
[ "$(header_of "$out" X-Subject)" = "one two" ] || fail "folded Subject: '$(header_of "$out" X-Subject)'"
[ "$(header_of "$out" X-Vias)" = 2 ] || fail "Via values: $(header_of "$out" X-Vias)"
[ "$(header_of "$out" X-Second-Via)" = "SIP/2.0/TCP [2001:db8::1]:5070;branch=z9hG4bKx" ] ||
    fail "second Via value: $(header_of "$out" X-Second-Via)"

server_alive
stop_server
pass
