#!/usr/bin/env python3
"""SIP-over-TLS load generator for tests/bench/tls.sh (Debian's sipp has no TLS).

  tls_load.py --port P --ca F --ruri URI --rate CPS --secs S [--conns N] [--timeout S]

Opens N TLS connections to 127.0.0.1:P (the proxy; its certificate checked against --ca for
"localhost") and makes calls at CPS for S seconds, spread over the connections: INVITE, wait for
the 200 (provisionals skipped), ACK and BYE to the 200's Contact along its Record-Route set,
wait for the BYE's 200. A call fails when it gets another final status or no answer within
--timeout. Prints one line: 'attempted N ok N failed N secs T'. Exit 0.
"""
import argparse
import asyncio
import os
import re
import ssl
import time

SDP = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n"


def split_messages(buf):
    msgs = []
    while True:
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            return msgs, buf
        m = re.search(rb"(?im)^(?:content-length|l)[ \t]*:[ \t]*(\d+)", buf[:end])
        total = end + 4 + (int(m.group(1)) if m else 0)
        if len(buf) < total:
            return msgs, buf
        msgs.append(buf[:total].decode("latin-1"))
        buf = buf[total:]


class Conn:
    def __init__(self, reader, writer):
        self.r, self.w = reader, writer
        self.lport = writer.get_extra_info("sockname")[1]
        self.waiting = {}  # (call-id, cseq method) -> future of the final reply

    async def pump(self):
        buf = b""
        while True:
            chunk = await self.r.read(65536)
            if not chunk:
                for f in self.waiting.values():
                    if not f.done():
                        f.set_exception(ConnectionError("closed"))
                return
            msgs, buf = split_messages(buf + chunk)
            for m in msgs:
                st = re.match(r"SIP/2\.0 (\d{3})", m)
                if not st or int(st.group(1)) < 200:
                    continue
                cid = re.search(r"(?im)^(?:call-id|i)[ \t]*:[ \t]*(\S+)", m).group(1)
                meth = re.search(r"(?im)^cseq[ \t]*:[ \t]*\d+[ \t]+(\S+)", m).group(1)
                f = self.waiting.pop((cid, meth), None)
                if f and not f.done():
                    f.set_result(m)

    def request(self, text, cid, meth):
        f = asyncio.get_running_loop().create_future() if meth != "ACK" else None
        if self.w.is_closing():  # the server closed this connection: the call fails
            if f:
                f.set_exception(ConnectionError("closed"))
            return f
        if f:
            self.waiting[(cid, meth)] = f
        self.w.write(text.encode())
        return f


async def call(c, ruri, timeout):
    cid, tag = os.urandom(8).hex(), os.urandom(4).hex()
    via = lambda: "Via: SIP/2.0/TLS 127.0.0.1:%d;rport;branch=z9hG4bK%s\r\n" % (c.lport, os.urandom(6).hex())
    base = ("From: <sip:load@127.0.0.1>;tag=%s\r\nCall-ID: %s\r\nMax-Forwards: 70\r\n"
            "Contact: <sip:load@127.0.0.1:%d;transport=tls>\r\n" % (tag, cid, c.lport))
    f = c.request("INVITE %s SIP/2.0\r\n%s%sTo: <%s>\r\nCSeq: 1 INVITE\r\nContent-Type: application/sdp\r\n"
                  "Content-Length: %d\r\n\r\n%s" % (ruri, via(), base, ruri, len(SDP), SDP), cid, "INVITE")
    try:
        r = await asyncio.wait_for(f, timeout)
    except (asyncio.TimeoutError, ConnectionError):
        c.waiting.pop((cid, "INVITE"), None)
        return False
    if not r.startswith("SIP/2.0 200"):
        return False
    rr = [v.strip() for line in re.findall(r"(?im)^Record-Route:[ \t]*(.*?)\r?$", r) for v in line.split(",")]
    m = re.search(r"(?im)^(?:contact|m)[ \t]*:[^<\r\n]*<([^>]+)>", r)
    target = m.group(1) if m else ruri
    to = re.search(r"(?im)^(?:to|t)[ \t]*:.*$", r).group(0).rstrip("\r")
    route = "Route: %s\r\n" % ", ".join(reversed(rr)) if rr else ""
    c.request("ACK %s SIP/2.0\r\n%s%s%s%s\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n"
              % (target, via(), route, base, to), cid, "ACK")
    f = c.request("BYE %s SIP/2.0\r\n%s%s%s%s\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n"
                  % (target, via(), route, base, to), cid, "BYE")
    try:
        r = await asyncio.wait_for(f, timeout)
    except (asyncio.TimeoutError, ConnectionError):
        c.waiting.pop((cid, "BYE"), None)
        return False
    return r.startswith("SIP/2.0 200")


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--ruri", required=True)
    p.add_argument("--rate", type=float, required=True)
    p.add_argument("--secs", type=float, required=True)
    p.add_argument("--conns", type=int, default=8)
    p.add_argument("--timeout", type=float, default=4.0)
    a = p.parse_args()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(a.ca)
    conns = []
    for _ in range(a.conns):
        r, w = await asyncio.open_connection("127.0.0.1", a.port, ssl=ctx, server_hostname="localhost")
        conns.append(Conn(r, w))
    pumps = [asyncio.create_task(c.pump()) for c in conns]
    n = int(a.rate * a.secs)
    tasks, t0 = [], time.monotonic()
    for i in range(n):
        delay = t0 + i / a.rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(call(conns[i % len(conns)], a.ruri, a.timeout)))
    sent_secs = time.monotonic() - t0
    results = await asyncio.gather(*tasks)
    ok = sum(1 for x in results if x)
    print("attempted %d ok %d failed %d secs %.2f" % (n, ok, n - ok, sent_secs), flush=True)
    for c in conns:
        c.w.close()
    for t in pumps:
        t.cancel()


if __name__ == "__main__":
    asyncio.run(main())
