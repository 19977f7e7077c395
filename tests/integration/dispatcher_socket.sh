#!/usr/bin/env bash
# The dispatcher's socket attribute (and msg.socket) picks the listener a request leaves from:
# two UDP+TCP listeners (127.0.0.1:P1, 127.0.0.2:P2); raw peers check the packet's source and
# our Via (and Record-Route) for stateless forwards, tm relays with their retransmissions, the
# CANCEL and the ACK of a 487, TCP, TLS, tm.request{socket=} and the dispatcher's OPTIONS probes.
# A socket that is not one of our listeners skips its line (file:line), or refuses the list
# with strict = true; lunasip -c (no listeners) checks the form only.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/certs.sh"
need_tm

free_port P1; free_port P2; free_port U1; free_port U2; free_port U3; free_port U5; free_port U6
free_port S1; free_port S2; free_port UT; free_port U7
A1=127.0.0.1 A2=127.0.0.2
make_certs "$T/certs"
export DS_LIST=$T/ds.list TLS_DIR=$T/certs
cat >"$DS_LIST" <<LIST
1 sip:127.0.0.1:$U1 0 0 socket=udp:$A2:$P2
2 sip:127.0.0.1:$U2 0 0 socket=udp:$A1:$P1
3 sip:127.0.0.1:$U3;transport=tcp 0 0 socket=tcp:$A2:$P2
4 sip:127.0.0.1:$U3 0 0 socket=udp:10.9.9.9:5060
5 sip:127.0.0.1:$U5 8 0 socket=udp:$A2:$P2
6 sip:127.0.0.1:$U6 0 0 socket=udp:$A2:$P2
7 sip:127.0.0.1:$UT;transport=tls 0 0 socket=tls:$A2:$S2
LIST
LISTEN=(-l "udp:$A1:$P1" -l "tcp:$A1:$P1" -l "udp:$A2:$P2" -l "tcp:$A2:$P2" -l "tls:$A1:$S1" -l "tls:$A2:$S2")
start_server "$SCRIPT_DIR/send_socket.lua" "${LISTEN[@]}"
assert_log "ds.list:4: socket 'udp:10.9.9.9:5060' is not one of our listeners; line skipped" "the unknown socket warning"

# listen PROTO PORT OUT [ARGS...]: a raw UAS in the background answering 200, its output in OUT,
# its pid in LPID.
listen() {
    local proto=$1 port=$2 out=$3
    shift 3
    python3 "$SIP_RAW" listen --proto "$proto" --port "$port" --peer --reply 200 --timeout 8 "$@" >"$out" &
    LPID=$!
    _PIDS+=("$LPID")
    wait_bound "$proto" "$port" 5 || fail "the raw UAS did not bind $proto $port"
}
# check OUT WHAT PEER_REGEX VIA_REGEX: the first message in OUT came from PEER with our Via.
check() {
    local msg
    msg=$(sed -n '/^PEER /,/^----$/p' "$1" | tr -d '\r')
    [[ $(head -1 <<<"$msg") =~ ^PEER\ $3$ ]] || fail "$2: sent from $(head -1 <<<"$msg"), expected $3"
    [[ $(vias "$(tail -n +2 <<<"$msg")" | head -1) =~ ^$4 ]] ||
        fail "$2: top Via $(vias "$(tail -n +2 <<<"$msg")" | head -1), expected $4"
}

# 1. Stateless, set 1 (socket P2): the request came in on P1 and leaves from P2.
listen udp "$U1" "$T/u1.txt"
sip_request OPTIONS "sip:x@127.0.0.1:$U1" "X-Set: 1" "X-Stateless: 1" | expect_status udp "$P1" 200 "stateless to set 1"
_wait_pid "$LPID" 10
check "$T/u1.txt" "stateless forward" "$A2:$P2" "SIP/2.0/UDP $A2:$P2;branch=z9hG4bKsl"

# 2. tm relay with record-routing: leaves from P2; Record-Route names both listeners (RFC 5658).
listen udp "$U1" "$T/u1b.txt"
sip_request OPTIONS "sip:x@127.0.0.1:$U1" "X-Set: 1" "X-RR: 1" | expect_status udp "$P1" 200 "tm relay to set 1"
_wait_pid "$LPID" 10
check "$T/u1b.txt" "tm relay" "$A2:$P2" "SIP/2.0/UDP $A2:$P2;branch=z9hG4bKtm"
rr=$(grep -i '^Record-Route:' "$T/u1b.txt" | tr -d '\r')
grep -q "sip:$A2:$P2;lr" <<<"$rr" && grep -q "sip:$A1:$P1;lr" <<<"$rr" ||
    fail "Record-Route does not name both listeners: $rr"

