#!/usr/bin/env bash
# Soak runs of issue 10 (benchmarks, not timed tests): lunasip as a stateful proxy
# (lunasip-soak.lua: tm.relay, Record-Route) under long, lossy, reloading or hostile load.
#
#   tests/bench/soak.sh [CASE...]      CASE: loss, reload, slow (default: all three, in that order)
#
#   loss    SOAK_LOSS_CALLS (100000) calls at SOAK_LOSS_RATE (1000) cps, sipp -lost 5 on the UAC
#           and the UAS (tests/integration/sipp/tm_uac_loss.xml, soak_uas.xml): first
#           sipp-to-sipp direct, then twice through the proxy (one server for both runs). Passes
#           when each proxied run completes at least as many calls as the direct one (less
#           SOAK_LOSS_SLACK, 0.05 % of the calls: which messages sipp drops is random), the live
#           transactions (/metrics) are back to 0 after each run, and RSS after the second run is
#           not above RSS after the first.
#   reload  SOAK_RELOAD_CALLS (20000) calls at SOAK_RELOAD_RATE (1000) cps (sipp built-in uac,
#           soak_uas.xml or SOAK_RELOAD_UAS: a scenario, or "builtin"; no loss) while the script is reloaded SOAK_RELOADS (50) times, SIGHUP and
#           POST /api/reload in turn: no failed call on either side, every reload done, live
#           transactions back to 0 and one Lua state left. With SOAK_RELOAD_BASELINE=1 (default)
#           the same calls run first without reloads, for comparison.
#   slow    SOAK_SLOW_HTTP (500) slow HTTP clients (headers one byte every 2 s, never finished)
#           and SOAK_HALF_OPEN (1000) half-open SIP TCP connections (a request started, never
#           finished) held for SOAK_HOLD_SECS (60) s (soak_slow.py; a connection the server
#           closes is opened again 0.5 s later). Meanwhile every 3 s a normal client must get /health (3 s at most) and
#           a sipp call (UDP) through the proxy must complete; RSS must stay under
#           SOAK_SLOW_RSS_MB (64) and come back within SOAK_SLOW_RSS_BACK_MB (8) of where it
#           started once they are gone.
#
# soak_uas.xml takes a retransmitted INVITE after its 200 (sipp's own UAS scenarios abort the call
# on it, and a proxy's timer A sends one whenever the UAS answers late; see the file).
# The machine is shared: the whole run holds /tmp/lunasip-bench.lock (flock), as run.sh users
# do. Proxy on CPU SOAK_PROXY_CPU (1), sipp on CPU SOAK_SIPP_CPU (0).
#
# Environment: LUNASIP (default: build/lunasip of this tree), LUNASIP_UNITS (default: units/ next
# to it), SOAK_OUT (work dir; default a new /tmp/lunasip-soak.* dir), SOAK_PROXY_PORT (5270),
# SOAK_UAC_PORT (5280), SOAK_UAS_PORT (5290), SOAK_HTTP_PORT (8290), and the SOAK_* above.
# Output: a Markdown summary on stdout and in $SOAK_OUT/results.md; sipp CSVs, error logs and
# the server log under $SOAK_OUT. Exit status 0 when every case run passed.
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
if [ -z "${SOAK_LOCKED:-}" ]; then
    exec env SOAK_LOCKED=1 flock /tmp/lunasip-bench.lock "$0" "$@"
fi

