#!/usr/bin/env bash
# The HTTP/1.1 server on the wire, with a raw python client: pipelined requests (one of them
# answered later by a sleeping route) answered in order on one connection; a request sent one
# byte at a time; chunked request bodies; HEAD without a body; HTTP/1.0 with and without
# keep-alive; Connection: close; Expect: 100-continue; a Date header; many large answers
# pipelined to a client that reads late (partial writes); and the refusals, each closing the
# connection: 400 (bad request line, bad header), 413 (Content-Length or chunks over
# max_body), 431 (head too large), 505 (HTTP/2.0); 501 for an unknown method keeps it.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/http.sh"

start_http "$SCRIPT_DIR/http_routes.lua"

python3 - "$HTTP_PORT" <<'PY' || fail "see the lines above"
import re, socket, sys, time
port = int(sys.argv[1])
bad = []

def conn():
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s

class Reader:
    def __init__(self, s):
        self.s, self.buf = s, b""
    def fill(self):
        d = self.s.recv(65536)
        if not d:
            raise EOFError
        self.buf += d
    def response(self, head=False):
        """(status, headers dict lower-cased, body); head: no body follows"""
        while b"\r\n\r\n" not in self.buf:
            self.fill()
        h, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = h.decode().split("\r\n")
        status = int(lines[0].split()[1])
        hdrs = {}
        for l in lines[1:]:
            k, v = l.split(":", 1)
            hdrs[k.strip().lower()] = v.strip()
        n = 0 if head or status < 200 or status in (204, 304) else int(hdrs.get("content-length", 0))
        while len(self.buf) < n:
            self.fill()
        body, self.buf = self.buf[:n], self.buf[n:]
        return status, hdrs, body
    def closed(self):
        """the server closes the connection (after what is buffered)"""
        self.s.settimeout(3)
        try:
            while True:
                d = self.s.recv(65536)
                if not d:
                    return True
                self.buf += d
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False

def check(what, cond, detail=""):
    if not cond:
        bad.append(what)
        print("FAIL:", what, detail, file=sys.stderr)

# --- pipelining: four requests in one write, the third answered by a route that sleeps
s = conn(); r = Reader(s)
s.sendall(b"GET /plain?k=1 HTTP/1.1\r\nHost: x\r\n\r\n"
          b"POST /plain?k=2 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
          b"GET /slow?ms=200 HTTP/1.1\r\nHost: x\r\n\r\n"
          b"GET /plain?k=4 HTTP/1.1\r\nHost: x\r\n\r\n")
got = [r.response() for _ in range(4)]
check("pipelined: statuses", [g[0] for g in got] == [200] * 4, [g[0] for g in got])
check("pipelined: 1st", got[0][2].startswith(b"GET /plain 1  127.0.0.1"), got[0][2])
check("pipelined: 2nd with its body", got[1][2].startswith(b"POST /plain 2 abc 127.0.0.1"), got[1][2])
check("pipelined: 3rd (async route) in order", got[2][2] == b"late", got[2][2])
check("pipelined: 4th", got[3][2].startswith(b"GET /plain 4  127.0.0.1"), got[3][2])
check("Date header", re.match(r"^\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT$", got[0][1].get("date", "")), got[0][1])
check("keep-alive: no Connection: close", "connection" not in got[0][1], got[0][1])

# --- one byte at a time (a partial read each), chunked body, then the same connection again
req = (b"POST /plain?k=bytes HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
       b"4\r\nabcd\r\n10;ext=1\r\n0123456789abcdef\r\n0\r\nX-Trailer: t\r\n\r\n")
for i in range(len(req)):
    s.send(req[i:i + 1])
    time.sleep(0.002)
st, h, body = r.response()
check("byte by byte + chunked", st == 200 and body.startswith(b"POST /plain bytes abcd0123456789abcdef "), (st, body))
s.sendall(b"HEAD /plain HTTP/1.1\r\nHost: x\r\n\r\nGET /plain?k=after HTTP/1.1\r\nHost: x\r\n\r\n")
st, h, body = r.response(head=True)
check("HEAD: 200 with the length of the body it does not send", st == 200 and int(h.get("content-length", 0)) > 0, (st, h))
st, h, body = r.response()
check("the request after HEAD", st == 200 and body.startswith(b"GET /plain after"), (st, body))
s.close()

