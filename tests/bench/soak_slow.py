#!/usr/bin/env python3
"""Slow HTTP clients and half-open SIP TCP connections for soak.sh (case "slow").

    soak_slow.py --http-port P --sip-port Q --http N --sip M --secs S [--interval I]

Holds N HTTP connections that send a request's headers one byte every I seconds and never end
them (slowloris), and M SIP TCP connections that send the start of a request and then nothing
(half-open), for S seconds. A connection the server closes is opened again after 0.5 s, so the
pressure stays on. At the end prints one JSON line: connections opened, closed by the server and
refused, the most open at once and how many were open at the end, for each kind.
"""
import argparse
import errno
import json
import resource
import selectors
import socket
import time

HTTP_HEAD = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
SIP_HEAD = (b"INVITE sip:slow@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bKslow\r\n"
            b"Max-Forwards: 70\r\nFrom: <sip:slow@127.0.0.1>;tag=1\r\n")


class Conn:
    def __init__(self, kind, port):
        self.kind, self.port = kind, port
        self.sock = None
        self.connected = False
        self.next_at = 0.0  # when to (re)connect or send the next byte
        self.sent = 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--http-port", type=int, required=True)
    ap.add_argument("--sip-port", type=int, required=True)
    ap.add_argument("--http", type=int, default=500)
    ap.add_argument("--sip", type=int, default=1000)
    ap.add_argument("--secs", type=float, default=60)
    ap.add_argument("--interval", type=float, default=2.0)
    a = ap.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = a.http + a.sip + 64
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))

    sel = selectors.DefaultSelector()
    conns = [Conn("http", a.http_port) for _ in range(a.http)] + [Conn("sip", a.sip_port) for _ in range(a.sip)]
    st = {k: {"opened": 0, "closed_by_server": 0, "connect_failed": 0, "open_max": 0, "open_end": 0}
          for k in ("http", "sip")}
    open_now = {"http": 0, "sip": 0}

    def drop(c, by_server):
        if c.sock is not None:
            try:
                sel.unregister(c.sock)
            except (KeyError, ValueError):
                pass
            c.sock.close()
        if c.connected:
            open_now[c.kind] -= 1
            if by_server:
                st[c.kind]["closed_by_server"] += 1
        elif by_server:
            st[c.kind]["connect_failed"] += 1
        c.sock, c.connected, c.sent = None, False, 0
        c.next_at = time.monotonic() + 0.5

    def start(c):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        rc = s.connect_ex(("127.0.0.1", c.port))
        if rc not in (0, errno.EINPROGRESS):
            s.close()
            st[c.kind]["connect_failed"] += 1
            c.next_at = time.monotonic() + 0.5
            return
        c.sock = s
        sel.register(s, selectors.EVENT_WRITE | selectors.EVENT_READ, c)

    end = time.monotonic() + a.secs
    # open them all within the first couple of seconds, not in one burst the backlog cannot take
    for i, c in enumerate(conns):
        c.next_at = time.monotonic() + (i % 200) * 0.01
    while time.monotonic() < end:
        now = time.monotonic()
        for c in conns:
            if c.sock is None and c.next_at <= now:
                start(c)
            elif c.connected and c.kind == "http" and c.next_at <= now:
                try:  # one more byte of a header that never ends
                    c.sock.send(b"a")
                    c.next_at = now + a.interval
                except OSError:
                    drop(c, True)
        for key, ev in sel.select(timeout=0.05):
            c = key.data
            if not c.connected:
                err = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    drop(c, True)
                    continue
                c.connected = True
                open_now[c.kind] += 1
                st[c.kind]["opened"] += 1
                st[c.kind]["open_max"] = max(st[c.kind]["open_max"], open_now[c.kind])
                try:
                    c.sock.send(HTTP_HEAD if c.kind == "http" else SIP_HEAD)
                except OSError:
                    drop(c, True)
                    continue
                sel.modify(c.sock, selectors.EVENT_READ, c)
                c.next_at = time.monotonic() + a.interval
                continue
            try:  # the server wrote (an error reply) or closed
                data = c.sock.recv(4096)
            except OSError:
                data = b""
            if not data:
                drop(c, True)
    for k in st:
        st[k]["open_end"] = open_now[k]
    for c in conns:
        if c.sock is not None:
            c.sock.close()
    print(json.dumps(st))


if __name__ == "__main__":
    main()
