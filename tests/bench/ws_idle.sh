#!/usr/bin/env bash
# Memory per idle WebSocket connection: lunasip with a ws: and a wss: listener; N clients
# (default 10000, BENCH_WS_CONNS) open a WebSocket each (ws, then wss in a second round) and
# stay idle; lunasip's VmRSS before and while they are held gives the bytes per connection.
# While the connections are held, an OPTIONS over one more WebSocket must still be answered.
#
#   tests/bench/ws_idle.sh            LUNASIP=/path/to/lunasip (default: build/lunasip)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
LUNASIP=${LUNASIP:-$src/build/lunasip}
N=${BENCH_WS_CONNS:-10000}
out=$(mktemp -d "${TMPDIR:-/tmp}/lunasip-ws-idle.XXXXXX")
ulimit -n $((N + 1000)) 2>/dev/null || { echo "ws_idle: cannot raise the fd limit to $((N + 1000))" >&2; exit 1; }
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$out/key.pem" -out "$out/cert.pem" \
    -days 2 -subj /CN=localhost 2>/dev/null
cat >"$out/ws.lua" <<LUA
config = { tls = { cert = "cert.pem", key = "key.pem" }, log = { level = "warn" },
           tcp = { idle_timeout = 600, max_connections = $((N + 100)) } }
function on_request(msg) return msg:reply(200) end
LUA
"$LUNASIP" -f "$out/ws.lua" -l udp:127.0.0.1:5190 -l ws:127.0.0.1:5191 -l wss:127.0.0.1:5192 >"$out/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT
sleep 1
rss() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }
printf '%-5s %8s %12s %12s %14s\n' proto conns "rss_before" "rss_held" "bytes/conn"
for proto in ws wss; do
    port=5191
    args=()
    [ $proto = wss ] && port=5192 args=(--tls)
    rm -f "$out/release"
    before=$(rss)
    python3 "$here/ws_idle.py" --port $port "${args[@]}" -n "$N" --hold-file "$out/release" >"$out/$proto.out" &
    cpid=$!
    for ((i = 0; i < 1200; i++)); do grep -q '^OPEN' "$out/$proto.out" 2>/dev/null && break; sleep 0.1; done
    sleep 1
    held=$(rss)
    grep -q '^FAILED' "$out/$proto.out" && { echo "ws_idle: $(cat "$out/$proto.out")" >&2; exit 1; }
    printf '%-5s %8d %9d kB %9d kB %14d\n' $proto "$N" "$before" "$held" $(((held - before) * 1024 / N))
    python3 "$here/ws_idle.py" --port $port "${args[@]}" --probe >"$out/probe.out" ||
        { echo "ws_idle: no answer over a new $proto connection while $N are held" >&2; exit 1; }
    touch "$out/release"
    wait $cpid
    sleep 1
done
grep -E "WARN|ERROR" "$out/server.log" | sort | uniq -c | sort -rn | head -5 || true
rm -rf "$out"
