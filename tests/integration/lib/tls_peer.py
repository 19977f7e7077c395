#!/usr/bin/env python3
"""TLS SIP peer (a UAS) for the integration tests.

  tls_peer.py --port P --cert F --key F [--ca F] [--timeout S] [--count N]

Listens on 127.0.0.1:P with TLS, answers every request with 200 (copying
Via/From/To/Call-ID/CSeq) on the connection it came on, and prints for each
request 'CONN n SNI name' (n counts accepted connections, name is the server name
the client asked for, '-' for none) then the request and a line '----'. --peer: a line
'PEER ip:port' (the connection's source) before each 'CONN'.
--ca: ask the client for a certificate and check it. --contact URI: a UAS in a dialog, the
200 also carries a To tag, the request's Record-Route lines and Contact: <URI>. Exits 0 after --count
requests, 1 when --timeout seconds pass first.
"""
import argparse
import re
import select
import socket
import ssl
import sys
import time

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from sip_raw import split_messages, emit  # noqa: E402


def reply_to(msg, contact=None):
    head = msg.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    names = rb"via|v|from|f|to|t|call-id|i|cseq" + (rb"|record-route" if contact else b"")
    keep = [h for h in head[1:] if re.match(rb"(?i)(" + names + rb")[ \t]*:", h)]
    if contact:  # the dialog's To tag
        keep = [h + b";tag=peer" if re.match(rb"(?i)(to|t)[ \t]*:", h) and b"tag=" not in h else h for h in keep]
        keep.append(b"Contact: <" + contact.encode() + b">")
    return b"SIP/2.0 200 OK\r\n" + b"\r\n".join(keep) + b"\r\nContent-Length: 0\r\n\r\n"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--ca")
    p.add_argument("--timeout", type=float, default=10.0)
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--contact")
    p.add_argument("--peer", action="store_true")
    a = p.parse_args()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    if a.ca:
        ctx.load_verify_locations(a.ca)
        ctx.verify_mode = ssl.CERT_REQUIRED
    snis = {}

    def on_sni(sock, name, _ctx):
        snis[id(sock)] = name or "-"
    ctx.sni_callback = on_sni
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", a.port))
    ls.listen(8)
    print("LISTENING", flush=True)
    conns = {}  # socket -> [number, sni, buffer]
    seen = 0
    deadline = time.monotonic() + a.timeout
    while seen < a.count:
        left = deadline - time.monotonic()
        if left <= 0:
            return 1
        r, _, _ = select.select([ls] + list(conns), [], [], left)
        for s in r:
            if s is ls:
                raw, peer = ls.accept()
                raw.settimeout(3)
                try:
                    t = ctx.wrap_socket(raw, server_side=True)
                except (ssl.SSLError, OSError) as e:
                    print("HANDSHAKEFAIL %s" % e, flush=True)
                    raw.close()
                    continue
                conns[t] = [len(conns) + 1, snis.get(id(t), "-"), b"", peer]
                continue
            try:
                chunk = s.recv(65536)
            except (ssl.SSLError, OSError):
                chunk = b""
            if not chunk:
                del conns[s]
                continue
            st = conns[s]
            msgs, st[2] = split_messages(st[2] + chunk)
            for m in msgs:
                if re.match(rb"SIP/2\.0 ", m):
                    continue
                seen += 1
                if a.peer:
                    print("PEER %s:%d" % st[3][:2])
                print("CONN %d SNI %s" % (st[0], st[1]))
                emit(m)
                if not m.startswith(b"ACK "):
                    s.sendall(reply_to(m, a.contact))
    time.sleep(0.3)  # let the last reply leave before the sockets close
    return 0


if __name__ == "__main__":
    sys.exit(main())
