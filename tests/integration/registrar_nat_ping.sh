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
# alice's phone: registers from PHONE, then answers every request there for 30 s (in the
# background, so that no keepalive finds it deaf however slow the machine is)
sip_request REGISTER "sip:127.0.0.1:$PORT" "To: <sip:alice@127.0.0.1>" "Contact: <sip:alice@10.0.0.7:5060>;expires=60" |
    sed "s/@PROTO@/UDP/g; s/@LADDR@/127.0.0.1/g; s/@LPORT@/$PHONE/g" >"$T/alice_register"
python3 - "$PHONE" "$PORT" "$T/alice_register" >"$T/ping.log" 2>&1 <<'PY' &
import re, socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.sendto(open(sys.argv[3], "rb").read(), ("127.0.0.1", int(sys.argv[2])))
s.settimeout(0.2)
end = time.monotonic() + 30
while time.monotonic() < end:
    try:
        msg, peer = s.recvfrom(70000)
    except socket.timeout:
        continue
    head = msg.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    print(head[0].decode(), flush=True)
    if head[0].startswith(b"SIP/2.0"):
        continue
    keep = [h for h in head[1:] if re.match(rb"(?i)(via|v|from|f|to|t|call-id|i|cseq)[ \t]*:", h)]
    s.sendto(b"SIP/2.0 200 OK\r\n" + b"\r\n".join(keep) + b"\r\nContent-Length: 0\r\n\r\n", peer)
PY
_PIDS+=("$!")
reg dead "$DEAD" "sip:dead@10.0.0.8:5060"
reg plain "$PLAIN" "sip:plain@127.0.0.1:$PLAIN"
grep -c '^SIP/2.0 200' "$T/replies.log" | grep -qx 2 || fail "the REGISTERs were not accepted: $(cat "$T/replies.log")"
for _ in $(seq 100); do grep -q 'dead: binding sip:dead@10.0.0.8:5060 removed: 2 keepalives unanswered' "$SERVER_LOG" &&
    [ "$(grep -c '^OPTIONS' "$T/ping.log")" -ge 3 ] && break; sleep 0.1; done
assert_log 'dead: binding sip:dead@10.0.0.8:5060 removed: 2 keepalives unanswered' "removal of the silent binding"
[ "$(grep -c '^OPTIONS' "$T/ping.log")" -ge 3 ] || fail "keepalives at the phone's source address: $(cat "$T/ping.log")"
[ "$(grep -v '^SIP/2.0 200 OK' "$T/ping.log" | sort -u)" = "OPTIONS sip:alice@10.0.0.7:5060 SIP/2.0" ] ||
    fail "keepalives: $(sort -u "$T/ping.log")"
grep -q '^SIP/2.0 200 OK' "$T/ping.log" || fail "alice's REGISTER was not accepted"
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
