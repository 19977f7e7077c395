#!/usr/bin/env python3
"""Send the SIP corpus (tests/data/sip/*.sip) through a running lunasip and check each outcome.

  sip_corpus.py --port P --sink-port S --proto udp|tcp [--only NAME] DIR
  sip_corpus.py --port P --sink-port S --proto udp --mutate N [--seed X] DIR

Each corpus file starts with one line '#! OUTCOME [udp|tcp]' (the message follows, byte for
byte): OUTCOME is 'relay' (the proxy must forward it to the sink), a status code (the proxy must
answer it with that code, on the connection it came on for TCP, and not forward it) or 'drop'
(nothing may come back or go on) or 'close' (TCP: the connection is closed, nothing answered
or forwarded). A transport after the outcome limits the case to it. In the
message, @PROTO@ @LADDR@ @LPORT@ are replaced by the client socket's transport and address,
@ID@ by a unique id (Call-IDs carry it, so the sink can tell the cases apart) and @US@ by the
proxy's address. The proxy's script sends everything to the sink (msg.du) over the same
transport.

For a relayed message the bytes the sink got must equal the bytes sent, apart from the proxy's
own edits: its Via on top, Max-Forwards decremented (or added as 70), its Record-Route (INVITE),
its own Route entry removed, received/rport on the client's Via when it asked for rport,
Content-Length added over TCP when missing, bytes past Content-Length left out.
Prints one line per case and 'N failed' at the end; exit status 1 when any failed.

--mutate N sends N corpus messages broken at random (bytes flipped, spans cut or repeated,
CR/LF/NUL/commas/quotes/brackets inserted, truncated) without checking what happens to them,
then one valid message that must still be relayed: the server survives anything and keeps
serving (memory is checked by the caller).
"""
import argparse
import os
import random
import re
import select
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sip_raw import split_messages, status_of  # noqa: E402


class Sink:
    """UDP and TCP listener on one port; keeps every message received."""

    def __init__(self, port):
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", port))
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tcp.bind(("127.0.0.1", port))
        self.tcp.listen(16)
        self.conns = {}
        self.got = []

    def poll(self, secs):
        end = time.monotonic() + secs
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            r, _, _ = select.select([self.udp, self.tcp] + list(self.conns), [], [], left)
            for s in r:
                if s is self.udp:
                    self.got.append(s.recvfrom(70000)[0])
                elif s is self.tcp:
                    c, _ = s.accept()
                    self.conns[c] = b""
                else:
                    data = s.recv(70000)
                    if not data:
                        del self.conns[s]
                        s.close()
                        continue
                    msgs, self.conns[s] = split_messages(self.conns[s] + data)
                    self.got.extend(msgs)

    def find(self, token):
        for m in self.got:
            if token in m:
                return m
        return None


def split(msg):
    """(start line, [logical header lines with their folding], body)"""
    head, _, body = msg.partition(b"\r\n\r\n")
    lines = []
    for ln in head.split(b"\r\n"):
        if lines and ln[:1] in (b" ", b"\t"):
            lines[-1] += b"\r\n" + ln
        else:
            lines.append(ln)
    return lines[0], lines[1:], body


def hname(line):
    return line.split(b":", 1)[0].strip().lower()


def content_length(lines):
    for ln in lines:
        if hname(ln) in (b"content-length", b"l"):
            return int(ln.split(b":", 1)[1].strip())
    return None


