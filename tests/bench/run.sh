#!/usr/bin/env bash
# lunasip benchmark harness: lunasip vs Kamailio 5.6 (KEMI Lua), side by side.
#
#   tests/bench/run.sh [CASE]          CASE defaults to "stateless"
#   BENCH_MODE=callgrind tests/bench/run.sh [CASE]
#
# Servers: "lunasip", "kamailio-tlsf" (Kamailio started with -x tlsf, its production
# allocator: the reference) and "kamailio-qm" (the packaged default allocator, a debug
# allocator, reported beside it). All run on the same pinned CPU in the same run.
#
# BENCH_MODE=rate (default) steps through rising call rates (below). BENCH_MODE=callgrind
# runs each server under valgrind --tool=callgrind (Kamailio with --trace-children=yes) twice,
# with BENCH_CG_RATE cps for BENCH_CG_SECS_1 and BENCH_CG_SECS_2 seconds, sums the instructions
# (Ir) of all the server's processes and reports (Ir2 - Ir1) / (calls2 - calls1): the user-space
# instructions per call, without start-up and shutdown. Stable on a busy machine.
#
# A case is a pair of files in this folder:
#   lunasip-CASE.lua        route script for lunasip
#   kamailio-CASE.cfg       Kamailio native cfg (+ kamailio-CASE.lua, its KEMI script,
#                           passed as -A KEMI_SCRIPT="..." when it exists)
#   CASE.env                optional: shell overrides for the case (defaults below)
#
# For each server, a sipp UAC (built-in "uac") sends calls INVITE/180/200/ACK/BYE/200 at
# rising rates through the proxy (-rsa) to a sipp UAS (built-in "uas") for
# BENCH_STEP_SECS a step. The proxy runs on CPU 1, both sipp on CPU 0. A step is clean
# when every call succeeded, neither sipp saw a failed call or a retransmission, and the
# UAC reached >= BENCH_MIN_RATE_PCT % of the asked rate. Stepping stops at the first step
# that is not clean (after BENCH_RETRIES extra attempts).
#
# Environment (all optional):
#   BENCH_SERVERS      servers to run, in order        (default: "lunasip kamailio-tlsf kamailio-qm")
#   LUNASIP            lunasip binary                  (default: /work/main/build/lunasip)
#   LUNASIP_ARGS       extra lunasip arguments         (default: -q)
#   LUNASIP_BASE       binary of the optional server "lunasip-base" (before/after in one run)
#   BENCH_STEP_SECS    seconds of traffic per step     (default: 15)
#   BENCH_RATES        call rates (cps), rising        (default: "500 1000 1500 2000 2500 3000 3500 4000 4500 5000 6000 7000 8000 10000 12000 15000 20000")
#   BENCH_RETRIES      extra attempts for a failing step (default: 1)
#   BENCH_MIN_RATE_PCT minimal achieved/asked rate %   (default: 90)
#   BENCH_PROXY_PORT / BENCH_UAC_PORT / BENCH_UAS_PORT (default: 5070 / 5080 / 5090)
#   BENCH_PROXY_CPU / BENCH_SIPP_CPU                   (default: 1 / 0)
#   BENCH_OUT          work dir for logs and CSVs      (default: a new mktemp -d dir)
#   BENCH_RESULTS      Markdown results file           (default: tests/bench/RESULTS.md)
#   BENCH_NO_INSTALL=1 never apt-get install missing packages
#   BENCH_CG_RATE / BENCH_CG_SECS_1 / BENCH_CG_SECS_2    callgrind mode (default: 50 cps, 5 s / 25 s)
#   BENCH_SYSCALLS     1: system calls per call of the server in each step (default: 1 when perf exists)
#
# Everything is on 127.0.0.1. Every process started here is stopped on exit.

set -u
set -o pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CASE="${1:-stateless}"

BENCH_SERVERS="${BENCH_SERVERS:-lunasip kamailio-tlsf kamailio-qm}"
BENCH_MODE="${BENCH_MODE:-rate}"
BENCH_CG_RATE="${BENCH_CG_RATE:-50}"
BENCH_CG_SECS_1="${BENCH_CG_SECS_1:-5}"
BENCH_CG_SECS_2="${BENCH_CG_SECS_2:-25}"
LUNASIP="${LUNASIP:-/work/main/build/lunasip}"
LUNASIP_ARGS="${LUNASIP_ARGS:--q}"
BENCH_STEP_SECS="${BENCH_STEP_SECS:-15}"
BENCH_RATES="${BENCH_RATES:-500 1000 1500 2000 2500 3000 3500 4000 4500 5000 6000 7000 8000 10000 12000 15000 20000}"
BENCH_RETRIES="${BENCH_RETRIES:-1}"
BENCH_MIN_RATE_PCT="${BENCH_MIN_RATE_PCT:-90}"
BENCH_PROXY_PORT="${BENCH_PROXY_PORT:-5070}"
BENCH_UAC_PORT="${BENCH_UAC_PORT:-5080}"
BENCH_UAS_PORT="${BENCH_UAS_PORT:-5090}"
BENCH_PROXY_CPU="${BENCH_PROXY_CPU:-1}"
BENCH_SIPP_CPU="${BENCH_SIPP_CPU:-0}"
BENCH_RESULTS="${BENCH_RESULTS:-}"  # default: $BENCH_OUT/results-CASE[-callgrind].md
# Load generator of the case: "sipp" (SIP calls). Later cases may add e.g. "wrk" by
# defining step_wrk() below and setting BENCH_LOAD=wrk in their CASE.env.
BENCH_LOAD="${BENCH_LOAD:-sipp}"
SIPP_UAC_SCENARIO="${SIPP_UAC_SCENARIO:-}"   # path to an XML file; empty: built-in uac
SIPP_UAS_SCENARIO="${SIPP_UAS_SCENARIO:-}"   # path to an XML file; empty: built-in uas
KAMAILIO_MEM_ARGS="${KAMAILIO_MEM_ARGS:--m 64 -M 8}"
# 1: count the server's system calls per call in each step (needs perf; linux-perf package)
BENCH_SYSCALLS="${BENCH_SYSCALLS:-$(command -v perf >/dev/null 2>&1 && echo 1 || echo 0)}"
ADDR=127.0.0.1