LUNASIP=${LUNASIP:-$ROOT/build/lunasip}
LUNASIP_UNITS=${LUNASIP_UNITS:-$(dirname "$LUNASIP")/units}
SOAK_OUT=${SOAK_OUT:-$(mktemp -d /tmp/lunasip-soak.XXXXXX)}
PROXY_PORT=${SOAK_PROXY_PORT:-5270}
UAC_PORT=${SOAK_UAC_PORT:-5280}
UAS_PORT=${SOAK_UAS_PORT:-5290}
HTTP_PORT=${SOAK_HTTP_PORT:-8290}
PROXY_CPU=${SOAK_PROXY_CPU:-1}
SIPP_CPU=${SOAK_SIPP_CPU:-0}
LOSS_CALLS=${SOAK_LOSS_CALLS:-100000}
LOSS_RATE=${SOAK_LOSS_RATE:-1000}
LOSS_SLACK=${SOAK_LOSS_SLACK:-$((LOSS_CALLS / 2000))}
RELOAD_CALLS=${SOAK_RELOAD_CALLS:-20000}
RELOAD_RATE=${SOAK_RELOAD_RATE:-1000}
RELOADS=${SOAK_RELOADS:-50}
RELOAD_BASELINE=${SOAK_RELOAD_BASELINE:-1}
RELOAD_UAS=${SOAK_RELOAD_UAS:-$HERE/soak_uas.xml}
SLOW_HTTP=${SOAK_SLOW_HTTP:-500}
HALF_OPEN=${SOAK_HALF_OPEN:-1000}
HOLD_SECS=${SOAK_HOLD_SECS:-60}
SLOW_RSS_MB=${SOAK_SLOW_RSS_MB:-64}
SLOW_RSS_BACK_MB=${SOAK_SLOW_RSS_BACK_MB:-8}
SCRIPT=$HERE/lunasip-soak.lua
SIPP_SC=$ROOT/tests/integration/sipp
CASES=("$@")
[ ${#CASES[@]} -gt 0 ] || CASES=(loss reload slow)
mkdir -p "$SOAK_OUT"
RESULTS=$SOAK_OUT/results.md
: >"$RESULTS"

log() { printf '[soak %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 2; }
out() { printf '%s\n' "$*" | tee -a "$RESULTS"; }

[ -x "$LUNASIP" ] || die "no lunasip binary at $LUNASIP (set LUNASIP)"
[ -f "$LUNASIP_UNITS/tm.so" ] || die "no tm unit in $LUNASIP_UNITS (set LUNASIP_UNITS)"
for t in sipp curl python3 taskset ss; do command -v $t >/dev/null || die "$t is not installed"; done

STARTED=()
cleanup() {
    local p
    for p in "${STARTED[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${STARTED[@]}"; do
        for _ in $(seq 1 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    STARTED=()
}
trap 'cleanup' EXIT
trap 'log interrupted; exit 130' INT TERM
forget() { local p keep=(); for p in "${STARTED[@]}"; do [ "$p" != "$1" ] && keep+=("$p"); done; STARTED=("${keep[@]}"); }

port_busy() { ss -Hln "sport = :$1" 2>/dev/null | grep -q .; }
kb() { awk -v f="$1:" '$1 == f { print $2 }' "/proc/$2/status" 2>/dev/null; }
metric() { curl -s --max-time 5 "http://127.0.0.1:$HTTP_PORT/metrics" | awk -v m="$1" '$1 == m { print $2; exit }'; }
csv_last() {  # csv_last FILE COLUMN...: the values of the last row of a sipp -trace_stat CSV
    awk -F';' -v cols="${*:2}" '
        NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i; next }
        { last = $0 }
        END { n = split(cols, c, " "); split(last, f, ";")
              for (i = 1; i <= n; i++) printf "%s%s", (c[i] in h ? f[h[c[i]]] : "NA"), (i < n ? " " : "\n") }' "$1"
}
# The failure columns of a sipp CSV that are not 0, as "name=value ...".
csv_failures() {
    [ -s "$1" ] || { echo "no CSV"; return; }
    awk -F';' 'NR == 1 { for (i = 1; i <= NF; i++) h[i] = $i; next } { last = $0 }
        END { n = split(last, f, ";"); s = ""
              for (i = 1; i <= n; i++) if (h[i] ~ /^Failed.*\(C\)$/ && h[i] != "FailedCall(C)" && f[i] + 0 > 0) {
                  k = h[i]; sub(/\(C\)$/, "", k); s = s k "=" f[i] " " }
              print (s == "" ? "-" : s) }' "$1"
}

# heap_in_use LOG: bytes malloc holds for the server (all arenas and mmap), from glibc's
# malloc_stats() called through gdb (it prints to the server's stderr, LOG); NA without gdb.
heap_in_use() {
    command -v gdb >/dev/null || { echo NA; return; }
    local n; n=$(grep -c 'in use bytes' "$1")
    gdb -p "$SERVER" -batch -ex 'call (void)malloc_stats()' >/dev/null 2>&1
    sleep 0.2
    [ "$(grep -c 'in use bytes' "$1")" -gt "$n" ] || { echo NA; return; }
    grep 'in use bytes' "$1" | tail -n 1 | awk '{ print $NF }'
}

SERVER=
start_server() {  # start_server TAG: lunasip on UDP and TCP PROXY_PORT, HTTP on HTTP_PORT
    for p in "$PROXY_PORT" "$HTTP_PORT"; do port_busy "$p" && die "port $p is busy"; done
    SOAK_LOG_LEVEL=info SOAK_HTTP=127.0.0.1:$HTTP_PORT taskset -c "$PROXY_CPU" "$LUNASIP" -U "$LUNASIP_UNITS" -f "$SCRIPT" \
        -l "udp:127.0.0.1:$PROXY_PORT" -l "tcp:127.0.0.1:$PROXY_PORT" >>"$SOAK_OUT/server-$1.log" 2>&1 &
    SERVER=$!
    STARTED+=("$SERVER")
    for _ in $(seq 1 50); do
        curl -s --max-time 1 "http://127.0.0.1:$HTTP_PORT/health" >/dev/null && return 0
        kill -0 "$SERVER" 2>/dev/null || break
        sleep 0.1
    done
    die "lunasip did not start (see $SOAK_OUT/server-$1.log)"
}
stop_server() {
    kill -TERM "$SERVER" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$SERVER" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER" 2>/dev/null
    wait "$SERVER" 2>/dev/null
    forget "$SERVER"
    SERVER=
}
# wait_active_zero SECS: until /metrics says no transaction is alive; prints the last value
wait_active_zero() {
    local v=
    for _ in $(seq 1 $(($1 * 2))); do
        v=$(metric lunasip_transactions_active)
        [ "$v" = 0 ] && break
        sleep 0.5
    done
    echo "${v:-NA}"
}

SIPP_COMMON=(-i 127.0.0.1 -t u1 -nostdin -buff_size 4194304 -trace_stat -fd 1 -trace_err)
UAS=
start_uas() {  # start_uas DIR SCENARIO-ARGS...: a sipp UAS on UAS_PORT until stop_uas
    local dir=$1; shift
    port_busy "$UAS_PORT" && die "port $UAS_PORT is busy"
    taskset -c "$SIPP_CPU" sipp "$@" -p "$UAS_PORT" "${SIPP_COMMON[@]}" -stf "$dir/uas.csv" \
        -error_file "$dir/uas.err" >"$dir/uas.out" 2>&1 &
    UAS=$!
    STARTED+=("$UAS")
    for _ in $(seq 1 50); do port_busy "$UAS_PORT" && return 0; sleep 0.1; done
    die "sipp UAS did not start ($dir/uas.out)"
}
stop_uas() {  # stop_uas: once its calls are over (the CSV stops changing), a soft quit
    local a b
    for _ in $(seq 1 30); do
        a=$(csv_last "$1/uas.csv" "SuccessfulCall(C)" "FailedCall(C)")
        sleep 2
        b=$(csv_last "$1/uas.csv" "SuccessfulCall(C)" "FailedCall(C)")
        [ "$a" = "$b" ] && break
    done
    kill -USR1 "$UAS" 2>/dev/null   # sipp: quit once the calls in progress end
    for _ in $(seq 1 100); do kill -0 "$UAS" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$UAS" 2>/dev/null
    wait "$UAS" 2>/dev/null
    forget "$UAS"
}
# run_uac DIR VIA CALLS RATE SCENARIO-ARGS...: a sipp UAC to the UAS (through VIA: "proxy" or
# "direct"), in the foreground; sets UAC_RC
run_uac() {
    local dir=$1 via=$2 calls=$3 rate=$4; shift 4
    local rsa=()
    [ "$via" = proxy ] && rsa=(-rsa "127.0.0.1:$PROXY_PORT")
    port_busy "$UAC_PORT" && die "port $UAC_PORT is busy"
    taskset -c "$SIPP_CPU" sipp "$@" "127.0.0.1:$UAS_PORT" "${rsa[@]}" -p "$UAC_PORT" "${SIPP_COMMON[@]}" \
        -r "$rate" -m "$calls" -l $((rate * 60)) -timeout $((calls / rate * 3 + 120))s -timeout_error \
        -stf "$dir/uac.csv" -error_file "$dir/uac.err" >"$dir/uac.out" 2>&1 &
    local pid=$!
    STARTED+=("$pid")
    wait "$pid"
    UAC_RC=$?
    forget "$pid"
}
# calls DIR: "uac_ok uac_failed uas_ok uas_failed uac_retrans" from the CSVs
calls() {
    local a="0 NA NA" u="0 NA"
    [ -s "$1/uac.csv" ] && a=$(csv_last "$1/uac.csv" "SuccessfulCall(C)" "FailedCall(C)" "Retransmissions(C)")
    [ -s "$1/uas.csv" ] && u=$(csv_last "$1/uas.csv" "SuccessfulCall(C)" "FailedCall(C)")
    set -- $a $u
    echo "$1 $2 $4 $5 $3"
}

STATUS=0
verdict() { if [ "$1" = 1 ]; then echo PASS; else echo FAIL; fi; }   # in $(...): no STATUS here
counts() { [ "$1" = 1 ] || STATUS=1; }

out "# lunasip soak, $(date -u '+%Y-%m-%d %H:%M UTC')"
out ""
out "$(uname -srm), $(nproc) CPUs, sipp $(sipp -v 2>/dev/null | awk '/SIPp v/ { print $2; exit }'), lunasip \`$LUNASIP\` ($("$LUNASIP" -V | head -1), $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)); work dir $SOAK_OUT."
out "Load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)."

# ---------------------------------------------------------------------------------------------
case_loss() {
    local d="$SOAK_OUT/loss-direct" run dir ok fail uok ufail retr active rss hwm
    local -a DIRECT RUN_OK RUN_FAIL RUN_UOK RUN_UFAIL RUN_ACTIVE RUN_RSS RUN_HWM RUN_NOTE RUN_HEAP
    local sc_uac=(-sf "$SIPP_SC/tm_uac_loss.xml" -key tp udp -lost 5) sc_uas=(-sf "$HERE/soak_uas.xml" -lost 5)
    mkdir -p "$d"
    log "loss: $LOSS_CALLS calls at $LOSS_RATE cps, 5 % loss on both sides, sipp to sipp direct"
    start_uas "$d" "${sc_uas[@]}"
    run_uac "$d" direct "$LOSS_CALLS" "$LOSS_RATE" "${sc_uac[@]}"
    stop_uas "$d"
    read -r -a DIRECT <<<"$(calls "$d")"
    log "loss: direct: uac ok ${DIRECT[0]} failed ${DIRECT[1]} ($(csv_failures "$d/uac.csv")), uas ok ${DIRECT[2]}"
    start_server loss
    for run in 1 2; do
        dir="$SOAK_OUT/loss-proxy$run"
        mkdir -p "$dir"
        log "loss: run $run through the proxy"
        start_uas "$dir" "${sc_uas[@]}"
        run_uac "$dir" proxy "$LOSS_CALLS" "$LOSS_RATE" "${sc_uac[@]}"
        stop_uas "$dir"
        read -r ok fail uok ufail retr <<<"$(calls "$dir")"
        active=$(wait_active_zero 90)
        rss=$(kb VmRSS "$SERVER")
        hwm=$(kb VmHWM "$SERVER")
        RUN_HEAP[$run]=$(heap_in_use "$SOAK_OUT/server-loss.log")
        RUN_OK[$run]=$ok RUN_FAIL[$run]=$fail RUN_UOK[$run]=$uok RUN_UFAIL[$run]=$ufail
        RUN_ACTIVE[$run]=$active RUN_RSS[$run]=$rss RUN_HWM[$run]=$hwm RUN_NOTE[$run]=$(csv_failures "$dir/uac.csv")
        log "loss: run $run: uac ok $ok failed $fail (${RUN_NOTE[$run]}), uas ok $uok; transactions alive $active; RSS $rss kB (peak $hwm kB); heap in use ${RUN_HEAP[$run]} bytes"
    done
    local states; states=$(metric lunasip_lua_states)
    stop_server
    local pass=1
    for run in 1 2; do
        [ "${RUN_OK[$run]:-0}" -ge $((DIRECT[0] - LOSS_SLACK)) ] || pass=0
        [ "${RUN_ACTIVE[$run]}" = 0 ] || pass=0
    done
    [ "${RUN_RSS[2]:-1}" -le "${RUN_RSS[1]:-0}" ] || pass=0
    counts $pass
    out ""
    out "## Loss: $LOSS_CALLS calls at $LOSS_RATE cps, sipp \`-lost 5\` on the UAC and the UAS: $(verdict $pass)"
    out ""
    out "| run | calls completed (UAC) | failed (UAC) | UAC failure kinds | completed (UAS) | live transactions after | proxy RSS after (kB) | proxy peak RSS (kB) | proxy heap in use after (bytes) |"
    out "|---|---|---|---|---|---|---|---|---|"
    out "| sipp to sipp direct | ${DIRECT[0]} | ${DIRECT[1]} | $(csv_failures "$d/uac.csv") | ${DIRECT[2]} | | | | |"
    for run in 1 2; do
        out "| through lunasip, run $run | ${RUN_OK[$run]} | ${RUN_FAIL[$run]} | ${RUN_NOTE[$run]} | ${RUN_UOK[$run]} | ${RUN_ACTIVE[$run]} | ${RUN_RSS[$run]} | ${RUN_HWM[$run]} | ${RUN_HEAP[$run]} |"
    done
    out ""
    out "Passes when each proxied run completes at least the direct run's calls less $LOSS_SLACK, the live"
    out "transactions are 0 after each run, and RSS after run 2 is not above RSS after run 1. Lua states: $states."
    out "Heap in use: what malloc holds for the server (glibc malloc_stats through gdb); RSS keeps the pages"
    out "of each run's peak (freed memory stays with the process), so it moves with that peak."
}

# ---------------------------------------------------------------------------------------------
reload_run() {  # reload_run TAG RELOADS: sets R_* for one run on a fresh server
    local tag=$1 n=$2 dir="$SOAK_OUT/reload-$1" i secs
    mkdir -p "$dir"
    start_server "reload-$tag"
    if [ "$RELOAD_UAS" = builtin ]; then start_uas "$dir" -sn uas; else start_uas "$dir" -sf "$RELOAD_UAS"; fi
    secs=$((RELOAD_CALLS / RELOAD_RATE))
    (   # the reloads, spread over the calls: SIGHUP and POST /api/reload in turn
        ok=0
        for ((i = 1; i <= n; i++)); do
            sleep "$(awk -v s="$secs" -v n="$n" 'BEGIN { printf "%.3f", s / (n + 1) }')"
            if [ $((i % 2)) = 1 ]; then
                kill -HUP "$SERVER" && ok=$((ok + 1))
            else
                curl -s --max-time 5 -X POST "http://127.0.0.1:$HTTP_PORT/api/reload" | grep -q '"reloaded"' && ok=$((ok + 1))
            fi
        done
        echo "$ok" >"$dir/reloads"
    ) &
    local rl=$!
    run_uac "$dir" proxy "$RELOAD_CALLS" "$RELOAD_RATE" -sn uac
    wait "$rl"
    stop_uas "$dir"
    read -r R_OK R_FAIL R_UOK R_UFAIL R_RETR <<<"$(calls "$dir")"
    R_NOTE="uac: $(csv_failures "$dir/uac.csv"), uas: $(csv_failures "$dir/uas.csv")"
    R_SENT=$(cat "$dir/reloads" 2>/dev/null || echo 0)
    R_ACTIVE=$(wait_active_zero 30)
    R_STATES=$(metric lunasip_lua_states)
    R_ERRORS=$(metric lunasip_route_errors_total)
    R_RC=$UAC_RC
    stop_server
    R_LOGGED=$(grep -c 'reloaded' "$SOAK_OUT/server-reload-$tag.log")
    log "reload $tag: uac ok $R_OK failed $R_FAIL retrans $R_RETR ($R_NOTE), uas ok $R_UOK failed $R_UFAIL; reloads $R_SENT sent, $R_LOGGED logged; transactions alive $R_ACTIVE, Lua states $R_STATES"
}

case_reload() {
    out ""
    out "## Reload under load: $RELOAD_CALLS calls at $RELOAD_RATE cps, $RELOADS reloads (SIGHUP and POST /api/reload in turn)"
    out ""
    out "| run | reloads done | calls completed (UAC) | failed (UAC / UAS) | retransmissions (UAC) | failure kinds | live transactions after | Lua states after | route errors | verdict |"
    out "|---|---|---|---|---|---|---|---|---|---|"
    if [ "$RELOAD_BASELINE" = 1 ]; then
        log "reload: baseline, $RELOAD_CALLS calls without reloads"
        reload_run baseline 0
        out "| no reload (baseline) | 0 | $R_OK | $R_FAIL / $R_UFAIL | $R_RETR | $R_NOTE | $R_ACTIVE | $R_STATES | $R_ERRORS | $(verdict "$([ "$R_OK" = "$RELOAD_CALLS" ] && [ "$R_FAIL" = 0 ] && [ "$R_UFAIL" = 0 ] && [ "$R_ACTIVE" = 0 ] && echo 1)") |"
    fi
    log "reload: $RELOAD_CALLS calls with $RELOADS reloads"
    reload_run reloads "$RELOADS"
    local pass=0
    [ "$R_OK" = "$RELOAD_CALLS" ] && [ "$R_FAIL" = 0 ] && [ "$R_UFAIL" = 0 ] && [ "$R_RC" = 0 ] &&
        [ "$R_SENT" = "$RELOADS" ] && [ "$R_LOGGED" = "$RELOADS" ] && [ "$R_ACTIVE" = 0 ] && [ "$R_STATES" = 1 ] && pass=1
    counts $pass
    out "| $RELOADS reloads | $R_SENT sent, $R_LOGGED logged | $R_OK | $R_FAIL / $R_UFAIL | $R_RETR | $R_NOTE | $R_ACTIVE | $R_STATES | $R_ERRORS | $(verdict $pass) |"
    out ""
    out "Passes when every call completes on both sides, every reload is done, the live transactions are"
    out "back to 0 and one Lua state is left (the old ones closed)."
}

# ---------------------------------------------------------------------------------------------
case_slow() {
    local dir="$SOAK_OUT/slow" rss0 rss rss_max=0 health_ok=0 health_fail=0 calls_ok=0 calls_fail=0 i t0
    mkdir -p "$dir"
    start_server slow
    start_uas "$dir" -sf "$HERE/soak_uas.xml"
    sleep 1
    rss0=$(kb VmRSS "$SERVER")
    log "slow: $SLOW_HTTP slow HTTP clients and $HALF_OPEN half-open SIP TCP connections for $HOLD_SECS s (RSS now $rss0 kB)"
    python3 "$HERE/soak_slow.py" --http-port "$HTTP_PORT" --sip-port "$PROXY_PORT" --http "$SLOW_HTTP" \
        --sip "$HALF_OPEN" --secs "$HOLD_SECS" >"$dir/clients.json" 2>"$dir/clients.err" &
    local cl=$!
    STARTED+=("$cl")
    t0=$(date +%s)
    sleep 3
    local -a opened_sip opened_http
    while kill -0 "$cl" 2>/dev/null && [ $(($(date +%s) - t0)) -lt $((HOLD_SECS - 2)) ]; do
        local h
        h=$(curl -s -S --max-time 3 -o /dev/null -w '%{http_code} %{time_total}s' "http://127.0.0.1:$HTTP_PORT/health" 2>&1)
        if [[ $h == 200\ * ]]; then
            health_ok=$((health_ok + 1))
        else
            health_fail=$((health_fail + 1))
            echo "$(date +%T) /health: $h" >>"$dir/health_failures"
        fi
        i=$((calls_ok + calls_fail))
        mkdir -p "$dir/call$i"
        if taskset -c "$SIPP_CPU" sipp -sn uac "127.0.0.1:$UAS_PORT" -rsa "127.0.0.1:$PROXY_PORT" -p "$UAC_PORT" \
            -i 127.0.0.1 -nostdin -m 1 -timeout 10s -timeout_error -trace_err \
            -error_file "$dir/call$i/uac.err" >"$dir/call$i/uac.out" 2>&1; then
            calls_ok=$((calls_ok + 1))
        else
            calls_fail=$((calls_fail + 1))
        fi
        opened_sip+=("$(metric lunasip_sip_tcp_connections)")
        opened_http+=("$(metric lunasip_http_connections)")
        rss=$(kb VmRSS "$SERVER")
        [ "${rss:-0}" -gt "$rss_max" ] && rss_max=$rss
        sleep 2
    done
    wait "$cl"
    forget "$cl"
    local max_sip=0 max_http=0 v
    for v in "${opened_sip[@]}"; do [ "${v:-0}" -gt "$max_sip" ] && max_sip=$v; done
    for v in "${opened_http[@]}"; do [ "${v:-0}" -gt "$max_http" ] && max_http=$v; done
    rss=$(kb VmRSS "$SERVER")
    [ "${rss:-0}" -gt "$rss_max" ] && rss_max=$rss
    sleep 5   # the clients are gone: the server closes what is left of them
    local rss_after tcp_after http_after refused_http refused_tcp hwm
    rss_after=$(kb VmRSS "$SERVER")
    hwm=$(kb VmHWM "$SERVER")
    tcp_after=$(metric lunasip_sip_tcp_connections)
    http_after=$(metric lunasip_http_connections)
    refused_http=$(metric lunasip_http_connections_refused_total)
    refused_tcp=$(metric lunasip_sip_tcp_refused_total)
    stop_uas "$dir"
    stop_server
    local js; js=$(cat "$dir/clients.json" 2>/dev/null)
    local pass=0
    [ "$health_fail" = 0 ] && [ "$calls_fail" = 0 ] && [ "$health_ok" -gt 0 ] && [ "$calls_ok" -gt 0 ] &&
        [ "$hwm" -le $((SLOW_RSS_MB * 1024)) ] && [ "$rss_after" -le $((rss0 + SLOW_RSS_BACK_MB * 1024)) ] && pass=1
    counts $pass
    log "slow: /health $health_ok ok $health_fail failed, calls $calls_ok ok $calls_fail failed; RSS $rss0 -> max $rss_max (peak $hwm) -> $rss_after kB; clients: $js"
    out ""
    out "## Slow clients: $SLOW_HTTP slow HTTP clients and $HALF_OPEN half-open SIP TCP connections for $HOLD_SECS s: $(verdict $pass)"
    out ""
    out "| /health from a normal client (ok / failed) | sipp calls through the proxy (ok / failed) | RSS before (kB) | RSS max sampled (kB) | peak RSS (kB) | RSS 5 s after (kB) | SIP TCP connections open (max sampled / after) | HTTP connections open (max sampled / after) | refused or closed over the caps (HTTP / SIP TCP) |"
    out "|---|---|---|---|---|---|---|---|---|"
    out "| $health_ok / $health_fail | $calls_ok / $calls_fail | $rss0 | $rss_max | $hwm | $rss_after | $max_sip / $tcp_after | $max_http / $http_after | $refused_http / $refused_tcp |"
    out ""
    out "The clients (soak_slow.py; a connection the server closed was opened again 0.5 s later): \`$js\`."
    [ -s "$dir/health_failures" ] && out "/health failures: $(tr '\n' ';' <"$dir/health_failures")"
    out "Passes when every /health and every call succeeded, peak RSS stayed under $SLOW_RSS_MB MB and RSS came back"
    out "within $SLOW_RSS_BACK_MB MB of where it started."
}

for c in "${CASES[@]}"; do
    declare -F "case_$c" >/dev/null || die "unknown case '$c' (loss, reload, slow)"
    "case_$c"
done
out ""
out "Overall: $([ $STATUS = 0 ] && echo PASS || echo FAIL). Logs: $SOAK_OUT."
exit $STATUS
