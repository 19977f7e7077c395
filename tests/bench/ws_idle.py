#!/usr/bin/env python3
"""Open N WebSocket connections to lunasip (ws or wss), finish each handshake, hold them.

  ws_idle.py --port P [--tls] [-n 10000] [--hold-file F]
  ws_idle.py --port P [--tls] --probe     one OPTIONS over a new WebSocket; exit 0 on a 200

Prints 'OPEN n' once all are open (or 'FAILED k' for those that did not upgrade), then
keeps them until F exists (or 60 s), then closes them."""
import argparse
import asyncio
import base64
import os
import ssl
import time


async def one(a, ctx, sem):
    async with sem:
        try:
            r, w = await asyncio.open_connection("127.0.0.1", a.port, ssl=ctx,
                                                 server_hostname="localhost" if ctx else None)
            key = base64.b64encode(os.urandom(16)).decode()
            w.write(("GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: sip\r\n\r\n"
                     % key).encode())
            head = await r.readuntil(b"\r\n\r\n")
            return (r, w) if head.startswith(b"HTTP/1.1 101") else None
        except (OSError, asyncio.IncompleteReadError, ssl.SSLError):
            return None


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--tls", action="store_true")
    p.add_argument("-n", type=int, default=10000)
    p.add_argument("--hold-file", default="")
    p.add_argument("--probe", action="store_true")
    a = p.parse_args()
    ctx = None
    if a.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if a.probe:
        c = await one(a, ctx, asyncio.Semaphore(1))
        if not c:
            raise SystemExit(1)
        r, w = c
        msg = ("OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/WS x.invalid;branch=z9hG4bKprobe\r\n"
               "From: <sip:p@x>;tag=1\r\nTo: <sip:127.0.0.1>\r\nCall-ID: probe\r\nCSeq: 1 OPTIONS\r\n"
               "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n").encode()
        mask = os.urandom(4)
        w.write(bytes([0x81, 0x80 | 126]) + len(msg).to_bytes(2, "big") + mask
                + bytes(b ^ mask[i % 4] for i, b in enumerate(msg)))
        h = await asyncio.wait_for(r.readexactly(2), 5)
        n = h[1] & 0x7f
        if n == 126:
            n = int.from_bytes(await r.readexactly(2), "big")
        body = await r.readexactly(n)
        raise SystemExit(0 if body.startswith(b"SIP/2.0 200") else 1)
    sem = asyncio.Semaphore(200)
    t0 = time.monotonic()
    conns = await asyncio.gather(*(one(a, ctx, sem) for _ in range(a.n)))
    ok = [c for c in conns if c]
    print("OPEN %d in %.1f s" % (len(ok), time.monotonic() - t0), flush=True)
    if len(ok) != a.n:
        print("FAILED %d" % (a.n - len(ok)), flush=True)
    end = time.monotonic() + 60
    while time.monotonic() < end and not (a.hold_file and os.path.exists(a.hold_file)):
        await asyncio.sleep(0.2)
    for _, w in ok:
        w.close()


asyncio.run(main())