if [ -f "$HERE/$CASE.env" ]; then
    # shellcheck disable=SC1090
    . "$HERE/$CASE.env"
fi

LUNASIP_SCRIPT="$HERE/lunasip-$CASE.lua"
KAM_CFG="$HERE/kamailio-$CASE.cfg"
KAM_KEMI="$HERE/kamailio-$CASE.lua"

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ -f "$LUNASIP_SCRIPT" ] || die "case '$CASE': missing $LUNASIP_SCRIPT"
[ -f "$KAM_CFG" ] || die "case '$CASE': missing $KAM_CFG"

# ---------------------------------------------------------------------------------
# Process bookkeeping: every PID we start goes in STARTED; cleanup stops them all.
STARTED=()
STOP_WAIT_TRIES=10   # x 0.3 s before KILL; callgrind mode waits longer (it writes its counts at exit)
cleanup() {
    local p alive
    for p in "${STARTED[@]:-}"; do
        [ -n "$p" ] && kill -TERM "$p" 2>/dev/null
    done
    for _ in $(seq 1 "$STOP_WAIT_TRIES"); do
        alive=0
        for p in "${STARTED[@]:-}"; do
            [ -n "$p" ] && kill -0 "$p" 2>/dev/null && alive=1
        done
        [ $alive = 0 ] && break
        sleep 0.3
    done
    for p in "${STARTED[@]:-}"; do
        [ -n "$p" ] && kill -KILL "$p" 2>/dev/null
    done
    for p in "${STARTED[@]:-}"; do
        [ -n "$p" ] && wait "$p" 2>/dev/null
    done
    STARTED=()
}
on_exit() { local rc=$?; trap - EXIT INT TERM; cleanup; exit $rc; }
trap on_exit EXIT
trap 'log "interrupted"; exit 130' INT TERM

forget() {  # forget PIDs that were stopped already
    local p keep=()
    for p in "${STARTED[@]:-}"; do
        [ -n "$p" ] && kill -0 "$p" 2>/dev/null && keep+=("$p")
    done
    STARTED=("${keep[@]:-}")
}

# ---------------------------------------------------------------------------------
# Dependencies
need_pkgs=()
command -v sipp >/dev/null 2>&1 || need_pkgs+=(sip-tester)
command -v kamailio >/dev/null 2>&1 || need_pkgs+=(kamailio)
ls /usr/lib/*/kamailio/modules/app_lua.so >/dev/null 2>&1 || need_pkgs+=(kamailio-lua-modules)
command -v taskset >/dev/null 2>&1 || need_pkgs+=(util-linux)
command -v ss >/dev/null 2>&1 || need_pkgs+=(iproute2)
command -v pgrep >/dev/null 2>&1 || need_pkgs+=(procps)
[ "$BENCH_MODE" = callgrind ] && { command -v valgrind >/dev/null 2>&1 || need_pkgs+=(valgrind); }
if [ ${#need_pkgs[@]} -gt 0 ]; then
    [ "${BENCH_NO_INSTALL:-0}" = 1 ] && die "missing packages: ${need_pkgs[*]}"
    [ "$(id -u)" = 0 ] || die "missing packages (${need_pkgs[*]}); run as root or install them"
    log "installing ${need_pkgs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq "${need_pkgs[@]}" >/dev/null \
        || die "apt-get install ${need_pkgs[*]} failed"
    # The Debian package may enable and start a kamailio service: never leave it running.
    if [[ " ${need_pkgs[*]} " == *" kamailio "* ]]; then
        if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
            systemctl stop kamailio 2>/dev/null; systemctl disable kamailio 2>/dev/null
        elif command -v service >/dev/null 2>&1; then
            service kamailio stop >/dev/null 2>&1
        fi
    fi
fi
KAM_MPATH="$(dirname "$(ls /usr/lib/*/kamailio/modules/app_lua.so | head -1)")/"

if pgrep -x kamailio >/dev/null 2>&1; then
    log "WARNING: a kamailio not started by this script is running (pids $(pgrep -x kamailio | tr '\n' ' '));"
    log "         it is left alone, but it may disturb the measurement"
fi

NCPU=$(nproc)
[ "$BENCH_PROXY_CPU" -lt "$NCPU" ] && [ "$BENCH_SIPP_CPU" -lt "$NCPU" ] \
    || die "need CPUs $BENCH_PROXY_CPU and $BENCH_SIPP_CPU (have $NCPU)"
HZ=$(getconf CLK_TCK)

