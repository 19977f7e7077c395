#!/usr/bin/env python3
"""WebSocket (RFC 6455) SIP client checks against lunasip's ws:/wss: listener (RFC 7118).

  ws_check.py --proto ws|wss --port P --udp-port U [--ca F] [--call-out UAS_PORT | --call-in]

The server runs tests/integration/ws.sh's script (config.websocket = { max_frame = 4096,
origins = { "https://good.test" } }, config.tcp.idle_timeout = 1, the registrar). Prints
'ok NAME' per check, 'FAIL NAME: why' and exits 1 at the first failure.
--call-out: only a call from this WS client to a UDP UAS (sipp) at UAS_PORT: INVITE, 200, then
ACK and BYE to the UAS's Contact along the route set. --call-in: only register as alice, print
'READY', then answer a call from a UDP UAC: 200 (copying Record-Route), ACK, BYE.
"""
import argparse
import base64
import hashlib
import os
import re
import socket
import ssl
import struct
import sys
import time

A = None


def fail(name, why):
    print("FAIL %s: %s" % (name, why), flush=True)
    sys.exit(1)


class WS:
    def __init__(self, origin="https://good.test", protocol="sip", version="13", expect=101):
        s = socket.create_connection(("127.0.0.1", A.port), timeout=5)
        if A.proto == "wss":
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.load_verify_locations(A.ca)
            s = ctx.wrap_socket(s, server_hostname="localhost")
        self.s = s
        self.buf = b""
        key = base64.b64encode(os.urandom(16)).decode()
        req = "GET /sip HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n" \
              "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: %s\r\n" % (key, version)
        if origin:
            req += "Origin: %s\r\n" % origin
        if protocol:
            req += "Sec-WebSocket-Protocol: %s\r\n" % protocol
        s.sendall((req + "\r\n").encode())
        while b"\r\n\r\n" not in self.buf:
            c = s.recv(4096)
            if not c:
                break
            self.buf += c
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        self.head = head.decode("latin1")
        m = re.match(r"HTTP/1\.1 (\d{3})", self.head)
        self.status = int(m.group(1)) if m else 0
        if self.status != expect:
            fail("handshake", "expected %d, got: %r" % (expect, self.head))
        if expect == 101:
            want = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest())
            if ("Sec-WebSocket-Accept: %s" % want.decode()) not in self.head:
                fail("handshake", "bad Sec-WebSocket-Accept: %r" % self.head)
            if not re.search(r"(?im)^Sec-WebSocket-Protocol: sip\r?$", self.head):
                fail("handshake", "no Sec-WebSocket-Protocol: sip in %r" % self.head)

    def send(self, op, payload, fin=True, mask=True, rsv=0, length=None):
        n = len(payload) if length is None else length
        b0 = (0x80 if fin else 0) | rsv | op
        if n < 126:
            h = struct.pack("!BB", b0, (0x80 if mask else 0) | n)
        elif n < 65536:
            h = struct.pack("!BBH", b0, (0x80 if mask else 0) | 126, n)
        else:
            h = struct.pack("!BBQ", b0, (0x80 if mask else 0) | 127, n)
        if mask:
            k = os.urandom(4)
            payload = bytes(b ^ k[i % 4] for i, b in enumerate(payload))
            h += k
        self.s.sendall(h + payload)

    def _need(self, n, timeout):
        end = time.monotonic() + timeout
        while len(self.buf) < n:
            left = end - time.monotonic()
            if left <= 0:
                raise socket.timeout()
            self.s.settimeout(left)
            c = self.s.recv(65536)
            if not c:
                raise EOFError()
            self.buf += c

    def recv(self, timeout=5):
        """(opcode, payload); server frames must be unmasked and final."""
        self._need(2, timeout)
        b0, b1 = self.buf[0], self.buf[1]
        if b1 & 0x80:
            fail("frames", "the server masked a frame")
        n, off = b1 & 0x7f, 2
        if n == 126:
            self._need(4, timeout)
            n, off = struct.unpack("!H", self.buf[2:4])[0], 4
        elif n == 127:
            self._need(10, timeout)
            n, off = struct.unpack("!Q", self.buf[2:10])[0], 10
        self._need(off + n, timeout)
        p = self.buf[off:off + n]
        self.buf = self.buf[off + n:]
        return b0 & 0x0f, p

    def recv_sip(self, timeout=5):
        while True:
            op, p = self.recv(timeout)
            if op in (1, 2):
                return p.decode("utf-8", "replace")
            if op == 8:
                fail("sip", "closed while waiting for SIP: %r" % p)

    def closed(self, timeout=3):
        """True when the server closes the TCP connection within timeout (frames are skipped)."""
        try:
            while True:
                self.recv(timeout)
        except EOFError:
            return True
        except (ConnectionError, ssl.SSLError):
            return True
        except socket.timeout:
            return False


