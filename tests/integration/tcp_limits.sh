#!/usr/bin/env bash
# SIP TCP caps (config.tcp): past max_connections a new inbound connection is closed at once;
# a peer that sends requests but never reads its replies is closed once its queue passes
# max_output, or once all queues together pass max_output_total; counted in /metrics; the
# server's memory stays bounded and it goes on answering.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/http.sh"

free_port PORT
free_port HTTP_PORT
export PORT HTTP_LISTEN="127.0.0.1:$HTTP_PORT"

# Five held connections fill the cap; the sixth is closed at once, the held ones still work.
export MAX_OUTPUT=65536 MAX_TOTAL=67108864
start_server "$SCRIPT_DIR/tcp_limits.lua"
python3 - "$PORT" <<'PY' || fail "over max_connections: the sixth connection was not closed at once"
import socket, sys, time
port = int(sys.argv[1])
held = [socket.create_connection(("127.0.0.1", port)) for _ in range(5)]
time.sleep(0.3)
s = socket.create_connection(("127.0.0.1", port), timeout=2)
try:
    d = s.recv(100)
except ConnectionResetError:
    d = b""
sys.exit(0 if d == b"" else 1)
PY
hcurl /metrics
grep -q '^lunasip_sip_tcp_refused_total [1-9]' <<<"$HTTP_BODY" || fail "lunasip_sip_tcp_refused_total not counted"
assert_log 'config.tcp.max_connections' "the refusal's log line"

# never_reads: one connection that sends 400 OPTIONS and reads nothing; prints the server's
# RSS growth in KiB and whether the server closed the connection.
never_reads() {
    python3 - "$PORT" "$SERVER_PID" <<'PY'
import socket, sys, time
port, pid = int(sys.argv[1]), sys.argv[2]
def rss():
    for l in open("/proc/%s/status" % pid):
        if l.startswith("VmRSS:"):
            return int(l.split()[1])
before = rss()
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", port))
closed = False
for i in range(400):
    m = ("OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bK-nr%d\r\n"
         "From: <sip:a@x>;tag=1\r\nTo: <sip:x@127.0.0.1>\r\nCall-ID: nr%d\r\nCSeq: 1 OPTIONS\r\n"
         "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n" % (i, i)).encode()
    try:
        s.sendall(m)
    except OSError:
        closed = True
        break
    time.sleep(0.002)
time.sleep(0.5)
if not closed:   # read what is left: the server must have closed the stream by now
    s.settimeout(3)
    try:
        while s.recv(65536):
            pass
        closed = True
    except (ConnectionResetError, BrokenPipeError):
        closed = True
    except socket.timeout:
        pass
print(rss() - before, "closed" if closed else "open")
PY
}

read growth state < <(never_reads)
log "peer that never reads (max_output): RSS +$growth KiB, connection $state"
[ "$state" = closed ] || fail "a peer that never reads was not closed (max_output)"
[ "$growth" -lt 20000 ] || fail "RSS grew by $growth KiB for one peer that never reads"
assert_log 'config.tcp.max_output)' "the per-connection overflow log line"
hcurl /metrics
grep -q '^lunasip_sip_tcp_overflow_total [1-9]' <<<"$HTTP_BODY" || fail "lunasip_sip_tcp_overflow_total not counted"
options_ok "$PORT" tcp || fail "a normal TCP client after the overflow"
stop_server

# The total cap: one peer under its own cap passes max_output_total.
export MAX_OUTPUT=1048576 MAX_TOTAL=131072
start_server "$SCRIPT_DIR/tcp_limits.lua"
read growth state < <(never_reads)
log "peer that never reads (max_output_total): RSS +$growth KiB, connection $state"
[ "$state" = closed ] || fail "a peer that never reads was not closed (max_output_total)"
assert_log 'config.tcp.max_output_total' "the total overflow log line"
options_ok "$PORT" tcp || fail "a normal TCP client after the total overflow"
stop_server
pass