case "$BENCH_MODE" in rate|callgrind) ;; *) die "BENCH_MODE must be rate or callgrind";; esac
BENCH_OUT="${BENCH_OUT:-$(mktemp -d /tmp/lunasip-bench.XXXXXX)}"
mkdir -p "$BENCH_OUT"
if [ -z "$BENCH_RESULTS" ]; then
    BENCH_RESULTS="$BENCH_OUT/results-$CASE$([ "$BENCH_MODE" = callgrind ] && echo -callgrind).md"
fi
log "case=$CASE mode=$BENCH_MODE servers='$BENCH_SERVERS' step=${BENCH_STEP_SECS}s rates='$BENCH_RATES' out=$BENCH_OUT"

port_busy() { ss -Hlun "sport = :$1" 2>/dev/null | grep -q . ; }

# ---------------------------------------------------------------------------------
# /proc helpers
cpu_ticks() {  # sum utime+stime (clock ticks) of the given PIDs
    local p s sum=0
    for p in "$@"; do
        s=$(cat "/proc/$p/stat" 2>/dev/null) || continue
        s=${s##*) }                     # fields from 3 on (comm may hold spaces)
        set -- $s
        sum=$((sum + ${12} + ${13}))    # fields 14 and 15: utime, stime
    done
    echo "$sum"
}
kb_field() {  # kb_field FIELD PID... -> "max sum" of a /proc/PID/status field (kB)
    local f=$1 p v max=0 sum=0; shift
    for p in "$@"; do
        v=$(awk -v f="$f:" '$1==f{print $2}' "/proc/$p/status" 2>/dev/null)
        [ -n "$v" ] || continue
        sum=$((sum + v)); [ "$v" -gt "$max" ] && max=$v
    done
    echo "$max $sum"
}
udp_drops() {  # udp_drops PORT -> datagrams dropped by the UDP sockets bound to PORT
    awk -v p="$(printf '%04X' "$1")" 'NR>1 { split($2,a,":"); if (a[2]==p) d+=$NF } END{print d+0}' \
        /proc/net/udp /proc/net/udp6 2>/dev/null
}
udp_rcvbuf_errors() {  # system-wide UDP RcvbufErrors (all sockets)
    awk '$1=="Udp:" && !h { for (i=2;i<=NF;i++) c[$i]=i; h=1; next }
         $1=="Udp:" { print $c["RcvbufErrors"]; exit }' /proc/net/snmp
}
pss_kb() {  # total PSS (kB) of the given PIDs
    local p v sum=0
    for p in "$@"; do
        v=$(awk '$1=="Pss:"{print $2}' "/proc/$p/smaps_rollup" 2>/dev/null)
        [ -n "$v" ] && sum=$((sum + v))
    done
    echo "$sum"
}

# ---------------------------------------------------------------------------------
# Servers: start_<server> sets SERVER_PIDS (all processes) and returns 0 when up.
SERVER_PIDS=()
SERVER_MAIN=""

# Callgrind mode: every server runs under valgrind; its count files go to CG_DIR.
CG_DIR=""
LISTEN_WAIT_TRIES=50   # x 0.1 s
if [ "$BENCH_MODE" = callgrind ]; then
    LISTEN_WAIT_TRIES=600
    STOP_WAIT_TRIES=200
fi
cg_wrap() {  # cg_wrap [--trace-children=yes]: the valgrind prefix of a server command, or nothing
    [ "$BENCH_MODE" = callgrind ] || return 0
    echo valgrind --tool=callgrind --callgrind-out-file="$CG_DIR/callgrind.out.%p" "$@"
}

wait_listen() {  # wait_listen PID PORT LOG
    for _ in $(seq 1 "$LISTEN_WAIT_TRIES"); do
        kill -0 "$1" 2>/dev/null || { log "server exited; log tail:"; tail -20 "$3" >&2; return 1; }
        port_busy "$2" && return 0
        sleep 0.1
    done
    log "server did not listen on $2 within $((LISTEN_WAIT_TRIES / 10)) s"; return 1
}

start_lunasip() {
    local logf="$BENCH_OUT/lunasip.log"
    [ -x "$LUNASIP" ] || { log "lunasip binary $LUNASIP not found/executable: skipped"; return 2; }
    local wrap; wrap=$(cg_wrap)
    # shellcheck disable=SC2086
    log "start: taskset -c $BENCH_PROXY_CPU $wrap $LUNASIP $LUNASIP_ARGS -f $LUNASIP_SCRIPT -l udp:$ADDR:$BENCH_PROXY_PORT"
    # shellcheck disable=SC2086
    taskset -c "$BENCH_PROXY_CPU" $wrap "$LUNASIP" $LUNASIP_ARGS -f "$LUNASIP_SCRIPT" \
        -l "udp:$ADDR:$BENCH_PROXY_PORT" >>"$logf" 2>&1 &
    SERVER_MAIN=$!
    STARTED+=("$SERVER_MAIN")
    wait_listen "$SERVER_MAIN" "$BENCH_PROXY_PORT" "$logf" || return 1
    SERVER_PIDS=("$SERVER_MAIN")
}

# "lunasip-base": another lunasip binary (LUNASIP_BASE, e.g. a build of an older commit) in the
# same run, for before/after comparisons on the same machine load.
start_lunasip-base() {
    [ -n "${LUNASIP_BASE:-}" ] || { log "LUNASIP_BASE is not set: lunasip-base skipped"; return 2; }
    LUNASIP=$LUNASIP_BASE start_lunasip
}

start_kamailio() {  # start_kamailio ALLOCATOR (tlsf | qm): -x sets the shm manager, pkg follows it
    local mm=$1 logf="$BENCH_OUT/kamailio-$1.log" pidf="$BENCH_OUT/kamailio.pid" kemi=()
    [ -f "$KAM_KEMI" ] && kemi=(-A "KEMI_SCRIPT=\"$KAM_KEMI\"")
    local wrap; wrap=$(cg_wrap --trace-children=yes)
    # shellcheck disable=SC2086
    log "start: taskset -c $BENCH_PROXY_CPU $wrap kamailio -x $mm -f $KAM_CFG -DD -E $KAMAILIO_MEM_ARGS -l udp:$ADDR:$BENCH_PROXY_PORT ${kemi[*]}"
    # -DD: stay in the foreground (children are still forked), -E: log to stderr.
    mkdir -p "$BENCH_OUT/kamailio-rt"
    # shellcheck disable=SC2086
    taskset -c "$BENCH_PROXY_CPU" $wrap kamailio -x "$mm" -f "$KAM_CFG" -DD -E $KAMAILIO_MEM_ARGS \
        -Y "$BENCH_OUT/kamailio-rt" -P "$pidf" -L "$KAM_MPATH" \
        -l "udp:$ADDR:$BENCH_PROXY_PORT" "${kemi[@]}" >>"$logf" 2>&1 &
    SERVER_MAIN=$!
    STARTED+=("$SERVER_MAIN")
    wait_listen "$SERVER_MAIN" "$BENCH_PROXY_PORT" "$logf" || return 1
    sleep 0.5   # let every child fork
    [ "$BENCH_MODE" = callgrind ] && sleep 10   # its UDP worker starts long after the socket is bound
    local c
    SERVER_PIDS=("$SERVER_MAIN")
    for c in $(pgrep -P "$SERVER_MAIN"); do SERVER_PIDS+=("$c"); STARTED+=("$c"); done
}
start_kamailio-tlsf() { start_kamailio tlsf; }
start_kamailio-qm() { start_kamailio qm; }

stop_server() {
    cleanup
    SERVER_PIDS=(); SERVER_MAIN=""
}

# ---------------------------------------------------------------------------------
# Load generator "sipp": one step. Sets STEP_* variables; returns 0 when clean.
csv_last() {  # csv_last FILE COLUMN... -> values of the last row
    awk -F';' -v cols="${*:2}" '
        NR==1 { for (i=1;i<=NF;i++) h[$i]=i; next }
        { last=$0 }
        END { n=split(cols,c," "); split(last,f,";");
              for (i=1;i<=n;i++) printf "%s%s", (c[i] in h ? f[h[c[i]]] : "NA"), (i<n?" ":"\n") }' "$1"
}

step_sipp() {  # step_sipp TAG RATE SECS
    local tag=$1 rate=$2 secs=$3
    local calls=$((rate * secs))
    local dir="$BENCH_OUT/$tag"; mkdir -p "$dir"
    local uac_sc=(-sn uac) uas_sc=(-sn uas)
    [ -n "$SIPP_UAC_SCENARIO" ] && uac_sc=(-sf "$SIPP_UAC_SCENARIO")
    [ -n "$SIPP_UAS_SCENARIO" ] && uas_sc=(-sf "$SIPP_UAS_SCENARIO")
    local tmo=$((secs * 2 + 20))
    # Enough simultaneous calls that sipp never throttles quietly (calls last ~ms).
    local limit=$((rate * 5 + 100))
    local common=(-i "$ADDR" -t u1 -nostdin -buff_size 4194304
                  -trace_stat -fd 1 -trace_err -timeout "${tmo}s" -timeout_error)

    port_busy "$BENCH_UAS_PORT" && { log "UAS port $BENCH_UAS_PORT busy"; return 3; }
    port_busy "$BENCH_UAC_PORT" && { log "UAC port $BENCH_UAC_PORT busy"; return 3; }

    taskset -c "$BENCH_SIPP_CPU" sipp "${uas_sc[@]}" -p "$BENCH_UAS_PORT" -m "$calls" \
        -recv_timeout 10000 "${common[@]}" -stf "$dir/uas.csv" -error_file "$dir/uas.err" \
        >"$dir/uas.out" 2>&1 &
    local uas=$!; STARTED+=("$uas")
    for _ in $(seq 1 50); do port_busy "$BENCH_UAS_PORT" && break; sleep 0.1; done

    local t0 c0 t1 c1 s0 s1
    local d0 e0 d1 e1
    d0=$(udp_drops "$BENCH_PROXY_PORT"); e0=$(udp_rcvbuf_errors)
    # system calls of every server process over the step (perf's raw_syscalls tracepoint)
    local perfpid=""
    if [ "$BENCH_SYSCALLS" = 1 ]; then
        perf stat -x, -e raw_syscalls:sys_enter -p "$(IFS=,; echo "${SERVER_PIDS[*]}")" \
            -o "$dir/syscalls.csv" >/dev/null 2>&1 &
        perfpid=$!; STARTED+=("$perfpid")
    fi
    c0=$(cpu_ticks "${SERVER_PIDS[@]}")
    t0=$(date +%s.%N)
    taskset -c "$BENCH_SIPP_CPU" sipp "${uac_sc[@]}" "$ADDR:$BENCH_UAS_PORT" \
        -rsa "$ADDR:$BENCH_PROXY_PORT" -p "$BENCH_UAC_PORT" \
        -r "$rate" -rp 1000 -m "$calls" -l "$limit" -recv_timeout 5000 \
        "${common[@]}" -stf "$dir/uac.csv" -error_file "$dir/uac.err" \
        >"$dir/uac.out" 2>&1 &
    local uac=$!; STARTED+=("$uac")
    # sample sipp CPU while it runs (it is gone once it exits)
    local uac_ticks=0 uas_ticks=0 v
    while kill -0 "$uac" 2>/dev/null; do
        v=$(cpu_ticks "$uac"); [ "$v" -gt 0 ] && uac_ticks=$v
        v=$(cpu_ticks "$uas"); [ "$v" -gt 0 ] && uas_ticks=$v
        sleep 0.2
    done
    wait "$uac"; local uac_rc=$?
    t1=$(date +%s.%N)
    c1=$(cpu_ticks "${SERVER_PIDS[@]}")
    local sys_call=NA
    if [ -n "$perfpid" ]; then
        kill -INT "$perfpid" 2>/dev/null; wait "$perfpid" 2>/dev/null
        sys_call=$(awk -F, -v n="$calls" '/raw_syscalls:sys_enter/ && $1+0>0 {printf "%.1f", $1/n}' "$dir/syscalls.csv" 2>/dev/null)
        [ -n "$sys_call" ] || sys_call=NA
    fi
    d1=$(udp_drops "$BENCH_PROXY_PORT"); e1=$(udp_rcvbuf_errors)
    # the built-in UAS keeps each call 4 s after the BYE; let it finish on its own
    local i
    for i in $(seq 1 $(( (tmo + 10) * 5 ))); do kill -0 "$uas" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$uas" 2>/dev/null && { log "UAS still running, stopping it"; kill -TERM "$uas"; sleep 1; kill -KILL "$uas" 2>/dev/null; }
    wait "$uas" 2>/dev/null; local uas_rc=$?
    forget

    local a_ok a_fail a_retr a_rate u_ok u_fail u_retr
    if [ -s "$dir/uac.csv" ]; then
        read -r a_ok a_fail a_retr a_rate < <(csv_last "$dir/uac.csv" "SuccessfulCall(C)" "FailedCall(C)" "Retransmissions(C)" "CallRate(C)")
    else a_ok=0 a_fail=NA a_retr=NA a_rate=0; fi
    if [ -s "$dir/uas.csv" ]; then
        read -r u_ok u_fail u_retr < <(csv_last "$dir/uas.csv" "SuccessfulCall(C)" "FailedCall(C)" "Retransmissions(C)")
    else u_ok=0 u_fail=NA u_retr=NA; fi

    local wall cpu_s cpu_1k sipp_pct
    wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}')
    cpu_s=$(awk -v d=$((c1 - c0)) -v hz="$HZ" 'BEGIN{printf "%.2f", d/hz}')
    cpu_1k=$(awk -v c="$cpu_s" -v n="$a_ok" 'BEGIN{ if (n>0) printf "%.4f", c*1000/n; else print "NA"}')
    sipp_pct=$(awk -v t=$((uac_ticks + uas_ticks)) -v hz="$HZ" -v w="$wall" 'BEGIN{printf "%.0f", 100*t/hz/w}')

    local ok=1 why=""
    [ "$a_ok" = "$calls" ] || { ok=0; why+=" uac_ok=$a_ok/$calls"; }
    [ "$a_fail" = 0 ] || { ok=0; why+=" uac_failed=$a_fail"; }
    [ "$a_retr" = 0 ] || { ok=0; why+=" uac_retrans=$a_retr"; }
    [ "$u_ok" = "$calls" ] || { ok=0; why+=" uas_ok=$u_ok/$calls"; }
    [ "$u_fail" = 0 ] || { ok=0; why+=" uas_failed=$u_fail"; }
    [ "$u_retr" = 0 ] || { ok=0; why+=" uas_retrans=$u_retr"; }
    [ "$uac_rc" = 0 ] || { ok=0; why+=" uac_rc=$uac_rc"; }
    [ "$uas_rc" = 0 ] || { ok=0; why+=" uas_rc=$uas_rc"; }
    awk -v a="$a_rate" -v r="$rate" -v p="$BENCH_MIN_RATE_PCT" 'BEGIN{exit !(a*100 >= r*p)}' \
        || { ok=0; why+=" achieved=${a_rate}cps<${BENCH_MIN_RATE_PCT}%"; }
    [ "$sipp_pct" -ge 95 ] && why+=" (sipp CPU ${sipp_pct}%: load generator saturated)"
    # diagnostics: datagrams the proxy's socket dropped (receive buffer full), and
    # UDP receive-buffer drops on the whole host (proxy + both sipp) during the step
    local pdrop=$((d1 - d0)) hdrop=$((e1 - e0))
    [ "$pdrop" -gt 0 ] && why+=" proxy_socket_drops=$pdrop"
    [ "$hdrop" -gt 0 ] && why+=" host_udp_rcvbuf_errors=$hdrop"
    local busy; busy=$(awk -v c="$cpu_s" -v w="$wall" 'BEGIN{printf "%.0f", 100*c/w}')

    STEP_LINE="$rate	$calls	$a_ok	$a_fail	$a_retr	$u_fail	$u_retr	$a_rate	$wall	$cpu_s	$cpu_1k	$sipp_pct	$ok	${why# }	$busy	$sys_call"
    log "$(printf '%-9s rate=%-6s calls=%-7s ok=%-7s fail=%s/%s retr=%s/%s achieved=%scps wall=%ss cpu=%ss(%s%%) cpu/1k=%ss syscalls/call=%s sipp_cpu=%s%% -> %s%s' \
        "$tag" "$rate" "$calls" "$a_ok" "$a_fail" "$u_fail" "$a_retr" "$u_retr" "$a_rate" "$wall" "$cpu_s" "$busy" "$cpu_1k" "$sys_call" "$sipp_pct" \
        "$([ $ok = 1 ] && echo clean || echo FAIL)" "$why")"
    [ $ok = 1 ]
}