def sip(method, ruri, extra="", body="", via=None, to=None):
    via = via or "SIP/2.0/%s abc.invalid;branch=z9hG4bK%s" % (A.proto.upper(), os.urandom(6).hex())
    return ("%s %s SIP/2.0\r\nVia: %s\r\nFrom: <sip:alice@test>;tag=%s\r\nTo: <%s>\r\nCall-ID: %s\r\n"
            "CSeq: 1 %s\r\nMax-Forwards: 70\r\n%sContent-Length: %d\r\n\r\n%s"
            % (method, ruri, via, os.urandom(4).hex(), to or ruri, os.urandom(8).hex(), method, extra, len(body),
               body)).encode()


def status(text):
    m = re.match(r"SIP/2\.0 (\d{3})", text)
    return int(m.group(1)) if m else 0


def options(ws, op=1):
    ws.send(op, sip("OPTIONS", "sip:127.0.0.1:%d" % A.port))
    r = ws.recv_sip()
    if status(r) != 200:
        fail("options", "no 200: %r" % r)
    if not re.search(r"(?im)^X-Proto: %s\r?$" % A.proto, r):
        fail("options", "msg.proto is not %s: %r" % (A.proto, r))
    return r


def check_close(ws, code, name):
    try:
        op, p = ws.recv()
    except (EOFError, socket.timeout, ConnectionError, ssl.SSLError) as e:
        fail(name, "no close frame (%r)" % e)
    if op != 8 or len(p) < 2 or struct.unpack("!H", p[:2])[0] != code:
        fail(name, "expected close %d, got op %d %r" % (code, op, p))
    if not ws.closed():
        fail(name, "connection still open after the close frame")
    print("ok %s" % name, flush=True)


def dialog_reply(req, code, extra=""):
    """A reply to req (its Via/From/To/Call-ID/CSeq; a To tag added, Record-Route copied)."""
    head = req.split("\r\n\r\n", 1)[0].split("\r\n")
    keep = []
    for h in head[1:]:
        if re.match(r"(?i)(via|from|call-id|cseq|record-route)\s*:", h):
            keep.append(h)
        elif re.match(r"(?i)to\s*:", h):
            keep.append(h if ";tag=" in h else h + ";tag=ws%s" % os.urandom(3).hex())
    return ("SIP/2.0 %d Answer\r\n" % code + "\r\n".join(keep) + "\r\n" + extra
            + "Content-Length: 0\r\n\r\n").encode()


def answer_back(ws, u, req, name):
    """Answer req 200 over ws; the UDP sender (socket u) must get that 200."""
    ws.send(1, dialog_reply(req, 200))
    u.settimeout(5)
    try:
        r = u.recv(65536).decode()
    except socket.timeout:
        fail(name, "the WS client's 200 did not reach the UDP sender")
    if status(r) != 200:
        fail(name, "UDP sender got %r" % r)


def call_in():
    """Registered as alice over WS: answer the INVITE a UDP phone sends through the proxy."""
    ws = WS()
    contact = "sip:alice@abc.invalid;transport=ws"
    ws.send(1, sip("REGISTER", "sip:127.0.0.1:%d" % A.port, "Contact: <%s>;expires=60\r\n" % contact,
                   to="sip:alice@127.0.0.1"))
    if status(ws.recv_sip()) != 200:
        fail("call in", "REGISTER refused")
    print("READY", flush=True)
    inv = ws.recv_sip(timeout=15)
    if not inv.startswith("INVITE "):
        fail("call in", "expected the INVITE, got %r" % inv)
    rr = re.findall(r"(?im)^Record-Route: (.*?)\r?$", inv)
    want = ["<sip:127.0.0.1:%d;transport=%s;lr>" % (A.port, A.proto), "<sip:127.0.0.1:%d;lr>" % A.udp_port]
    if rr != want:
        fail("call in", "Record-Route %r, expected %r" % (rr, want))
    ws.send(1, dialog_reply(inv, 200, "Contact: <%s>\r\n" % contact))
    ack = ws.recv_sip()
    if not ack.startswith("ACK %s " % contact):
        fail("call in", "expected the ACK to our Contact, got %r" % ack)
    bye = ws.recv_sip()
    if not bye.startswith("BYE %s " % contact):
        fail("call in", "expected the BYE to our Contact, got %r" % bye)
    ws.send(1, dialog_reply(bye, 200))
    print("ok call from a UDP phone to a WS client: INVITE, 200, ACK, BYE", flush=True)
    time.sleep(0.5)  # the 200 for the BYE leaves before the connection closes
    return 0


