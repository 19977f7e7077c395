#!/usr/bin/env bash
# HTTP benchmark: lunasip's on_http vs Kamailio's xhttp (KEMI Lua), side by side, one run.
#
#   tests/bench/http.sh
#   BENCH_MODE=callgrind tests/bench/http.sh
#
# Each server answers every request with 200 "ok" from a Lua handler (lunasip-http.lua;
# kamailio-http.cfg + kamailio-http.lua, one TCP worker). Servers: "lunasip", "kamailio-tlsf"
# (Kamailio with -x tlsf, the reference) and "kamailio-qm" (its packaged default allocator).
# wrk (Debian package wrk) runs BENCH_HTTP_SECS seconds against each with BENCH_HTTP_CONNS
# keep-alive connections to BENCH_HTTP_PATH (not "/": lunasip serves its status page there);
# the server is pinned to CPU BENCH_PROXY_CPU, wrk to BENCH_SIPP_CPU (the CPUs run.sh uses).
# Prints requests/s, p99 latency, the server's CPU time per request, its system calls per
# request (a further BENCH_SYSCALL_SECS run under `perf stat -e raw_syscalls:sys_enter`, when
# perf works here) and the ratios against kamailio-tlsf.
#
# BENCH_MODE=callgrind: each server runs under valgrind --tool=callgrind (Kamailio with all its
# processes) twice, answering BENCH_CG_REQS_1 then BENCH_CG_REQS_2 requests on one keep-alive
# connection (wrk -c1 stops itself after that many responses); prints
# (Ir2 - Ir1) / (requests2 - requests1), the user-space instructions per request.
#
# Environment (all optional):
#   LUNASIP            lunasip binary                      (default: /work/main/build/lunasip)
#   LUNASIP_BASE       binary of the optional server "lunasip-base" (before/after in one run)
#   BENCH_SERVERS      servers to run, in order            (default: "lunasip kamailio-tlsf kamailio-qm")
#   BENCH_HTTP_SECS    seconds of load per server          (default: 5)
#   BENCH_HTTP_CONNS   wrk connections                     (default: 50)
#   BENCH_HTTP_PORT    HTTP port of the server             (default: 8090)
#   BENCH_HTTP_PATH    the path wrk asks for               (default: /bench)
#   BENCH_SYSCALL_SECS seconds of the system call count run (default: 3; 0: none)
#   BENCH_HTTP_PACE_MS each connection waits this long between its requests (wrk's delay()),
#                      so both servers get the same offered load below saturation and their
#                      latency compares at equal load (default: unset, as fast as wrk can)
#   BENCH_PROXY_CPU / BENCH_SIPP_CPU                       (default: 1 / 0)
#   BENCH_OUT          work dir for logs                   (default: a new mktemp -d dir)
#   BENCH_NO_INSTALL=1 never apt-get install missing packages
#   BENCH_CG_REQS_1 / BENCH_CG_REQS_2                      (callgrind mode; default: 1000 / 5000)
#
# Everything is on 127.0.0.1. Every process started here is stopped on exit.

set -u
set -o pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LUNASIP="${LUNASIP:-/work/main/build/lunasip}"
BENCH_SERVERS="${BENCH_SERVERS:-lunasip kamailio-tlsf kamailio-qm}"
BENCH_MODE="${BENCH_MODE:-rate}"
BENCH_CG_REQS_1="${BENCH_CG_REQS_1:-1000}"
BENCH_CG_REQS_2="${BENCH_CG_REQS_2:-5000}"
BENCH_HTTP_SECS="${BENCH_HTTP_SECS:-5}"
BENCH_HTTP_CONNS="${BENCH_HTTP_CONNS:-50}"
BENCH_HTTP_PORT="${BENCH_HTTP_PORT:-8090}"
BENCH_HTTP_PATH="${BENCH_HTTP_PATH:-/bench}"
BENCH_SYSCALL_SECS="${BENCH_SYSCALL_SECS:-3}"
BENCH_SIP_PORT="${BENCH_SIP_PORT:-5071}"   # lunasip needs a SIP listener too; nothing is sent to it
BENCH_PROXY_CPU="${BENCH_PROXY_CPU:-1}"
BENCH_SIPP_CPU="${BENCH_SIPP_CPU:-0}"
ADDR=127.0.0.1