# ---------------------------------------------------------------------------------
# One server: start, smoke test (one call), step through the rates, record results.
# Writes $BENCH_OUT/<server>.steps (TSV) and $BENCH_OUT/<server>.summary.
STEPS_HDR="rate	calls	ok	uac_failed	uac_retrans	uas_failed	uas_retrans	achieved_cps	wall_s	cpu_s	cpu_s_per_1k	sipp_cpu_pct	clean	note	proxy_cpu_pct	syscalls_per_call"

bench_server() {
    local srv=$1 rc
    local steps="$BENCH_OUT/$srv.steps" summ="$BENCH_OUT/$srv.summary"
    echo "$STEPS_HDR" >"$steps"
    : >"$summ"
    port_busy "$BENCH_PROXY_PORT" && { log "proxy port $BENCH_PROXY_PORT busy: $srv skipped"; echo "status=port-busy" >"$summ"; return 1; }
    "start_$srv"; rc=$?
    if [ $rc != 0 ]; then
        stop_server
        [ $rc = 2 ] && echo "status=not-found" >"$summ" || echo "status=start-failed" >"$summ"
        return 1
    fi
    log "$srv up: pids ${SERVER_PIDS[*]} (CPU $BENCH_PROXY_CPU); smoke test: 1 call"
    if ! "step_$BENCH_LOAD" "$srv-smoke" 1 1; then
        log "$srv: smoke call failed, see $BENCH_OUT/$srv-smoke and the server log in $BENCH_OUT"
        stop_server; echo "status=smoke-failed" >"$summ"; return 1
    fi
    local best=0 r try
    for r in $BENCH_RATES; do
        for try in $(seq 0 "$BENCH_RETRIES"); do
            "step_$BENCH_LOAD" "$srv-$r-$try" "$r" "$BENCH_STEP_SECS"; rc=$?
            echo "$STEP_LINE" >>"$steps"
            [ $rc = 0 ] && { best=$r; continue 2; }
            [ $rc = 3 ] && break
        done
        break
    done
    local hwm pss procs
    hwm=$(kb_field VmHWM "${SERVER_PIDS[@]}")
    pss=$(pss_kb "${SERVER_PIDS[@]}")
    procs=${#SERVER_PIDS[@]}
    stop_server
    {
        echo "status=ok"
        echo "best=$best"
        echo "hwm_max_kb=${hwm% *}"
        echo "hwm_sum_kb=${hwm#* }"
        echo "pss_kb=$pss"
        echo "procs=$procs"
    } >"$summ"
    log "$srv: highest clean rate ${best} cps; peak RSS (largest process) $(( ${hwm% *} / 1024 )) MB"
}

# Callgrind mode, one server: two runs of a fixed number of calls; writes <server>.cg
# (calls and Ir of each run, and Ir per call).
cg_total() {  # cg_total DIR -> sum of the event totals of every callgrind.out.* in DIR
    local f sum=0 v
    for f in "$1"/callgrind.out.*; do
        [ -f "$f" ] || continue
        v=$(awk '/^summary:/ {print $2; exit} /^totals:/ {t=$2} END{if (t!="") print t}' "$f" | head -1)
        [ -n "$v" ] && sum=$((sum + v))
    done
    echo "$sum"
}

bench_server_cg() {
    local srv=$1 rc pass secs calls ir clean try
    local out="$BENCH_OUT/$srv.cg"
    : >"$out"
    for pass in 1 2; do
        secs=$([ $pass = 1 ] && echo "$BENCH_CG_SECS_1" || echo "$BENCH_CG_SECS_2")
        calls=$((BENCH_CG_RATE * secs))
        CG_DIR="$BENCH_OUT/$srv-cg$pass"; mkdir -p "$CG_DIR"
        port_busy "$BENCH_PROXY_PORT" && { log "proxy port $BENCH_PROXY_PORT busy: $srv skipped"; echo "status=port-busy" >"$out"; return 1; }
        "start_$srv"; rc=$?
        if [ $rc != 0 ]; then
            stop_server; echo "status=start-failed" >"$out"; return 1
        fi
        log "$srv up under callgrind: pids ${SERVER_PIDS[*]}; pass $pass: $calls calls at $BENCH_CG_RATE cps"
        local smoke=0
        for try in 1 2 3; do   # under valgrind a server may need a while before it answers
            "step_$BENCH_LOAD" "$srv-cg$pass-smoke$try" 1 1 && { smoke=1; break; }
        done
        if [ $smoke = 0 ]; then
            stop_server; echo "status=smoke-failed" >"$out"; return 1
        fi
        "step_$BENCH_LOAD" "$srv-cg$pass" "$BENCH_CG_RATE" "$secs"; rc=$?
        clean=$([ $rc = 0 ] && echo yes || echo "no ($(cut -f14 <<<"$STEP_LINE"))")
        stop_server
        ir=$(cg_total "$CG_DIR")
        log "$srv pass $pass: $calls calls, $ir instructions, clean: $clean"
        { echo "calls$pass=$calls"; echo "ir$pass=$ir"; echo "clean$pass=$clean"; } >>"$out"
    done
    echo "status=ok" >>"$out"
}

for srv in $BENCH_SERVERS; do
    declare -F "start_$srv" >/dev/null || die "unknown server '$srv'"
    if [ "$BENCH_MODE" = callgrind ]; then bench_server_cg "$srv"; else bench_server "$srv"; fi
done

if [ "$BENCH_MODE" = callgrind ]; then
    cg() { sed -n "s/^$2=//p" "$BENCH_OUT/$1.cg" 2>/dev/null; }
    declare -A IRC
    for srv in $BENCH_SERVERS; do
        [ "$(cg "$srv" status)" = ok ] || continue
        IRC[$srv]=$(awk -v a="$(cg "$srv" ir1)" -v b="$(cg "$srv" ir2)" -v n="$(cg "$srv" calls1)" -v m="$(cg "$srv" calls2)" \
            'BEGIN{ printf "%.0f", (b - a) / (m - n) }')
    done
    {
        echo "# lunasip benchmark: case \`$CASE\`, instructions per call (callgrind)"
        echo
        echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -srm), valgrind $(valgrind --version 2>/dev/null | sed 's/valgrind-//'),"
        echo "kamailio $(kamailio -v 2>/dev/null | awk '/^version:/{print $3; exit}'), lunasip: \`$LUNASIP\` ($("$LUNASIP" -V 2>&1 | head -1))."
        echo "Each server under \`valgrind --tool=callgrind\` (Kamailio: all its processes), sipp at $BENCH_CG_RATE cps;"
        echo "Ir per call = (Ir of run 2 - Ir of run 1) / (calls 2 - calls 1): user-space instructions only"
        echo "(system calls are counted as one instruction each, their kernel work not at all)."
        echo
        echo "| server | calls (run 1 / run 2) | Ir run 1 | Ir run 2 | **Ir per call** | vs kamailio-tlsf | clean (run 1 / run 2) |"
        echo "|---|---|---|---|---|---|---|"
        for srv in $BENCH_SERVERS; do
            if [ -z "${IRC[$srv]:-}" ]; then echo "| $srv | not run ($(cg "$srv" status)) | | | | | |"; continue; fi
            echo "| $srv | $(cg "$srv" calls1) / $(cg "$srv" calls2) | $(cg "$srv" ir1) | $(cg "$srv" ir2) | **${IRC[$srv]}** | $(awk -v a="${IRC[$srv]}" -v b="${IRC[kamailio-tlsf]:-}" 'BEGIN{ if (b+0>0) printf "%.2f", a/b; else print "NA" }') | $(cg "$srv" clean1) / $(cg "$srv" clean2) |"
        done
    } >"$BENCH_RESULTS"
    echo; cat "$BENCH_RESULTS"
    exit 0
