#!/usr/bin/env bash
# Over config.http.max_connections (5 here, scripts/http_limits.lua) slow senders go before a
# client that has just connected (issue 10, soak "slow"): five connections that sent part of a
# request's headers fill the cap; a client connects and, before it sends its request, another
# connection comes. The connection closed to make room must be the oldest slow sender, not the
# new client, whose GET /health then gets its 200. (Under 500 reconnecting slow clients the new
# client was closed before it could send: 2 of 26 /health failed in tests/bench/soak.sh slow.)
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/http.sh"
start_http "$SCRIPT_DIR/http_limits.lua"
python3 - "$HTTP_PORT" <<'PY' || fail "the new client was closed instead of a slow sender"
import socket, sys, time
port = int(sys.argv[1])
def conn():
    s = socket.create_connection(("127.0.0.1", port), timeout=3)
    return s
slow = []
for i in range(5):
    s = conn()
    s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    slow.append(s)
    time.sleep(0.05)
time.sleep(0.2)
client = conn()          # says nothing yet
time.sleep(0.1)
other = conn()           # over the cap: someone is closed to make room
time.sleep(0.2)
client.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
data = b""
try:
    while True:
        d = client.recv(4096)
        if not d:
            break
        data += d
except OSError as e:
    print("client: %s" % e)
first = data.split(b"\r\n", 1)[0]
print("client got: %r" % first)
closed = 0
for s in slow:
    s.settimeout(0.5)
    try:
        if s.recv(1) == b"":
            closed += 1
    except socket.timeout:
        pass
    except OSError:
        closed += 1
print("slow senders closed: %d" % closed)
sys.exit(0 if first.startswith(b"HTTP/1.1 200") and closed >= 1 else 1)
PY
server_alive
stop_server
pass
