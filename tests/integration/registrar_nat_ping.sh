#!/usr/bin/env bash
# NAT keepalive (nat_ping_interval = 1, nat_ping_failures = 2): a binding registered from behind
# a NAT (Contact 10.x, REGISTER from 127.0.0.1:PHONE) gets OPTIONS through tm at its source
# address; while it answers it stays; one that never answers is removed after 2 pings.
# A binding whose Contact is its source gets no keepalive.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/http.sh"
DIGEST=$IT_DIR/lib/sip_digest.py

REG_PING=1 start_http "$SCRIPT_DIR/registrar.lua"
free_port PHONE
free_port DEAD
free_port PLAIN
reg() {  # reg AOR LPORT CONTACT
    sip_request REGISTER "sip:127.0.0.1:$PORT" "To: <sip:$1@127.0.0.1>" "Contact: <$3>;expires=60" |
        python3 "$DIGEST" --port "$PORT" --lport "$2" | tr -d '\r' >>"$T/replies.log"
}
reg alice "$PHONE" "sip:alice@10.0.0.7:5060"
reg dead "$DEAD" "sip:dead@10.0.0.8:5060"
reg plain "$PLAIN" "sip:plain@127.0.0.1:$PLAIN"
grep -c '^SIP/2.0 200' "$T/replies.log" | grep -qx 3 || fail "the REGISTERs were not accepted: $(cat "$T/replies.log")"

# alice answers her keepalive; it came to the source address, for her Contact
python3 "$SIP_RAW" listen --proto udp --port "$PHONE" --timeout 4 --reply 200 >"$T/ping.log" ||
    fail "no keepalive reached the phone's source address"
first=$(sed -n 1p "$T/ping.log" | tr -d '\r')
[ "$first" = "OPTIONS sip:alice@10.0.0.7:5060 SIP/2.0" ] || fail "keepalive: $first"
# plain got none (nothing listens there; it must still be registered at the end)
for _ in $(seq 60); do grep -q 'dead: binding sip:dead@10.0.0.8:5060 removed: 2 keepalives unanswered' "$SERVER_LOG" && break; sleep 0.1; done
assert_log 'dead: binding sip:dead@10.0.0.8:5060 removed: 2 keepalives unanswered' "removal of the silent binding"
python3 "$SIP_RAW" listen --proto udp --port "$PHONE" --timeout 4 --reply 200 >/dev/null ||
    fail "no second keepalive to the phone"
expect_http 200 "GET /api/registrar" /api/registrar
python3 - "$HTTP_BODY" <<'PY' || fail "bindings after the keepalives: $HTTP_BODY"
import json, sys
aors = sorted(a["aor"] for a in json.loads(sys.argv[1])["aors"])
assert aors == ["alice", "plain"], aors
PY
assert_no_log 'plain: binding .* removed' "a keepalive for a binding not behind NAT"
expect_http 200 "GET /metrics" /metrics
n=$(sed -n 's/^lunasip_registrar_nat_pings_total //p' <<<"$HTTP_BODY")
[ "${n:-0}" -ge 4 ] || fail "nat pings counted: $n"

server_alive
stop_server
pass
