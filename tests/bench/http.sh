#!/usr/bin/env bash
# HTTP benchmark: lunasip's on_http vs Kamailio's xhttp (KEMI Lua), side by side, one run.
#
#   tests/bench/http.sh
#
# Each server answers every request with 200 "ok" from a Lua handler (lunasip-http.lua;
# kamailio-http.cfg + kamailio-http.lua, one TCP worker). wrk (Debian package wrk) runs
# BENCH_HTTP_SECS seconds against each with BENCH_HTTP_CONNS keep-alive connections; the
# server is pinned to CPU BENCH_PROXY_CPU, wrk to BENCH_SIPP_CPU (the CPUs run.sh uses).
# Prints requests/s, p99 latency and the lunasip/kamailio ratios.
#
# Environment (all optional):
#   LUNASIP            lunasip binary                      (default: /work/main/build/lunasip)
#   BENCH_SERVERS      servers to run, in order            (default: "lunasip kamailio")
#   BENCH_HTTP_SECS    seconds of load per server          (default: 5)
#   BENCH_HTTP_CONNS   wrk connections                     (default: 50)
#   BENCH_HTTP_PORT    HTTP port of the server             (default: 8090)
#   BENCH_PROXY_CPU / BENCH_SIPP_CPU                       (default: 1 / 0)
#   BENCH_OUT          work dir for logs                   (default: a new mktemp -d dir)
#   BENCH_NO_INSTALL=1 never apt-get install missing packages
#
# Everything is on 127.0.0.1. Every process started here is stopped on exit.

set -u
set -o pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LUNASIP="${LUNASIP:-/work/main/build/lunasip}"
BENCH_SERVERS="${BENCH_SERVERS:-lunasip kamailio}"
BENCH_HTTP_SECS="${BENCH_HTTP_SECS:-5}"
BENCH_HTTP_CONNS="${BENCH_HTTP_CONNS:-50}"
BENCH_HTTP_PORT="${BENCH_HTTP_PORT:-8090}"
BENCH_SIP_PORT="${BENCH_SIP_PORT:-5071}"   # lunasip needs a SIP listener too; nothing is sent to it
BENCH_PROXY_CPU="${BENCH_PROXY_CPU:-1}"
BENCH_SIPP_CPU="${BENCH_SIPP_CPU:-0}"
ADDR=127.0.0.1