def compare(sent, fwd, us, proto):
    """Reasons the forwarded message is not the sent one plus our edits ([] when it is)."""
    s_sl, s_h, s_body = split(sent)
    f_sl, f_h, f_body = split(fwd)
    why = []
    if s_sl != f_sl:
        why.append("start line %r became %r" % (s_sl, f_sl))
    our_via = re.compile(rb"^Via: SIP/2\.0/(UDP|TCP) " + re.escape(us) + rb";branch=z9hG4bK\S+$")
    if not f_h or not our_via.match(f_h[0]):
        why.append("no Via of ours on top: %r" % (f_h[:1],))
    else:
        f_h = f_h[1:]
    # Max-Forwards: decremented in place, or added as 70
    s_mf = [i for i, ln in enumerate(s_h) if hname(ln) == b"max-forwards"]
    f_mf = [i for i, ln in enumerate(f_h) if hname(ln) == b"max-forwards"]
    if not s_mf:
        if len(f_mf) != 1 or f_h[f_mf[0]] != b"Max-Forwards: 70":
            why.append("Max-Forwards: 70 not added once")
        else:
            del f_h[f_mf[0]]
    elif len(f_mf) != 1:
        why.append("Max-Forwards lines: %d" % len(f_mf))
    else:
        sv = int(s_h[s_mf[0]].split(b":", 1)[1])
        m = re.match(rb"^(.*:\s*)(\d+)$", f_h[f_mf[0]], re.S)
        if not m or int(m.group(2)) != sv - 1:
            why.append("Max-Forwards %r is not %d - 1" % (f_h[f_mf[0]], sv))
        else:
            f_h[f_mf[0]] = m.group(1) + str(sv).encode()
    # our Record-Route
    f_h = [ln for ln in f_h if not ln.startswith(b"Record-Route: <sip:" + us)]
    # our Route entry removed from the sent Route lines
    ours = b"<sip:" + us + b";lr>"
    out = []
    for ln in s_h:
        if hname(ln) == b"route" and ours in ln:
            ln = re.sub(re.escape(ours) + rb"\s*,?\s*", b"", ln, count=1)
            if re.match(rb"^route\s*:\s*$", ln, re.I):
                continue
        out.append(ln)
    s_h = out
    # received/rport on the client's Via (the first Via line)
    for i, ln in enumerate(f_h):
        if hname(ln) in (b"via", b"v"):
            if b";rport" in s_h[i] if i < len(s_h) else False:
                ln = re.sub(rb";rport=\d+", b";rport", ln, count=1)
                ln = ln.replace(b";received=127.0.0.1", b"", 1)
            f_h[i] = ln
            break
    # Content-Length added over TCP
    if content_length(s_h) is None and proto == "tcp":
        f_h = [ln for ln in f_h if not re.match(rb"^Content-Length: \d+$", ln)]
    if s_h != f_h:
        for a, b in zip(s_h + [b""] * len(f_h), f_h + [b""] * len(s_h)):
            if a != b:
                why.append("header %r became %r" % (a[:120], b[:120]))
                break
    cl = content_length(s_h)
    if cl is not None:
        s_body = s_body[:cl]
    if s_body != f_body:
        why.append("body of %d bytes became %d bytes" % (len(s_body), len(f_body)))
    return why


def run_case(path, a, sink):
    raw = open(path, "rb").read()
    first, _, msg = raw.partition(b"\n")
    spec = first.decode().split()[1:]
    outcome, only = spec[0], (spec[1] if len(spec) > 1 else None)
    name = os.path.basename(path)[:-4]
    if only and only != a.proto:
        return None
    cid = "%s-%s-%08x" % (name, a.proto, random.getrandbits(32))
    if a.proto == "udp":
        c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        c.bind(("127.0.0.1", 0))
    else:
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.connect(("127.0.0.1", a.port))
    laddr, lport = c.getsockname()[:2]
    us = ("127.0.0.1:%d" % a.port).encode()
    msg = (msg.replace(b"@PROTO@", a.proto.upper().encode()).replace(b"@LADDR@", laddr.encode())
           .replace(b"@LPORT@", str(lport).encode()).replace(b"@ID@", cid.encode()).replace(b"@US@", us))
    if a.proto == "udp":
        c.sendto(msg, ("127.0.0.1", a.port))
    else:
        c.sendall(msg)
    replies, buf, closed = [], b"", False
    end = time.monotonic() + (3 if outcome != "drop" else 0.7)
    fwd = None
    while time.monotonic() < end and not closed:
        sink.poll(0.02)
        fwd = sink.find(cid.encode())
        r, _, _ = select.select([c], [], [], 0.02)
        if r:
            data = c.recv(70000)
            if a.proto == "udp":
                replies.append(data)
            elif data:
                got, buf = split_messages(buf + data)
                replies.extend(got)
            else:
                closed = True
        finals = [m for m in replies if status_of(m) >= 200]
        if outcome == "relay" and fwd:
            break
        if outcome not in ("relay", "drop", "close") and finals:
            sink.poll(0.1)
            fwd = sink.find(cid.encode())
            break
    c.close()
    why = []
    finals = [m for m in replies if status_of(m) >= 200]
    if outcome == "relay":
        if not fwd:
            why.append("not forwarded (replies: %s)" % [m.split(b"\r\n", 1)[0] for m in replies])
        else:
            why += compare(msg, fwd, us, a.proto)
    elif outcome == "drop":
        if fwd or replies:
            why.append("not dropped")
    elif outcome == "close":
        if not closed or fwd or replies:
            why.append("connection not closed silently (closed=%s, forwarded=%s, replies=%d)" %
                       (closed, bool(fwd), len(replies)))
    else:
        if not finals:
            why.append("no final reply (wanted %s)" % outcome)
        elif status_of(finals[0]) != int(outcome):
            why.append("got %r, wanted %s" % (finals[0].split(b"\r\n", 1)[0], outcome))
        elif outcome == "420" and b"\r\nUnsupported: nothingwesupport\r\n" not in finals[0]:
            why.append("420 without Unsupported: %r" % finals[0])
        if fwd:
            why.append("forwarded although invalid")
    return why


