#!/usr/bin/env bash
# HTTP server limits (config.http): a client dribbling its headers or its body is closed after
# header_timeout / body_timeout, a silent keep-alive connection after idle_timeout; past
# max_connections the connection waiting longest is closed so a new client is served, requests
# over max_routes running routes get 503 with Retry-After; each is counted in /metrics.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/http.sh"

start_http "$SCRIPT_DIR/http_limits.lua"

# peer MODE: one raw client; prints how long the server took to close the connection (seconds).
peer() {
    python3 - "$HTTP_PORT" "$1" <<'PY'
import socket, sys, time
port, mode = int(sys.argv[1]), sys.argv[2]
s = socket.create_connection(("127.0.0.1", port), timeout=10)
t0 = time.monotonic()
s.setblocking(False)
def closed():
    try:
        d = s.recv(4096)
        return d == b""
    except BlockingIOError:
        return False
    except ConnectionResetError:
        return True
if mode == "headers":
    s.send(b"GET /health HTTP/1.1\r\nHost: x\r\n")
elif mode == "body":
    s.send(b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n")
elif mode == "idle":
    s.send(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(0.2)
    if b"200 OK" not in s.recv(4096):
        print("no answer"); sys.exit(0)
    t0 = time.monotonic()
while time.monotonic() - t0 < 8:
    if closed():
        print("%.1f" % (time.monotonic() - t0)); sys.exit(0)
    if mode in ("headers", "body"):
        try:
            s.send(b"X-a: b\r\n" if mode == "headers" else b"x")
        except OSError:
            print("%.1f" % (time.monotonic() - t0)); sys.exit(0)
    time.sleep(0.25)
print("open")
PY
}

for mode in headers body idle; do
    took=$(peer $mode)
    log "$mode: closed after $took s"
    case $took in
        open|"no answer") fail "$mode: the connection was not closed ($took)" ;;
    esac
    python3 -c "import sys; t=float(sys.argv[1]); sys.exit(0 if 0.9 <= t <= 3.5 else 1)" "$took" \
        || fail "$mode: closed after $took s, expected about its timeout (1-2 s)"
done
expect_http 200 "/health after the slow clients" /health

# Five silent connections fill config.http.max_connections = 5: a sixth client is still served,
# the oldest silent connection being closed to make room.
python3 - "$HTTP_PORT" <<'PY' || fail "over max_connections: the new client was not served, or nothing was closed"
import socket, sys, time
port = int(sys.argv[1])
held = [socket.create_connection(("127.0.0.1", port)) for _ in range(5)]
time.sleep(0.2)
s = socket.create_connection(("127.0.0.1", port), timeout=3)
s.send(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
d = s.recv(4096)
print("sixth connection:", d.split(b"\r\n")[0], file=sys.stderr)
held[0].settimeout(3)
try:
    first = held[0].recv(100)
except ConnectionResetError:
    first = b""
sys.exit(0 if d.startswith(b"HTTP/1.1 200") and first == b"" else 1)
PY
sleep 0.3
expect_http 200 "/health once the held connections are gone" /health

# Two routes running (config.http.max_routes = 2): the third request gets 503 + Retry-After.
slow=()
for i in 1 2; do
    curl -s --max-time 5 -o /dev/null "http://127.0.0.1:$HTTP_PORT/slow?ms=1500" &
    slow+=($!)
done
sleep 0.5
hcurl -D "$T/headers" /slow?ms=10
[ "$HTTP_STATUS" = 503 ] || fail "third route over max_routes: expected 503, got $HTTP_STATUS"
grep -qi '^Retry-After: ' "$T/headers" || fail "503 without Retry-After"
wait "${slow[@]}"
expect_http 200 "a route once the others ended" /slow?ms=10

hcurl /metrics; m=$HTTP_BODY
timeouts=$(awk '/^lunasip_http_timeouts_total /{print $2}' <<<"$m")
refused=$(awk '/^lunasip_http_connections_refused_total /{print $2}' <<<"$m")
routes=$(awk '/^lunasip_http_routes_refused_total /{print $2}' <<<"$m")
[ "${timeouts:-0}" -ge 3 ] || fail "lunasip_http_timeouts_total is '${timeouts:-}', expected >= 3"
[ "${refused:-0}" -ge 1 ] || fail "lunasip_http_connections_refused_total is '${refused:-}', expected >= 1"
[ "${routes:-0}" -ge 1 ] || fail "lunasip_http_routes_refused_total is '${routes:-}', expected >= 1"
assert_log 'config.http.max_connections' "the refusal's log line"
stop_server
pass