# 3. Set 2 (socket P1): a request that came in on P2 leaves from P1; the reply goes back from
# P2, where the request came in (a local reply too).
listen udp "$U2" "$T/u2.txt"
out=$(sip_request OPTIONS "sip:x@127.0.0.1:$U2" "X-Set: 2" | sip_send_raw udp "$P2" --host "$A2" --peer)
[[ $(status_line "$out") == "SIP/2.0 200 "* ]] || fail "tm relay to set 2 (sent to $A2:$P2): $(status_line "$out")"
[ "$(grep -m1 '^PEER ' <<<"$out")" = "PEER $A2:$P2" ] || fail "the relayed reply came from $(grep -m1 '^PEER ' <<<"$out")"
out=$(sip_request OPTIONS "sip:x@127.0.0.1:$U2" "X-Report: 1" | sip_send_raw udp "$P2" --host "$A2" --peer)
[ "$(grep -m1 '^PEER ' <<<"$out")" = "PEER $A2:$P2" ] || fail "the local reply came from $(grep -m1 '^PEER ' <<<"$out")"
_wait_pid "$LPID" 10
check "$T/u2.txt" "socket P1" "$A1:$P1" "SIP/2.0/UDP $A1:$P1;"

# 4. TCP (set 3, socket tcp:A2:P2): the connection is made from A2, the Via names tcp:A2:P2.
listen tcp "$U3" "$T/u3.txt"
sip_request OPTIONS "sip:x@127.0.0.1:$U3;transport=tcp" "X-Set: 3" | expect_status udp "$P1" 200 "tm relay over TCP to set 3"
_wait_pid "$LPID" 10
check "$T/u3.txt" "TCP" "$A2:[0-9]+" "SIP/2.0/TCP $A2:$P2;"

# 4b. TLS (set 7, socket tls:A2:S2): the same, with the peer's certificate checked.
python3 "$IT_DIR/lib/tls_peer.py" --peer --port "$UT" --cert "$T/certs/peer.pem" --key "$T/certs/peer.key" \
    --timeout 8 >"$T/ut.txt" &
LPID=$!
_PIDS+=("$LPID")
wait_bound tcp "$UT" 5 || fail "the TLS peer did not bind"
sip_request OPTIONS "sip:x@127.0.0.1:$UT;transport=tls" "X-Set: 7" | expect_status udp "$P1" 200 "tm relay over TLS to set 7"
_wait_pid "$LPID" 10
check "$T/ut.txt" "TLS" "$A2:[0-9]+" "SIP/2.0/TLS $A2:$S2;"

# 4c. tm.request{socket=}: a local request leaves from that listener and names it in From.
listen udp "$U7" "$T/u7.txt"
sip_request OPTIONS "sip:x@127.0.0.1:$P1" "X-Uac: sip:127.0.0.1:$U7" "X-Uac-Socket: udp:$A2:$P2" |
    expect_status udp "$P1" 200 "tm.request with socket"
_wait_pid "$LPID" 10
check "$T/u7.txt" "tm.request{socket=}" "$A2:$P2" "SIP/2.0/UDP $A2:$P2;"
grep -qi "^From: <sip:lunasip@$A2:$P2>" "$T/u7.txt" || fail "tm.request's From does not name the socket: $(cat "$T/u7.txt")"

# 5. msg.socket from the route, read back; a socket that is not ours is a route error (500).
out=$(sip_request OPTIONS "sip:x@127.0.0.1:$U1" "X-Socket: udp:$A2:$P2" "X-Report: 1" | sip_send_raw udp "$P1")
[[ $(status_line "$out") == "SIP/2.0 200 socket udp:$A2:$P2" ]] || fail "msg.socket reads back as: $(status_line "$out")"
out=$(sip_request OPTIONS "sip:x@127.0.0.1:$U1" "X-Set: 2" "X-Report: 1" | sip_send_raw udp "$P1")
[[ $(status_line "$out") == "SIP/2.0 200 socket udp:$A1:$P1" ]] || fail "dispatcher.select set msg.socket to: $(status_line "$out")"
listen udp "$U1" "$T/u1c.txt"
sip_request OPTIONS "sip:x@127.0.0.1:$U1" "X-Socket: udp:$A2:$P2" "X-Stateless: 1" | expect_status udp "$P1" 200 "msg.socket"
_wait_pid "$LPID" 10
check "$T/u1c.txt" "msg.socket" "$A2:$P2" "SIP/2.0/UDP $A2:$P2;"
sip_request OPTIONS "sip:x@127.0.0.1:$U1" "X-Socket: udp:10.9.9.9:5060" | expect_status udp "$P1" 500 "a socket not ours"
assert_log "msg.socket: 'udp:10.9.9.9:5060' is not one of our listeners" "the msg.socket error"

# 6. INVITE through tm to set 6: its retransmissions, our CANCEL and the ACK of the 487 all
# leave from P2.
python3 - "$A1" "$P1" "$U6" >"$T/cancel.txt" <<'PY' || fail "INVITE/CANCEL exchange: $(cat "$T/cancel.txt")"
import socket, sys, time
lhost, lport, uport = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
uas = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); uas.bind(("127.0.0.1", uport)); uas.settimeout(6)
uac = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); uac.bind(("127.0.0.1", 0)); uac.settimeout(6)
me = "127.0.0.1:%d" % uac.getsockname()[1]
def req(method):
    return ("%s sip:x@127.0.0.1:%d SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bKsock1;rport\r\n"
            "Max-Forwards: 70\r\nFrom: <sip:a@127.0.0.1>;tag=a1\r\nTo: <sip:x@127.0.0.1>\r\n"
            "Call-ID: sock-cancel\r\nCSeq: 1 %s\r\nX-Set: 6\r\nContent-Length: 0\r\n\r\n"
            % (method, uport, me, method)).encode()
