#!/usr/bin/env python3
"""A call over TLS from a python UAC through lunasip: INVITE, 200, then ACK and BYE to the
callee's Contact along the route set (Record-Route reversed), 200 for the BYE.

  tls_call.py --port P --ca F --ruri URI --want-rr 'RR1,RR2'

A sips: R-URI gets a sips: Contact (RFC 3261 §8.1.1.8). Prints 'ok call' or 'FAIL why' (exit 1)."""
import argparse
import os
import re
import socket
import ssl
import sys

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from sip_raw import split_messages, status_of  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--ruri", required=True)
    p.add_argument("--want-rr", required=True)
    a = p.parse_args()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(a.ca)
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", a.port), timeout=10), server_hostname="localhost")
    lport = s.getsockname()[1]
    buf = b""

    def recv():
        nonlocal buf
        while True:
            msgs, rest = split_messages(buf)
            if msgs:
                buf = rest + b"".join(msgs[1:])
                return msgs[0].decode()
            c = s.recv(65536)
            if not c:
                print("FAIL connection closed")
                sys.exit(1)
            buf += c

    callid, tag = os.urandom(8).hex(), os.urandom(4).hex()
    base = ("From: <sip:caller@127.0.0.1>;tag=%s\r\nCall-ID: %s\r\nMax-Forwards: 70\r\n"
            "Contact: <%s>\r\n" % (tag, callid, ("sips:caller@127.0.0.1:%d" if a.ruri.startswith("sips:")
                                                  else "sip:caller@127.0.0.1:%d;transport=tls") % lport))
    via = lambda: "Via: SIP/2.0/TLS 127.0.0.1:%d;rport;branch=z9hG4bK%s\r\n" % (lport, os.urandom(6).hex())
    sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n"
    s.sendall(("INVITE %s SIP/2.0\r\n%s%sTo: <%s>\r\nCSeq: 1 INVITE\r\nContent-Type: application/sdp\r\n"
               "Content-Length: %d\r\n\r\n%s" % (a.ruri, via(), base, a.ruri, len(sdp), sdp)).encode())
    while True:
        r = recv()
        if status_of(r.encode()) >= 200:
            break
    if status_of(r.encode()) != 200:
        print("FAIL INVITE answered %r" % r.split("\r\n")[0])
        return 1
    rr = [v.strip() for line in re.findall(r"(?im)^Record-Route:\s*(.*?)\r?$", r) for v in line.split(",")]
    if rr != a.want_rr.split(","):
        print("FAIL Record-Route %r, expected %r" % (rr, a.want_rr.split(",")))
        return 1
    target = re.search(r"(?im)^Contact:\s*<([^>]+)>", r).group(1)
    to = re.search(r"(?im)^To:.*$", r).group(0).rstrip("\r")
    route = "Route: %s\r\n" % ", ".join(reversed(rr))
    for method, cseq in (("ACK", 1), ("BYE", 2)):
        s.sendall(("%s %s SIP/2.0\r\n%s%s%s%s\r\nCSeq: %d %s\r\nContent-Length: 0\r\n\r\n"
                   % (method, target, via(), route, base, to, cseq, method)).encode())
    r = recv()
    if status_of(r.encode()) != 200 or "BYE" not in r:
        print("FAIL BYE answered %r" % r)
        return 1
    print("ok call over TLS: INVITE, 200, ACK, BYE")
    return 0


if __name__ == "__main__":
    sys.exit(main())