fi

# ---------------------------------------------------------------------------------
# Report
get() { sed -n "s/^$2=//p" "$BENCH_OUT/$1.summary" 2>/dev/null; }
cpu_at() {  # cpu_at SERVER RATE -> cpu s/1000 calls of the clean step at RATE
    awk -F'\t' -v r="$2" 'NR>1 && $1==r && $13==1 {v=$11} END{print (v==""?"NA":v)}' "$BENCH_OUT/$1.steps" 2>/dev/null
}
sys_at() {  # sys_at SERVER RATE -> system calls per call of the clean step at RATE
    awk -F'\t' -v r="$2" 'NR>1 && $1==r && $13==1 {v=$16} END{print (v==""?"NA":v)}' "$BENCH_OUT/$1.steps" 2>/dev/null
}
mb() { awk -v k="$1" 'BEGIN{ if (k=="") print "NA"; else printf "%.1f", k/1024 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a+0>0 && b+0>0) printf "%.2f", a/b; else print "NA" }'; }

# common rate: the highest rate every server that ran passed cleanly (a server that passed
# no step at all is left out, so that the others can still be compared)
common=""
for srv in $BENCH_SERVERS; do
    [ "$(get "$srv" status)" = ok ] || continue
    b=$(get "$srv" best)
    [ "$b" -gt 0 ] || continue
    if [ -z "$common" ] || [ "$b" -lt "$common" ]; then common=$b; fi