def call_out(uas_port):
    """Call a UDP phone (sipp UAS) from this WS client through the proxy and hang up."""
    ws = WS()
    ruri = "sip:uas@127.0.0.1:%d" % uas_port
    contact = "sip:bob@def.invalid;transport=ws"
    inv = sip("INVITE", ruri, "Contact: <%s>\r\nX-Direct: yes\r\n" % contact, body="v=0\r\n")
    ws.send(1, inv)
    while True:
        r = ws.recv_sip(timeout=10)
        if status(r) >= 200:
            break
    if status(r) != 200:
        fail("call out", "expected 200 for the INVITE, got %r" % r)
    rr = [v.strip() for line in re.findall(r"(?im)^Record-Route: (.*?)\r?$", r) for v in line.split(",")]
    want = ["<sip:127.0.0.1:%d;lr>" % A.udp_port, "<sip:127.0.0.1:%d;transport=%s;lr>" % (A.port, A.proto)]
    if rr != want:
        fail("call out", "Record-Route in the 200: %r, expected %r" % (rr, want))
    target = re.search(r"(?im)^Contact:\s*<([^>]+)>", r).group(1)
    hdr = lambda n: re.search(r"(?im)^%s:.*$" % n, r).group(0).rstrip("\r")
    route = "Route: " + ", ".join(reversed(rr)) + "\r\n"
    for method, cseq in (("ACK", 1), ("BYE", 2)):
        req = ("%s %s SIP/2.0\r\nVia: SIP/2.0/%s def.invalid;branch=z9hG4bK%s\r\n%s%s\r\n%s\r\n%s\r\n"
               "CSeq: %d %s\r\nMax-Forwards: 70\r\nContact: <%s>\r\nContent-Length: 0\r\n\r\n"
               % (method, target, A.proto.upper(), os.urandom(6).hex(), route, hdr("From"), hdr("To"),
                  hdr("Call-ID"), cseq, method, contact))
        ws.send(1, req.encode())
    r = ws.recv_sip()
    if status(r) != 200 or "BYE" not in r:
        fail("call out", "expected 200 for the BYE, got %r" % r)
    print("ok call from a WS client to a UDP phone: INVITE, 200, ACK, BYE", flush=True)
    return 0


