#!/usr/bin/env python3
"""Burst peer for udp_batch.sh: while the server is stopped (SIGSTOP by the caller), queue N
datagrams in its socket from two client sockets, then SIGCONT it so that it reads them in
batches, and check what comes out.

  udp_burst.py PROXY_PORT SERVER_PID N

Client A sends MESSAGE requests aimed at a sink socket (the proxy forwards them); client B's
requests carry Max-Forwards: 0 (the proxy answers 483 to B). A CRLF keepalive and a datagram
of garbage sit in the middle of the burst. Checks: the sink gets every A request once, in
order, with its body intact; B gets a 483 for each of its requests and nothing else; A gets no
reply. Prints OK, or the first problem, and exits 0 / 1."""
import os
import re
import signal
import socket
import sys
import time

port, pid, n = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])


def sock():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(0.2)
    return s


a, b, sink = sock(), sock(), sock()
sport = sink.getsockname()[1]


def request(i, maxfwd):
    # The Via names port 9 (discard) with rport: answers reach B only through the source
    # address of its own datagram (RFC 3581), so each datagram of a batch must keep its own.
    body = "body %d %s\r\n" % (i, "x" * (i % 7))
    return ("MESSAGE sip:sink@127.0.0.1:%d SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-burst-%d;rport\r\n"
            "Max-Forwards: %d\r\n"
            "From: <sip:burst@127.0.0.1>;tag=f%d\r\n"
            "To: <sip:sink@127.0.0.1>\r\n"
            "Call-ID: burst-%d@test\r\n"
            "CSeq: %d MESSAGE\r\n"
            "Content-Type: text/plain\r\n"
            "Content-Length: %d\r\n\r\n%s"
            % (sport, i, maxfwd, i, i, i + 1, len(body), body)).encode()


sent_a, sent_b = [], []
for i in range(n):
    if i == n // 3:
        a.sendto(b"\r\n\r\n", ("127.0.0.1", port))
    if i == n // 2:
        a.sendto(b"this is not SIP\r\n\r\n", ("127.0.0.1", port))
    if i % 5 == 4:
        b.sendto(request(i, 0), ("127.0.0.1", port))
        sent_b.append(i)
    else:
        a.sendto(request(i, 70), ("127.0.0.1", port))
        sent_a.append(i)
os.kill(pid, signal.SIGCONT)


def drain(s, want, secs=10.0):
    got, end = [], time.time() + secs
    while time.time() < end and len(got) < want:
        try:
            got.append(s.recv(70000))
        except socket.timeout:
            pass
    extra_end = time.time() + 0.5  # anything more than expected
    while time.time() < extra_end:
        try:
            got.append(s.recv(70000))
        except socket.timeout:
            pass
    return got


def fail(why):
    print(why)
    sys.exit(1)


fwd = drain(sink, len(sent_a))
ids = [int(re.search(rb"Call-ID: burst-(\d+)@", m).group(1)) for m in fwd]
if ids != sent_a:
    fail("sink got %d requests %s, expected %d %s" % (len(ids), ids, len(sent_a), sent_a))
for m, i in zip(fwd, sent_a):
    body = ("body %d %s\r\n" % (i, "x" * (i % 7))).encode()
    if not m.endswith(b"\r\n\r\n" + body):
        fail("request %d reached the sink with another body: %r" % (i, m[-60:]))
    if not re.search(rb"(?m)^Max-Forwards: 69\r$", m):
        fail("request %d reached the sink without Max-Forwards 69" % i)
replies_b = drain(b, len(sent_b))
codes = [(re.match(rb"SIP/2\.0 (\d+)", m).group(1), int(re.search(rb"Call-ID: burst-(\d+)@", m).group(1)))
         for m in replies_b]
if codes != [(b"483", i) for i in sent_b]:
    fail("B got %s, expected a 483 for each of %s" % (codes, sent_b))
replies_a = drain(a, 0, 0.5)
if any(not m.startswith(b"SIP/2.0 400") for m in replies_a):
    fail("A got replies meant for nobody: %r" % [m[:40] for m in replies_a])
print("OK %d forwarded, %d answered" % (len(fwd), len(replies_b)))