done
[ -z "$common" ] && common=0

declare -A R_BEST R_CPU R_HWM R_PSS
rows=""
for srv in $BENCH_SERVERS; do
    st=$(get "$srv" status)
    if [ "$st" = ok ]; then
        R_BEST[$srv]=$(get "$srv" best)
        R_CPU[$srv]=$( [ "$common" -gt 0 ] && cpu_at "$srv" "$common" || echo NA)
        R_HWM[$srv]=$(mb "$(get "$srv" hwm_max_kb)")
        R_PSS[$srv]=$(mb "$(get "$srv" pss_kb)")
        rows+="| $srv | ${R_BEST[$srv]} | ${R_CPU[$srv]} | $( [ "$common" -gt 0 ] && sys_at "$srv" "$common" || echo NA) | ${R_HWM[$srv]} | ${R_PSS[$srv]} | $(get "$srv" procs) |"$'\n'
    else
        rows+="| $srv | not run ($st) | | | | | |"$'\n'
    fi
done
for ref in kamailio-tlsf kamailio-qm; do
    if [ -n "${R_BEST[lunasip]:-}" ] && [ -n "${R_BEST[$ref]:-}" ]; then
        rows+="| **lunasip / $ref** | $(ratio "${R_BEST[lunasip]}" "${R_BEST[$ref]}") | $(ratio "${R_CPU[lunasip]}" "${R_CPU[$ref]}") | | $(ratio "${R_HWM[lunasip]}" "${R_HWM[$ref]}") | $(ratio "${R_PSS[lunasip]}" "${R_PSS[$ref]}") | |"$'\n'
    fi
