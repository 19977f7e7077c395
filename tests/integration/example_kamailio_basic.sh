#!/usr/bin/env bash
# examples/kamailio-basic.lua (Kamailio's basic KEMI script ported) runs and routes as the
# original does: keepalive OPTIONS 200, Max-Forwards 0 -> 483, scanners get 200, a stray
# in-dialog request 404 "Not here", a foreign caller to a foreign domain 403 "Not relaying",
# REGISTER 401 then 200 with digest, a local caller 407 then relayed to the callee's registered
# contact (whose 486 comes back), an unknown user 404, no R-URI user 484. -c gives no warning.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/http.sh"
need_tm
DIGEST=$IT_DIR/lib/sip_digest.py
SCRIPT=$EXAMPLES_DIR/kamailio-basic.lua

out=$("$LUNASIP_BIN" -c -f "$SCRIPT" -U "$LUNASIP_UNITS" 2>"$T/check.err") || fail "-c: $out"
grep -qi warn "$T/check.err" && fail "-c warns: $(cat "$T/check.err")"

free_port PORT; free_port UAS
KB_SIP="udp:127.0.0.1:$PORT" start_server "$SCRIPT"
ME="127.0.0.1:$PORT"
finals() { grep -E '^SIP/2\.0 [2-6][0-9]{2}' | tr -d '\r'; }
last_final() { finals | tail -1; }

sip_request OPTIONS "sip:$ME" | expect_status udp "$PORT" 200 "keepalive OPTIONS"
grep -q '^SIP/2.0 200 Keepalive' "$T/raw_replies.log" || fail "the keepalive reply is not 'Keepalive'"
sip_request OPTIONS "sip:bob@$ME" "Max-Forwards: 0" | expect_status udp "$PORT" 483 "Max-Forwards 0"
sip_request OPTIONS "sip:bob@$ME" "User-Agent: friendly-scanner" | expect_status udp "$PORT" 200 "a scanner"
sip_request BYE "sip:bob@$ME" "To: <sip:bob@$ME>;tag=x1" | expect_status udp "$PORT" 404 "in-dialog without a route"
grep -q '^SIP/2.0 404 Not here' "$T/raw_replies.log" || fail "the in-dialog 404 is not 'Not here'"
sip_request MESSAGE "sip:carol@example.org" "From: <sip:mallory@example.net>;tag=m1" \
    | expect_status udp "$PORT" 403 "a foreign caller to a foreign domain"

# REGISTER: challenged, then accepted with the right password (realm: the From host).
reg() {
    sip_request REGISTER "sip:$ME" "From: <sip:alice@$ME>;tag=r$RANDOM" "To: <sip:alice@$ME>" \
        "Contact: <sip:alice@127.0.0.1:$UAS>" "Expires: 300"
}
# (sent from the contact's own port: a Contact that is not the packet's source counts as NAT)
got=$(reg | python3 "$DIGEST" --port "$PORT" --lport "$UAS" --user alice --password alice-secret | finals)
[ "$(sed -n 1p <<<"$got")" = "SIP/2.0 401 Unauthorized" ] && [ "$(sed -n 2p <<<"$got")" = "SIP/2.0 200 OK" ] \
    || fail "REGISTER with digest: $got"
got=$(reg | python3 "$DIGEST" --port "$PORT" --lport "$UAS" --user alice --password wrong | last_final)
[[ $got == "SIP/2.0 401 "* ]] || fail "REGISTER with a wrong password: $got"

# A call from alice (ours: 407 first) to alice's registered contact, where a peer answers 486.
python3 "$SIP_RAW" listen --port "$UAS" --timeout 8 --reply 486 >"$T/uas.txt" &
_PIDS+=("$!")
sleep 0.2
got=$(sip_request INVITE "sip:alice@$ME" "From: <sip:alice@$ME>;tag=c1" \
    | python3 "$DIGEST" --port "$PORT" --user alice --password alice-secret --timeout 5 | finals)
[ "$(sed -n 1p <<<"$got")" = "SIP/2.0 407 Proxy Authentication Required" ] || fail "INVITE without credentials: $got"
[ "$(tail -1 <<<"$got")" = "SIP/2.0 486 Test" ] || fail "the callee's 486 did not come back: $got"
grep -q "^INVITE sip:alice@127.0.0.1:$UAS" "$T/uas.txt" || fail "the INVITE did not reach the registered contact"
grep -qi '^Proxy-Authorization' "$T/uas.txt" && fail "the credentials were relayed (not consumed)"
grep -qi '^Record-Route:' "$T/uas.txt" || fail "the INVITE was not record-routed"

got=$(sip_request INVITE "sip:bob@$ME" "From: <sip:alice@$ME>;tag=c2" \
    | python3 "$DIGEST" --port "$PORT" --user alice --password alice-secret | last_final)
[ "$got" = "SIP/2.0 404 Not Found" ] || fail "a user without a registration: $got"
got=$(sip_request INVITE "sip:$ME" "From: <sip:alice@$ME>;tag=c3" \
    | python3 "$DIGEST" --port "$PORT" --user alice --password alice-secret | last_final)
[ "$got" = "SIP/2.0 484 Address Incomplete" ] || fail "no user in the R-URI: $got"
server_alive
stop_server
pass