log() { printf '[bench http %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

STARTED=()
cleanup() {
    local p
    for p in "${STARTED[@]:-}"; do [ -n "$p" ] && kill -TERM "$p" 2>/dev/null; done
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        local alive=0
        for p in "${STARTED[@]:-}"; do [ -n "$p" ] && kill -0 "$p" 2>/dev/null && alive=1; done
        [ $alive = 0 ] && break
        sleep 0.3
    done
    for p in "${STARTED[@]:-}"; do [ -n "$p" ] && kill -KILL "$p" 2>/dev/null; done
    for p in "${STARTED[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null; done
    STARTED=()
}
on_exit() { local rc=$?; trap - EXIT INT TERM; cleanup; exit $rc; }
trap on_exit EXIT
trap 'log "interrupted"; exit 130' INT TERM

need_pkgs=()
command -v wrk >/dev/null 2>&1 || need_pkgs+=(wrk)
command -v taskset >/dev/null 2>&1 || need_pkgs+=(util-linux)
if [[ " $BENCH_SERVERS " == *" kamailio "* ]]; then
    command -v kamailio >/dev/null 2>&1 || need_pkgs+=(kamailio)
    ls /usr/lib/*/kamailio/modules/app_lua.so >/dev/null 2>&1 || need_pkgs+=(kamailio-lua-modules)
fi
if [ ${#need_pkgs[@]} -gt 0 ]; then
    [ "${BENCH_NO_INSTALL:-0}" = 1 ] && die "missing packages: ${need_pkgs[*]}"
    [ "$(id -u)" = 0 ] || die "missing packages (${need_pkgs[*]}); run as root or install them"
    log "installing ${need_pkgs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq "${need_pkgs[@]}" >/dev/null || die "apt-get install failed"
    if [[ " ${need_pkgs[*]} " == *" kamailio "* ]] && command -v service >/dev/null 2>&1; then
        service kamailio stop >/dev/null 2>&1
    fi
fi

NCPU=$(nproc)
[ "$BENCH_PROXY_CPU" -lt "$NCPU" ] && [ "$BENCH_SIPP_CPU" -lt "$NCPU" ] ||
    die "need CPUs $BENCH_PROXY_CPU and $BENCH_SIPP_CPU (have $NCPU)"
BENCH_OUT="${BENCH_OUT:-$(mktemp -d /tmp/lunasip-bench-http.XXXXXX)}"
mkdir -p "$BENCH_OUT"
log "servers='$BENCH_SERVERS' ${BENCH_HTTP_SECS}s x ${BENCH_HTTP_CONNS} connections, out=$BENCH_OUT"

port_busy() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q . ; }

wait_http() {  # wait_http PID LOG: until GET / answers
    for _ in $(seq 1 50); do
        kill -0 "$1" 2>/dev/null || { log "server exited; log tail:"; tail -20 "$2" >&2; return 1; }
        curl -s -o /dev/null --max-time 1 "http://$ADDR:$BENCH_HTTP_PORT/" && return 0
        sleep 0.1
    done
    log "server did not answer HTTP on $BENCH_HTTP_PORT within 5 s"; return 1
}

start_lunasip() {
    [ -x "$LUNASIP" ] || { log "lunasip binary $LUNASIP not found: skipped"; return 2; }
    BENCH_HTTP_LISTEN="$ADDR:$BENCH_HTTP_PORT" taskset -c "$BENCH_PROXY_CPU" "$LUNASIP" -q \
        -f "$HERE/lunasip-http.lua" -l "udp:$ADDR:$BENCH_SIP_PORT" >"$BENCH_OUT/lunasip.log" 2>&1 &
    SERVER_MAIN=$!
    STARTED+=("$SERVER_MAIN")
    wait_http "$SERVER_MAIN" "$BENCH_OUT/lunasip.log"
}

start_kamailio() {
    local mpath
    mpath="$(dirname "$(ls /usr/lib/*/kamailio/modules/app_lua.so | head -1)")/"
    mkdir -p "$BENCH_OUT/kamailio-rt"
    taskset -c "$BENCH_PROXY_CPU" kamailio -f "$HERE/kamailio-http.cfg" -DD -E -m 64 -M 8 \
        -Y "$BENCH_OUT/kamailio-rt" -P "$BENCH_OUT/kamailio.pid" -L "$mpath" \
        -l "tcp:$ADDR:$BENCH_HTTP_PORT" -A "KEMI_SCRIPT=\"$HERE/kamailio-http.lua\"" \
        >"$BENCH_OUT/kamailio.log" 2>&1 &
    SERVER_MAIN=$!
    STARTED+=("$SERVER_MAIN")
    wait_http "$SERVER_MAIN" "$BENCH_OUT/kamailio.log"
}

# p99 from wrk --latency ("99%   1.23ms") in ms
p99_ms() {
    awk '$1 == "99%" { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
                       m = (u == "us") ? v / 1000 : (u == "s") ? v * 1000 : v; printf "%.3f", m }' "$1"
}

declare -A RPS P99
for srv in $BENCH_SERVERS; do
    declare -F "start_$srv" >/dev/null || die "unknown server '$srv'"
    port_busy "$BENCH_HTTP_PORT" && { log "port $BENCH_HTTP_PORT busy: $srv skipped"; continue; }
    "start_$srv" || { log "$srv did not start: skipped"; cleanup; continue; }
    log "$srv up (pid $SERVER_MAIN, CPU $BENCH_PROXY_CPU); wrk on CPU $BENCH_SIPP_CPU"
    out="$BENCH_OUT/$srv.wrk"
    taskset -c "$BENCH_SIPP_CPU" wrk -t1 -c"$BENCH_HTTP_CONNS" -d"${BENCH_HTTP_SECS}s" --latency \
        "http://$ADDR:$BENCH_HTTP_PORT/" >"$out" 2>&1 || log "wrk failed for $srv (see $out)"
    RPS[$srv]=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
    P99[$srv]=$(p99_ms "$out")
    errs=$(awk '/Non-2xx|Socket errors/' "$out")
    [ -n "$errs" ] && log "$srv: $errs"
    cleanup
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a+0>0 && b+0>0) printf "%.2f", a/b; else print "NA" }'; }
echo
printf '%-20s %-14s %-12s\n' server requests/s p99_ms
for srv in $BENCH_SERVERS; do
    printf '%-20s %-14s %-12s\n' "$srv" "${RPS[$srv]:-NA}" "${P99[$srv]:-NA}"
done
if [ -n "${RPS[lunasip]:-}" ] && [ -n "${RPS[kamailio]:-}" ]; then
    printf '%-20s %-14s %-12s\n' "lunasip/kamailio" "$(ratio "${RPS[lunasip]}" "${RPS[kamailio]}")" \
        "$(ratio "${P99[lunasip]}" "${P99[kamailio]}")"
fi
echo "(wrk -t1 -c$BENCH_HTTP_CONNS -d${BENCH_HTTP_SECS}s, keep-alive; logs and wrk output in $BENCH_OUT)"