def mutate(msg, rnd):
    b = bytearray(msg)
    for _ in range(rnd.randint(1, 4)):
        if not b:
            break
        op, i = rnd.randrange(6), rnd.randrange(len(b))
        if op == 0:
            b[i] = rnd.randrange(256)
        elif op == 1:
            del b[i:i + rnd.randint(1, 40)]
        elif op == 2:
            j = min(len(b), i + rnd.randint(1, 80))
            b[i:i] = b[i:j] * rnd.randint(1, 5)
        elif op == 3:
            b[i:i] = rnd.choice([b"\r\n", b"\n", b"\x00", b",", b"\"", b"<", b">", b";", b":", b"\r\n ",
                                 b"%", b"%00", b"[", b"]", b"=", b"-1", b"99999999999", b"\r\n\r\n"])
        elif op == 4:
            del b[i:]
        else:
            b[i:i] = bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 16)))
    return bytes(b)


def fuzz(a, sink):
    rnd = random.Random(a.seed)
    files = sorted(f for f in os.listdir(a.dir) if f.endswith(".sip"))
    c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    c.bind(("127.0.0.1", 0))
    laddr, lport = c.getsockname()[:2]
    for n in range(a.mutate):
        msg = open(os.path.join(a.dir, rnd.choice(files)), "rb").read().partition(b"\n")[2]
        msg = (msg.replace(b"@PROTO@", b"UDP").replace(b"@LADDR@", laddr.encode())
               .replace(b"@LPORT@", str(lport).encode()).replace(b"@ID@", b"fz%d" % n)
               .replace(b"@US@", b"127.0.0.1:%d" % a.port))
        c.sendto(mutate(msg, rnd), ("127.0.0.1", a.port))
        if n % 50 == 49:  # let the server keep up; drain replies and the sink
            sink.poll(0.01)
            while select.select([c], [], [], 0)[0]:
                c.recv(70000)
    sink.poll(0.5)
    c.close()
    why = run_case(os.path.join(a.dir, "invite-sdp.sip"), a, sink)
    print("%s after %d mutated messages: a valid INVITE %s" % ("FAIL" if why else "ok  ", a.mutate,
          "; ".join(why) if why else "is still relayed"))
    return 1 if why else 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--sink-port", type=int, required=True)
    p.add_argument("--proto", choices=("udp", "tcp"), required=True)
    p.add_argument("--only")
    p.add_argument("--mutate", type=int, default=0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("dir")
    a = p.parse_args()
    sink = Sink(a.sink_port)
    if a.mutate:
        return fuzz(a, sink)
    failed = 0
    for f in sorted(os.listdir(a.dir)):
        if not f.endswith(".sip") or (a.only and f[:-4] != a.only):
            continue
        why = run_case(os.path.join(a.dir, f), a, sink)
        if why is None:
            continue
        print("%s %s/%s%s" % ("FAIL" if why else "ok  ", a.proto, f[:-4], (": " + "; ".join(why)) if why else ""))
        failed += bool(why)
    print("%d failed" % failed)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