done

{
    echo "# lunasip benchmark: case \`$CASE\`"
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -srm), $NCPU CPUs ($(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)),"
    echo "kamailio $(kamailio -v 2>/dev/null | awk '/^version:/{print $3; exit}'), sipp $(sipp -v 2>/dev/null | awk '/SIPp v/{print $2; exit}' | sed 's/-.*//'),"
    echo "lunasip: \`$LUNASIP\` ($( [ -x "$LUNASIP" ] && "$LUNASIP" -V 2>&1 | head -1 || echo 'not found'))."
    echo "sipp UAC (built-in \`uac\`, INVITE/180/200/ACK/BYE/200, UDP) -> proxy -> sipp UAS (built-in \`uas\`),"
    echo "all on 127.0.0.1; proxy on CPU $BENCH_PROXY_CPU, both sipp on CPU $BENCH_SIPP_CPU; ${BENCH_STEP_SECS} s a step;"
    echo "rates tried: $BENCH_RATES cps (a failing step is retried $BENCH_RETRIES time(s))."
    echo
    echo "| server | max clean rate (cps) | CPU s / 1000 calls @ ${common} cps | syscalls / call @ ${common} cps | peak RSS MB (largest process) | PSS MB (all processes, end) | processes |"
    echo "|---|---|---|---|---|---|---|"
    printf '%s' "$rows"
    echo
    echo "Clean: every call succeeded, no failed call and no retransmission on either sipp,"
    echo "achieved rate >= ${BENCH_MIN_RATE_PCT}% of the asked rate. CPU: utime+stime of all the"
    echo "server's processes over the step, at the highest rate every server passed (${common} cps)."
    echo "Peak RSS: VmHWM. Kamailio runs one UDP worker (children=1), $KAMAILIO_MEM_ARGS, plus its"
    echo "main/timer processes (counted in CPU and PSS); kamailio-tlsf is started with \`-x tlsf\`"
    echo "(production allocator, the reference), kamailio-qm with \`-x qm\` (the packaged default)."
    echo "Load on the machine during the run (1-min load average at the end): $(cut -d' ' -f1 /proc/loadavg)."
    for srv in $BENCH_SERVERS; do
        [ -s "$BENCH_OUT/$srv.steps" ] || continue
        echo
        echo "## $srv: steps"
        echo
        echo "| rate | calls | ok | failed (uac/uas) | retrans (uac/uas) | achieved cps | CPU s | proxy CPU % | CPU s/1k calls | syscalls/call | sipp CPU % | clean | note |"
        echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
        awk -F'\t' 'NR>1 {printf "| %s | %s | %s | %s/%s | %s/%s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1,$2,$3,$4,$6,$5,$7,$8,$10,$15,$11,$16,$12,($13==1?"yes":"no"),$14}' "$BENCH_OUT/$srv.steps"
    done
} >"$BENCH_RESULTS"