def main():
    global A
    p = argparse.ArgumentParser()
    p.add_argument("--proto", choices=["ws", "wss"], required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--udp-port", type=int, required=True)
    p.add_argument("--ca")
    p.add_argument("--call-out", type=int)
    p.add_argument("--call-in", action="store_true")
    A = p.parse_args()
    if A.call_out:
        return call_out(A.call_out)
    if A.call_in:
        return call_in()

    # handshake checks
    WS(protocol=None, expect=400)
    WS(protocol="chat, mqtt", expect=400)
    WS(origin="https://evil.test", expect=403)
    WS(origin=None, expect=403)
    WS(version="8", expect=426)
    print("ok handshake refusals", flush=True)

    ws = WS(protocol="chat, sip")
    options(ws)
    print("ok text frame", flush=True)
    options(ws, op=2)
    print("ok binary frame", flush=True)
    msg = sip("OPTIONS", "sip:127.0.0.1:%d" % A.port)
    ws.send(1, msg[:10], fin=False)
    ws.send(9, b"hello")  # a ping between fragments
    op, pl = ws.recv()
    if op != 10 or pl != b"hello":
        fail("ping", "expected pong 'hello', got op %d %r" % (op, pl))
    ws.send(0, msg[10:30], fin=False)
    ws.send(0, msg[30:])
    r = ws.recv_sip()
    if status(r) != 200:
        fail("fragments", "no 200 for a fragmented message: %r" % r)
    print("ok fragments and ping/pong", flush=True)

    # a request to a WS client goes over the connection it registered on
    contact = "sip:alice@abc.invalid;transport=ws"
    ws.send(1, sip("REGISTER", "sip:127.0.0.1:%d" % A.port, "Contact: <%s>;expires=60\r\n" % contact,
                     to="sip:alice@127.0.0.1"))
    r = ws.recv_sip()
    if status(r) != 200:
        fail("register", "REGISTER over %s not accepted: %r" % (A.proto, r))
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    lp = u.getsockname()[1]
    u.sendto(sip("MESSAGE", "sip:alice@127.0.0.1:%d" % A.udp_port, body="hi",
                 via="SIP/2.0/UDP 127.0.0.1:%d;rport;branch=z9hG4bK%s" % (lp, os.urandom(6).hex())),
             ("127.0.0.1", A.udp_port))
    got = ws.recv_sip()
    if not got.startswith("MESSAGE sip:alice@abc.invalid"):
        fail("to ws client", "expected the MESSAGE on the registered connection, got %r" % got)
    top = re.search(r"(?im)^Via: (.*?)\r?$", got).group(1)
    if not top.startswith("SIP/2.0/%s 127.0.0.1:%d;" % (A.proto.upper(), A.port)):
        fail("to ws client", "top Via does not name our %s listener: %s" % (A.proto, top))
    rr = re.findall(r"(?im)^Record-Route: (.*?)\r?$", got)
    want = ["<sip:127.0.0.1:%d;transport=%s;lr>" % (A.port, A.proto), "<sip:127.0.0.1:%d;lr>" % A.udp_port]
    if rr != want:
        fail("to ws client", "Record-Route %r, expected %r" % (rr, want))
    answer_back(ws, u, got, "to ws client")
    print("ok request to the registered %s connection and its reply" % A.proto, flush=True)

    # a request to the client's own Contact (how in-dialog requests reach it) uses its connection
    u.sendto(sip("MESSAGE", contact, "X-Direct: yes\r\n", body="hi again",
                 via="SIP/2.0/UDP 127.0.0.1:%d;rport;branch=z9hG4bK%s" % (lp, os.urandom(6).hex())),
             ("127.0.0.1", A.udp_port))
    got = ws.recv_sip()
    if not got.startswith("MESSAGE %s SIP/2.0" % contact):
        fail("to the contact", "expected the MESSAGE to %s on the client's connection, got %r" % (contact, got))
    answer_back(ws, u, got, "to the contact")
    print("ok request to the client's .invalid Contact over its connection", flush=True)

    # idle: a ping after config.tcp.idle_timeout; answered keeps the connection, silence closes it
    op, pl = ws.recv(timeout=4)
    if op != 9:
        fail("idle ping", "expected a ping on the idle connection, got op %d" % op)
    ws.send(10, pl)
    op, pl = ws.recv(timeout=4)
    if op != 9:
        fail("idle ping", "expected a second ping after the pong kept the connection, got op %d" % op)
    if not ws.closed(timeout=4):
        fail("idle ping", "connection still open after an unanswered ping")
    print("ok idle ping/pong", flush=True)

    # bad frames: each closes its connection with the right code; the server still serves
    for name, code, send in [
        ("oversize frame", 1009, lambda w: w.send(1, b"x" * 5000)),
        ("oversize message", 1009, lambda w: (w.send(1, b"x" * 3000, fin=False), w.send(0, b"x" * 3000))),
        ("bad opcode", 1002, lambda w: w.send(3, b"x")),
        ("unmasked client frame", 1002, lambda w: w.send(1, sip("OPTIONS", "sip:127.0.0.1"), mask=False)),
        ("continuation without a start", 1002, lambda w: w.send(0, b"x")),
        ("message inside a fragmented one", 1002, lambda w: (w.send(1, b"x", fin=False), w.send(1, b"y"))),
        ("reserved bits", 1002, lambda w: w.send(1, b"x", rsv=0x40)),
        ("long ping", 1002, lambda w: w.send(9, b"p" * 200)),
        ("huge length", 1009, lambda w: w.send(2, b"", length=1 << 40)),
    ]:
        w = WS()
        send(w)
        check_close(w, code, name)
        options(WS())
    print("ok the server still serves", flush=True)

    w = WS()
    w.send(8, struct.pack("!H", 1000) + b"bye")
    check_close(w, 1000, "close handshake")
    return 0


if __name__ == "__main__":
    sys.exit(main())