def reply(msg, code, reason):
    head = [l for l in msg.split(b"\r\n\r\n")[0].split(b"\r\n")[1:]
            if l.split(b":")[0].lower() in (b"via", b"from", b"to", b"call-id", b"cseq")]
    head = [l + b";tag=b1" if l.lower().startswith(b"to:") else l for l in head]
    return b"SIP/2.0 %d %s\r\n" % (code, reason) + b"\r\n".join(head) + b"\r\nContent-Length: 0\r\n\r\n"
def got(msg, peer):
    print("PEER %s:%d %s" % (peer[0], peer[1], msg.split(b" ")[0].decode()))
    top = [l for l in msg.split(b"\r\n") if l.lower().startswith(b"via:")][0]
    print("VIA %s" % top.decode())
uac.sendto(req("INVITE"), (lhost, lport))
n = 0
while n < 2:                               # the INVITE and one retransmission (timer A)
    invite, peer = uas.recvfrom(65535)
    if invite.startswith(b"INVITE"):
        got(invite, peer); n += 1
    else:                                  # a late retransmission of an earlier case
        print("OTHER %s" % invite.split(b"\r\n")[0].decode())
uas.sendto(reply(invite, 180, b"Ringing"), peer)
while b" 180 " not in uac.recv(65535)[:16]:
    pass
uac.sendto(req("CANCEL"), (lhost, lport))
while True:
    m, peer = uas.recvfrom(65535)
    if m.startswith(b"CANCEL"):
        got(m, peer); break
uas.sendto(reply(m, 200, b"OK"), peer)
uas.sendto(reply(invite, 487, b"Request Terminated"), peer)
while True:
    m, peer = uas.recvfrom(65535)
    if m.startswith(b"ACK"):
        got(m, peer); break
PY
grep -c "^PEER $A2:$P2 INVITE$" "$T/cancel.txt" | grep -qx 2 || fail "INVITE or its retransmission not from $A2:$P2: $(cat "$T/cancel.txt")"
grep -q "^PEER $A2:$P2 CANCEL$" "$T/cancel.txt" || fail "CANCEL not from $A2:$P2: $(cat "$T/cancel.txt")"
grep -q "^PEER $A2:$P2 ACK$" "$T/cancel.txt" || fail "ACK not from $A2:$P2: $(cat "$T/cancel.txt")"
[ "$(grep -c "^VIA Via: SIP/2.0/UDP $A2:$P2;branch=z9hG4bKtm" "$T/cancel.txt")" -eq 4 ] ||
    fail "a Via does not name $A2:$P2: $(cat "$T/cancel.txt")"

# 7. The OPTIONS probe of set 5 (socket P2) leaves from P2 and names it.
listen udp "$U5" "$T/u5.txt"
_wait_pid "$LPID" 10
check "$T/u5.txt" "probe" "$A2:$P2" "SIP/2.0/UDP $A2:$P2;branch=z9hG4bKtm"
grep -q '^OPTIONS sip:127.0.0.1:'"$U5"' SIP/2.0' "$T/u5.txt" || fail "the probe is not an OPTIONS: $(cat "$T/u5.txt")"
server_alive
stop_server

# 8. lunasip -c opens no listeners: the unknown socket passes, a malformed one does not.
out=$("$LUNASIP_BIN" -c -f "$SCRIPT_DIR/send_socket.lua" -U "$LUNASIP_UNITS" 2>&1) || fail "-c with the list: $out"
printf '1 sip:127.0.0.1:5 0 0 socket=udp:not-an-ip:5060\n' >"$T/bad.list"
out=$(DS_STRICT=1 DS_LIST=$T/bad.list "$LUNASIP_BIN" -c -f "$SCRIPT_DIR/send_socket.lua" -U "$LUNASIP_UNITS" 2>&1); rc=$?
[ $rc -eq 1 ] && [[ $out == *"bad.list:1: bad socket: udp:not-an-ip:5060: not a numeric"* ]] ||
    fail "-c with a malformed socket: rc=$rc: $out"

# 9. strict = true: the unknown socket refuses the list (start-up fails, naming file:line).
out=$(DS_STRICT=1 timeout 10 "$LUNASIP_BIN" -f "$SCRIPT_DIR/send_socket.lua" -U "$LUNASIP_UNITS" "${LISTEN[@]}" 2>&1); rc=$?
[ $rc -eq 1 ] && [[ $out == *"ds.list:4: socket 'udp:10.9.9.9:5060' is not one of our listeners (strict = true"* ]] ||
    fail "strict with an unknown socket: rc=$rc: $out"
pass