# --- HTTP/1.0: closes unless keep-alive was asked for; Connection: close on 1.1
s = conn(); r = Reader(s)
s.sendall(b"GET /plain HTTP/1.0\r\n\r\n")
st, h, body = r.response()
check("HTTP/1.0: answered", st == 200 and h.get("connection", "").lower() == "close", h)
check("HTTP/1.0: closed after the answer", r.closed())
s = conn(); r = Reader(s)
s.sendall(b"GET /plain HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
st, h, body = r.response()
check("HTTP/1.0 keep-alive: says so", h.get("connection", "").lower() == "keep-alive", h)
s.sendall(b"GET /plain?k=again HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
st, h, body = r.response()
check("HTTP/1.0 keep-alive: a second request", st == 200 and b" again " in body, body)
s.close()
s = conn(); r = Reader(s)
s.sendall(b"GET /health HTTP/1.1\r\nConnection: close\r\n\r\nGET /health HTTP/1.1\r\n\r\n")
st, h, body = r.response()
check("Connection: close: answered with it", st == 200 and h.get("connection", "").lower() == "close", h)
check("Connection: close: closed, the next request not answered", r.closed() and r.buf == b"", r.buf)

# --- Expect: 100-continue
s = conn(); r = Reader(s)
s.sendall(b"POST /plain?k=exp HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
st, h, body = r.response()
check("Expect: 100 Continue first", st == 100, st)
s.sendall(b"hello")
st, h, body = r.response()
check("Expect: then the answer", st == 200 and b" hello " in body, body)
s.close()

# --- many large answers to a client that reads only at the end (partial writes, EV_WRITE)
s = conn(); r = Reader(s)
s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" * 300)
time.sleep(0.5)
sizes = set()
for i in range(300):
    st, h, body = r.response()
    sizes.add((st, len(body)))
check("300 pipelined status pages, all whole", len(sizes) == 1 and list(sizes)[0][0] == 200 and list(sizes)[0][1] > 1000, sizes)
s.close()

# --- refusals: the status, a JSON reason, the connection closed
def refused(what, data, want, closes=True):
    s = conn(); r = Reader(s)
    s.sendall(data)
    try:
        st, h, body = r.response()
    except (EOFError, ConnectionResetError):
        check(what + ": no answer", False)
        return
    check(what + ": status %d" % want, st == want, (st, body))
    check(what + ": a JSON reason", body.startswith(b'{"error":'), body)
    if closes:
        check(what + ": closed", r.closed())
    else:
        s.sendall(b"GET /health HTTP/1.1\r\n\r\n")
        check(what + ": the connection goes on", r.response()[0] == 200)
    s.close()

refused("bad request line", b"GARBAGE\r\n\r\n", 400)
refused("no version", b"GET /\r\n\r\n", 400)
refused("bad header line", b"GET / HTTP/1.1\r\nNo colon here\r\n\r\n", 400)
refused("folded header", b"GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n", 400)
refused("HTTP/2.0", b"GET / HTTP/2.0\r\n\r\n", 505)
refused("unknown method", b"BREW /pot HTTP/1.1\r\n\r\n", 501, closes=False)
refused("Content-Length over max_body", b"POST /plain HTTP/1.1\r\nContent-Length: 70000\r\n\r\n", 413)
refused("chunks over max_body", b"POST /plain HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" +
        b"8000\r\n" + b"x" * 0x8000 + b"\r\n8001\r\n", 413)
refused("head over 16 KB", b"GET / HTTP/1.1\r\nX-Big: " + b"y" * 17000 + b"\r\n\r\n", 431)
refused("head over 16 KB, no end yet", b"GET / HTTP/1.1\r\nX-Big: " + b"y" * 17000, 431)
refused("Content-Length and chunked", b"POST /plain HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400)
sys.exit(1 if bad else 0)
PY
expect_http 200 "/health after all that" /health
hcurl /metrics
grep -q '^lunasip_http_connections 0$' <<<"$HTTP_BODY" || sleep 1
hcurl /metrics
[[ $(awk '/^lunasip_http_connections /{print $2}' <<<"$HTTP_BODY") -le 1 ]] ||
    fail "connections left open: $(grep '^lunasip_http_connections ' <<<"$HTTP_BODY")"
server_alive
stop_server
pass