log() { printf '[bench http %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

STARTED=()
STOP_WAIT_TRIES=10   # x 0.3 s before KILL
LISTEN_WAIT_TRIES=50 # x 0.1 s
if [ "$BENCH_MODE" = callgrind ]; then STOP_WAIT_TRIES=200; LISTEN_WAIT_TRIES=600; fi
cleanup() {
    local p
    for p in "${STARTED[@]:-}"; do [ -n "$p" ] && kill -TERM "$p" 2>/dev/null; done
    for _ in $(seq 1 "$STOP_WAIT_TRIES"); do
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
[ "$BENCH_MODE" = callgrind ] && { command -v valgrind >/dev/null 2>&1 || need_pkgs+=(valgrind); }
if [[ " $BENCH_SERVERS " == *" kamailio"* ]]; then
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
    for _ in $(seq 1 "$LISTEN_WAIT_TRIES"); do
        kill -0 "$1" 2>/dev/null || { log "server exited; log tail:"; tail -20 "$2" >&2; return 1; }
        curl -s -o /dev/null --max-time 1 "http://$ADDR:$BENCH_HTTP_PORT/" && return 0
        sleep 0.1
    done
    log "server did not answer HTTP on $BENCH_HTTP_PORT within $((LISTEN_WAIT_TRIES / 10)) s"; return 1
}

CG_DIR=""
cg_wrap() {  # cg_wrap [valgrind option]...: the valgrind prefix of a server command, or nothing
    [ "$BENCH_MODE" = callgrind ] || return 0
    echo valgrind --tool=callgrind --callgrind-out-file="$CG_DIR/callgrind.out.%p" "$@"
}

start_lunasip() {
    [ -x "$LUNASIP" ] || { log "lunasip binary $LUNASIP not found: skipped"; return 2; }
    local wrap; wrap=$(cg_wrap)
    # shellcheck disable=SC2086
    BENCH_HTTP_LISTEN="$ADDR:$BENCH_HTTP_PORT" taskset -c "$BENCH_PROXY_CPU" $wrap "$LUNASIP" -q \
        -f "$HERE/lunasip-http.lua" -l "udp:$ADDR:$BENCH_SIP_PORT" >>"$BENCH_OUT/lunasip.log" 2>&1 &
    SERVER_MAIN=$!
    STARTED+=("$SERVER_MAIN")
    SERVER_PIDS=("$SERVER_MAIN")
    wait_http "$SERVER_MAIN" "$BENCH_OUT/lunasip.log"
}

start_lunasip-base() {  # another lunasip binary (LUNASIP_BASE) in the same run
    [ -n "${LUNASIP_BASE:-}" ] || { log "LUNASIP_BASE is not set: lunasip-base skipped"; return 2; }
    LUNASIP=$LUNASIP_BASE start_lunasip
}

start_kamailio() {  # start_kamailio ALLOCATOR (tlsf | qm): -x sets the shm manager, pkg follows it
    local mm=$1 mpath
    mpath="$(dirname "$(ls /usr/lib/*/kamailio/modules/app_lua.so | head -1)")/"
    mkdir -p "$BENCH_OUT/kamailio-rt"
    local wrap; wrap=$(cg_wrap --trace-children=yes)
    # shellcheck disable=SC2086
    taskset -c "$BENCH_PROXY_CPU" $wrap kamailio -x "$mm" -f "$HERE/kamailio-http.cfg" -DD -E -m 64 -M 8 \
        -Y "$BENCH_OUT/kamailio-rt" -P "$BENCH_OUT/kamailio.pid" -L "$mpath" \
        -l "tcp:$ADDR:$BENCH_HTTP_PORT" -A "KEMI_SCRIPT=\"$HERE/kamailio-http.lua\"" \
        >>"$BENCH_OUT/kamailio-$mm.log" 2>&1 &
    SERVER_MAIN=$!
    STARTED+=("$SERVER_MAIN")
    wait_http "$SERVER_MAIN" "$BENCH_OUT/kamailio-$mm.log" || return 1
    local c
    SERVER_PIDS=("$SERVER_MAIN")
    for c in $(pgrep -P "$SERVER_MAIN"); do SERVER_PIDS+=("$c"); STARTED+=("$c"); done
}
start_kamailio-tlsf() { start_kamailio tlsf; }
start_kamailio-qm() { start_kamailio qm; }

cpu_ticks() {  # sum utime+stime (clock ticks) of the given PIDs
    local p s sum=0
    for p in "$@"; do
        s=$(cat "/proc/$p/stat" 2>/dev/null) || continue
        s=${s##*) }
        set -- $s
        sum=$((sum + ${12} + ${13}))
    done
    echo "$sum"
}
HZ=$(getconf CLK_TCK)

# p99 from wrk --latency ("99%   1.23ms") in ms
p99_ms() {
    awk '$1 == "99%" { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
                       m = (u == "us") ? v / 1000 : (u == "s") ? v * 1000 : v; printf "%.3f", m }' "$1"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a+0>0 && b+0>0) printf "%.2f", a/b; else print "NA" }'; }

if [ "$BENCH_MODE" = callgrind ]; then
    # wrk script: stop after N responses (one connection, so no request is left in flight) and
    # write a marker file; wrk itself waits for its -d duration, so SIGINT ends it early.
    cat >"$BENCH_OUT/stop-after.lua" <<'LUA'
local n, limit, marker = 0, tonumber(os.getenv("BENCH_WRK_REQS")), os.getenv("BENCH_WRK_DONE")
function response()
  n = n + 1
  if n == limit then
    wrk.thread:stop()
    local f = io.open(marker, "w"); f:write(n, "\n"); f:close()
  end
end
LUA
    cg_total() {  # cg_total DIR -> sum of the event totals of every callgrind.out.* in DIR
        local f sum=0 v
        for f in "$1"/callgrind.out.*; do
            [ -f "$f" ] || continue
            v=$(awk '/^summary:/ {print $2; exit} /^totals:/ {t=$2} END{if (t!="") print t}' "$f" | head -1)
            [ -n "$v" ] && sum=$((sum + v))
        done
        echo "$sum"
    }
    declare -A IR1 IR2 N1 N2 IRQ
    for srv in $BENCH_SERVERS; do
        declare -F "start_$srv" >/dev/null || die "unknown server '$srv'"
        for pass in 1 2; do
            reqs=$([ $pass = 1 ] && echo "$BENCH_CG_REQS_1" || echo "$BENCH_CG_REQS_2")
            CG_DIR="$BENCH_OUT/$srv-cg$pass"; mkdir -p "$CG_DIR"
            port_busy "$BENCH_HTTP_PORT" && { log "port $BENCH_HTTP_PORT busy: $srv skipped"; continue 2; }
            "start_$srv" || { log "$srv did not start: skipped"; cleanup; continue 2; }
            out="$BENCH_OUT/$srv-cg$pass.wrk"
            rm -f "$out.done"
            BENCH_WRK_REQS=$reqs BENCH_WRK_DONE="$out.done" taskset -c "$BENCH_SIPP_CPU" \
                wrk -t1 -c1 -d600s -s "$BENCH_OUT/stop-after.lua" "http://$ADDR:$BENCH_HTTP_PORT$BENCH_HTTP_PATH" >"$out" 2>&1 &
            wrk_pid=$!
            while kill -0 "$wrk_pid" 2>/dev/null && [ ! -s "$out.done" ]; do sleep 0.2; done
            kill -INT "$wrk_pid" 2>/dev/null
            wait "$wrk_pid" || log "wrk failed for $srv (see $out)"
            done_reqs=$(awk '/requests in/ {print $1}' "$out")
            cleanup
            ir=$(cg_total "$CG_DIR")
            log "$srv pass $pass: $done_reqs requests, $ir instructions"
            if [ $pass = 1 ]; then IR1[$srv]=$ir; N1[$srv]=$done_reqs; else IR2[$srv]=$ir; N2[$srv]=$done_reqs; fi
        done
        IRQ[$srv]=$(awk -v a="${IR1[$srv]}" -v b="${IR2[$srv]}" -v n="${N1[$srv]}" -v m="${N2[$srv]}" 'BEGIN{ if (m>n) printf "%.0f", (b-a)/(m-n); else print "NA" }')
    done
    echo
    echo "HTTP, instructions per request (callgrind; wrk -c1, $BENCH_CG_REQS_1 and $BENCH_CG_REQS_2 requests, keep-alive)"
    echo
    echo "| server | requests (run 1 / run 2) | Ir run 1 | Ir run 2 | **Ir per request** | vs kamailio-tlsf |"
    echo "|---|---|---|---|---|---|"
    for srv in $BENCH_SERVERS; do
        echo "| $srv | ${N1[$srv]:-NA} / ${N2[$srv]:-NA} | ${IR1[$srv]:-NA} | ${IR2[$srv]:-NA} | **${IRQ[$srv]:-NA}** | $(ratio "${IRQ[$srv]:-}" "${IRQ[kamailio-tlsf]:-}") |"
    done
    echo
    echo "(logs and callgrind files in $BENCH_OUT)"
    exit 0
fi

declare -A RPS P99 CPUUS SYSC
for srv in $BENCH_SERVERS; do
    declare -F "start_$srv" >/dev/null || die "unknown server '$srv'"
    port_busy "$BENCH_HTTP_PORT" && { log "port $BENCH_HTTP_PORT busy: $srv skipped"; continue; }
    "start_$srv" || { log "$srv did not start: skipped"; cleanup; continue; }
    log "$srv up (pids ${SERVER_PIDS[*]}, CPU $BENCH_PROXY_CPU); wrk on CPU $BENCH_SIPP_CPU"
    out="$BENCH_OUT/$srv.wrk"
    c0=$(cpu_ticks "${SERVER_PIDS[@]}")
    pace=()
    if [ -n "${BENCH_HTTP_PACE_MS:-}" ]; then
        echo "function delay() return $BENCH_HTTP_PACE_MS end" >"$BENCH_OUT/pace.lua"
        pace=(-s "$BENCH_OUT/pace.lua")
    fi
    taskset -c "$BENCH_SIPP_CPU" wrk -t1 -c"$BENCH_HTTP_CONNS" -d"${BENCH_HTTP_SECS}s" --latency "${pace[@]}" \
        "http://$ADDR:$BENCH_HTTP_PORT$BENCH_HTTP_PATH" >"$out" 2>&1 || log "wrk failed for $srv (see $out)"
    c1=$(cpu_ticks "${SERVER_PIDS[@]}")
    RPS[$srv]=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
    P99[$srv]=$(p99_ms "$out")
    n=$(awk '/requests in/ {print $1}' "$out")
    CPUUS[$srv]=$(awk -v t=$((c1 - c0)) -v hz="$HZ" -v n="${n:-0}" 'BEGIN{ if (n>0) printf "%.1f", t/hz*1e6/n; else print "NA" }')
    errs=$(awk '/Non-2xx|Socket errors/' "$out")
    [ -n "$errs" ] && log "$srv: $errs"
    if [ "$BENCH_SYSCALL_SECS" != 0 ] && command -v perf >/dev/null 2>&1; then
        # the same load again, counting the server's system calls (all its processes)
        pids=$(IFS=,; echo "${SERVER_PIDS[*]}")
        perf stat -e raw_syscalls:sys_enter -x, -p "$pids" -o "$BENCH_OUT/$srv.perf" -- \
            sleep "$((BENCH_SYSCALL_SECS + 1))" >/dev/null 2>&1 &
        perf_pid=$!
        sleep 0.3
        taskset -c "$BENCH_SIPP_CPU" wrk -t1 -c"$BENCH_HTTP_CONNS" -d"${BENCH_SYSCALL_SECS}s" \
            "http://$ADDR:$BENCH_HTTP_PORT$BENCH_HTTP_PATH" >"$out.sys" 2>&1
        wait "$perf_pid"
        calls=$(awk -F, '/raw_syscalls/ {print $1}' "$BENCH_OUT/$srv.perf" 2>/dev/null)
        n=$(awk '/requests in/ {print $1}' "$out.sys")
        SYSC[$srv]=$(awk -v c="${calls:-0}" -v n="${n:-0}" 'BEGIN{ if (c>0 && n>0) printf "%.2f", c/n; else print "NA" }')
    fi
    cleanup
done

echo
printf '%-28s %-14s %-10s %-18s %-18s\n' server requests/s p99_ms "CPU us/request" "syscalls/request"
for srv in $BENCH_SERVERS; do
    printf '%-28s %-14s %-10s %-18s %-18s\n' "$srv" "${RPS[$srv]:-NA}" "${P99[$srv]:-NA}" "${CPUUS[$srv]:-NA}" "${SYSC[$srv]:-NA}"
done
for ref in kamailio-tlsf kamailio-qm; do
    if [ -n "${RPS[lunasip]:-}" ] && [ -n "${RPS[$ref]:-}" ]; then
        printf '%-28s %-14s %-10s %-18s %-18s\n' "lunasip/$ref" "$(ratio "${RPS[lunasip]}" "${RPS[$ref]}")" \
            "$(ratio "${P99[lunasip]}" "${P99[$ref]}")" "$(ratio "${CPUUS[lunasip]}" "${CPUUS[$ref]}")" \
            "$(ratio "${SYSC[lunasip]:-}" "${SYSC[$ref]:-}")"
    fi
done
echo "(wrk -t1 -c$BENCH_HTTP_CONNS -d${BENCH_HTTP_SECS}s $BENCH_HTTP_PATH${BENCH_HTTP_PACE_MS:+, paced ${BENCH_HTTP_PACE_MS} ms}, keep-alive; load average $(cut -d' ' -f1 /proc/loadavg); logs and wrk output in $BENCH_OUT)"
