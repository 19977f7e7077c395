#!/usr/bin/env bash
# SIP over TLS: calls per second and CPU per call, lunasip against Kamailio's tls module in the
# same run (kamailio-tlsf: -x tlsf, the reference; kamailio-qm: the packaged default allocator,
# beside it). Each server runs the stateful route (tm relay, Record-Route on INVITE) behind a
# tls: listener, pinned to one CPU; tls_load.py (python ssl + asyncio: Debian's sipp has no TLS)
# makes full calls over 8 TLS connections (INVITE, 200, ACK, BYE, 200) to a sipp UAS on UDP.
#
#   flock /tmp/lunasip-bench.lock tests/bench/tls.sh
#   BENCH_MODE=callgrind flock /tmp/lunasip-bench.lock tests/bench/tls.sh   # instructions per call
#
# rate mode: rising rates (BENCH_RATES) for BENCH_STEP_SECS each; a step is clean when every call
# completed and the generator kept the rate (within 5 %). Reported: max clean cps and the
# server's CPU seconds per 1000 calls (utime+stime of all its processes over the step).
# callgrind mode: each server under valgrind --tool=callgrind (Kamailio: --trace-children=yes),
# 50 cps for BENCH_CG_SECS_1 then BENCH_CG_SECS_2 seconds (two runs);
# Ir per call = (Ir run 2 - Ir run 1) / (calls run 2 - calls run 1).
# Needs: sip-tester, kamailio, kamailio-lua-modules, kamailio-tls-modules (apt-get install -y
# kamailio-tls-modules), openssl, python3, valgrind for callgrind. Loopback only.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
LUNASIP=${LUNASIP:-$SRC/build/lunasip}
UNITS=${LUNASIP_UNITS:-$(dirname "$LUNASIP")/units}
BENCH_MODE=${BENCH_MODE:-rate}
BENCH_SERVERS=${BENCH_SERVERS:-lunasip kamailio-tlsf kamailio-qm}
BENCH_RATES=${BENCH_RATES:-500 1000 2000 3000 4000 5000 6000}
BENCH_STEP_SECS=${BENCH_STEP_SECS:-5}
BENCH_CG_RATE=${BENCH_CG_RATE:-50}
BENCH_CG_SECS_1=${BENCH_CG_SECS_1:-4}
BENCH_CG_SECS_2=${BENCH_CG_SECS_2:-12}
BENCH_PROXY_CPU=${BENCH_PROXY_CPU:-1}
BENCH_LOAD_CPU=${BENCH_LOAD_CPU:-0}
KAMAILIO_MEM_ARGS=${KAMAILIO_MEM_ARGS:--m 1024 -M 16}   # less shm: its tls module refuses connections near 2000 cps
PORT=${BENCH_PROXY_PORT:-5270}
TPORT=$((PORT + 1))
UAS_PORT=${BENCH_UAS_PORT:-5290}
OUT=$(mktemp -d "${TMPDIR:-/tmp}/lunasip-bench-tls.XXXXXX")
KAM_MPATH="$(dirname "$(ls /usr/lib/*/kamailio/modules/tls.so 2>/dev/null | head -1)")/"
CLK=$(getconf CLK_TCK)
STARTED=()

log() { printf '[tls-bench] %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }
cleanup() {
    local p
    for p in "${STARTED[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${STARTED[@]}"; do
        for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$p" 2>/dev/null
    done
    STARTED=()
}
trap cleanup EXIT
for c in sipp kamailio openssl python3 taskset; do command -v $c >/dev/null || die "$c not installed"; done
[ -n "$KAM_MPATH" ] && [ "$KAM_MPATH" != "./" ] || die "kamailio-tls-modules not installed (apt-get install -y kamailio-tls-modules)"
[ -x "$LUNASIP" ] || die "no lunasip at $LUNASIP (build it, or set LUNASIP)"
[ "$BENCH_MODE" = rate ] || [ "$BENCH_MODE" = callgrind ] || die "BENCH_MODE is rate or callgrind"
[ "$BENCH_MODE" = callgrind ] && { command -v valgrind >/dev/null || die "valgrind not installed"; }

mkdir -p "$OUT/certs"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$OUT/certs/ca.key" \
    -out "$OUT/certs/ca.pem" -days 2 -subj /CN=bench-ca 2>/dev/null || die "openssl: CA"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$OUT/certs/server.key" \
    -out "$OUT/certs/server.csr" -subj /CN=localhost 2>/dev/null &&
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$OUT/certs/san.ext" &&
    openssl x509 -req -in "$OUT/certs/server.csr" -CA "$OUT/certs/ca.pem" -CAkey "$OUT/certs/ca.key" \
        -CAcreateserial -days 2 -extfile "$OUT/certs/san.ext" -out "$OUT/certs/server.pem" 2>/dev/null ||
    die "openssl: server certificate"
cp "$HERE/lunasip-tls.lua" "$OUT/"
cat >"$OUT/kamailio-tls-module.cfg" <<EOF
[server:default]
method = TLSv1.2+
verify_certificate = no
require_certificate = no
private_key = $OUT/certs/server.key
certificate = $OUT/certs/server.pem

[client:default]
method = TLSv1.2+
verify_certificate = no
require_certificate = no
EOF

cpu_ticks() {   # cpu_ticks PID...: utime+stime of these processes (and their threads)
    local p t=0
    for p in "$@"; do
        [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat")))
    done
    echo "$t"
}
wait_tls() {   # wait_tls PID: until something listens on TPORT
    for _ in $(seq 1 200); do
        ss -Hlnt "sport = :$TPORT" | grep -q . && return 0
        kill -0 "$1" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}
cg_wrap() { [ "$BENCH_MODE" = callgrind ] && echo valgrind --tool=callgrind --callgrind-out-file="$OUT/cg-$SRV/callgrind.out.%p" "$@"; }

start_server() {   # start_server NAME: sets PIDS
    local wrap
    mkdir -p "$OUT/cg-$1"
    case $1 in
    lunasip)
        wrap=$(cg_wrap)
        (cd "$OUT" && exec taskset -c "$BENCH_PROXY_CPU" $wrap "$LUNASIP" -q -f "$OUT/lunasip-tls.lua" -U "$UNITS" \
            -l "udp:127.0.0.1:$PORT" -l "tls:127.0.0.1:$TPORT") >"$OUT/$1.log" 2>&1 &
        MAIN=$! ;;
    kamailio-tlsf|kamailio-qm)
        wrap=$(cg_wrap --trace-children=yes)
        mkdir -p "$OUT/kamailio-rt"
        taskset -c "$BENCH_PROXY_CPU" $wrap kamailio -x "${1#kamailio-}" -f "$HERE/kamailio-tls.cfg" -DD -E \
            $KAMAILIO_MEM_ARGS -Y "$OUT/kamailio-rt" -P "$OUT/kamailio.pid" -L "$KAM_MPATH" \
            -A "TLS_CFG=\"$OUT/kamailio-tls-module.cfg\"" -A "KEMI_SCRIPT=\"$HERE/kamailio-stateful.lua\"" \
            -l "udp:127.0.0.1:$PORT" -l "tls:127.0.0.1:$TPORT" >"$OUT/$1.log" 2>&1 &
        MAIN=$! ;;
    *) die "unknown server $1" ;;
    esac
    STARTED+=("$MAIN")
    wait_tls "$MAIN" || { tail -20 "$OUT/$1.log" >&2; die "$1 did not start"; }
    sleep 0.5
    [ "$BENCH_MODE" = callgrind ] && sleep 8
    PIDS=("$MAIN")
    local c
    for c in $(pgrep -P "$MAIN"); do PIDS+=("$c"); STARTED+=("$c"); done
}

load() {   # load RATE SECS: prints 'attempted N ok N failed N secs T'
    taskset -c "$BENCH_LOAD_CPU" python3 "$HERE/tls_load.py" --port "$TPORT" --ca "$OUT/certs/ca.pem" \
        --ruri "sip:uas@127.0.0.1:$UAS_PORT" --rate "$1" --secs "$2" --conns 8
}

(cd "$OUT" && exec taskset -c "$BENCH_LOAD_CPU" sipp -sn uas -i 127.0.0.1 -p "$UAS_PORT" -nostdin) \
    >"$OUT/uas.log" 2>&1 &
STARTED+=("$!")
UAS_PID=$!
sleep 1
kill -0 "$UAS_PID" 2>/dev/null || die "sipp UAS did not start: $(cat "$OUT/uas.log")"

declare -A MAXCPS CPUK IRC
for SRV in $BENCH_SERVERS; do
    log "== $SRV"
    start_server "$SRV"
    smoke=$(load 5 1)
    [[ $smoke == *" ok 5 failed 0 "* ]] || die "$SRV: smoke test failed: $smoke"
    if [ "$BENCH_MODE" = callgrind ]; then
        n1=$(load "$BENCH_CG_RATE" "$BENCH_CG_SECS_1" | awk '{print $4}')
        cleanup_pids=("${PIDS[@]}")
        kill "${PIDS[@]}" 2>/dev/null; for p in "${PIDS[@]}"; do while kill -0 "$p" 2>/dev/null; do sleep 0.2; done; done
        ir1=$(cat "$OUT/cg-$SRV"/callgrind.out.* | awk '/^summary:/ {s += $2} END {print s + 0}')
        rm -f "$OUT/cg-$SRV"/callgrind.out.*
        start_server "$SRV"
        load 5 1 >/dev/null
        n2=$(load "$BENCH_CG_RATE" "$BENCH_CG_SECS_2" | awk '{print $4}')
        kill "${PIDS[@]}" 2>/dev/null; for p in "${PIDS[@]}"; do while kill -0 "$p" 2>/dev/null; do sleep 0.2; done; done
        ir2=$(cat "$OUT/cg-$SRV"/callgrind.out.* | awk '/^summary:/ {s += $2} END {print s + 0}')
        IRC[$SRV]=$(awk -v a="$ir1" -v b="$ir2" -v x="$n1" -v y="$n2" 'BEGIN { printf "%.0f", (b - a) / (y - x) }')
        log "$SRV: run 1 $n1 calls $ir1 Ir, run 2 $n2 calls $ir2 Ir: ${IRC[$SRV]} Ir per call"
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$SRV" "$n1" "$ir1" "$n2" "$ir2" "${IRC[$SRV]}" >>"$OUT/callgrind.tsv"
    else
        MAXCPS[$SRV]=0
        for rate in $BENCH_RATES; do
            t0=$(cpu_ticks "${PIDS[@]}")
            r=$(load "$rate" "$BENCH_STEP_SECS")
            t1=$(cpu_ticks "${PIDS[@]}")
            read -r _ att _ ok _ failed _ secs <<<"$r"
            cpuk=$(awk -v t="$((t1 - t0))" -v c="$CLK" -v n="$ok" 'BEGIN { if (n > 0) printf "%.3f", t / c / n * 1000; else print "NA" }')
            clean=$(awk -v f="$failed" -v s="$secs" -v S="$BENCH_STEP_SECS" 'BEGIN { print (f == 0 && s <= S * 1.05) ? "yes" : "no" }')
            log "$SRV $rate cps: $r; CPU $cpuk s per 1000 calls; clean $clean"
            printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$SRV" "$rate" "$ok" "$failed" "$cpuk" "$clean" >>"$OUT/steps.tsv"
            [ "$clean" = yes ] || break
            MAXCPS[$SRV]=$rate
            CPUK[$SRV]=$cpuk
        done
        kill "${PIDS[@]}" 2>/dev/null
        for p in "${PIDS[@]}"; do while kill -0 "$p" 2>/dev/null; do sleep 0.2; done; done
    fi
done

echo
echo "TLS benchmark ($BENCH_MODE), $(date -u +%Y-%m-%dT%H:%MZ), kamailio $(kamailio -v 2>/dev/null | awk '/^version:/{print $3; exit}'), $(nproc) CPUs; work dir $OUT"
if [ "$BENCH_MODE" = callgrind ]; then
    echo "| server | calls run 1 / run 2 | Ir run 1 | Ir run 2 | Ir per call | vs kamailio-tlsf |"
    echo "|---|---|---|---|---|---|"
    while IFS=$'\t' read -r s n1 ir1 n2 ir2 irc; do
        echo "| $s | $n1 / $n2 | $ir1 | $ir2 | **$irc** | $(awk -v a="$irc" -v b="${IRC[kamailio-tlsf]:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "NA" }') |"
    done <"$OUT/callgrind.tsv"
else
    echo "| server | rate (cps) | calls ok | failed | CPU s / 1000 calls | clean |"
    echo "|---|---|---|---|---|---|"
    while IFS=$'\t' read -r s r ok f c cl; do echo "| $s | $r | $ok | $f | $c | $cl |"; done <"$OUT/steps.tsv"
    echo
    echo "| server | max clean cps | CPU s / 1000 calls at it |"
    echo "|---|---|---|"
    for s in $BENCH_SERVERS; do echo "| $s | ${MAXCPS[$s]} | ${CPUK[$s]:-NA} |"; done
fi