echo
echo "case: $CASE   (details: $BENCH_RESULTS, logs: $BENCH_OUT)"
printf '%-22s %-22s %-30s %-18s %-14s\n' "server" "max clean rate (cps)" "CPU s/1000 calls @ $common cps" "peak RSS MB" "PSS MB (end)"
for srv in $BENCH_SERVERS; do
    if [ -n "${R_BEST[$srv]:-}" ]; then
        printf '%-22s %-22s %-30s %-18s %-14s\n' "$srv" "${R_BEST[$srv]}" "${R_CPU[$srv]}" "${R_HWM[$srv]}" "${R_PSS[$srv]}"
    else
        printf '%-22s %s\n' "$srv" "not run ($(get "$srv" status))"
    fi
done
for ref in kamailio-tlsf kamailio-qm; do
    if [ -n "${R_BEST[lunasip]:-}" ] && [ -n "${R_BEST[$ref]:-}" ]; then
        printf '%-22s %-22s %-30s %-18s %-14s\n' "lunasip/$ref" "$(ratio "${R_BEST[lunasip]}" "${R_BEST[$ref]}")" \
            "$(ratio "${R_CPU[lunasip]}" "${R_CPU[$ref]}")" "$(ratio "${R_HWM[lunasip]}" "${R_HWM[$ref]}")" "$(ratio "${R_PSS[lunasip]}" "${R_PSS[$ref]}")"
    fi
done
