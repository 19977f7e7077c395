# Shared helpers for the integration tests. Source it first thing:
#
#   . "$(dirname "$0")/lib/common.sh"
#
# Environment (set by ctest, see CMakeLists.txt):
#   LUNASIP_BIN    the server binary (required)
#   LUNASIP_SRC    the source tree (default: three levels above this file)
#   LUNASIP_UNITS  the build tree's unit folder (optional)
#   LUNASIP_KEEP=1 keep the per-test temp dir even when the test passes
#   LUNASIP_CI_NO_SKIP=1  a skip fails the test (CI: everything must run there), unless the
#                  test's name is in LUNASIP_SKIP_ALLOW (space separated)
#
# A test that cannot run here calls skip (exit 77, shown by ctest as skipped through
# SKIP_RETURN_CODE); one that cannot run a part calls skip_part and pass then exits 77.
# Sanitizer reports of every lunasip process a test starts (through start_server or
# directly) go to $T/sanitizer.<pid> (ASAN_OPTIONS/UBSAN_OPTIONS log_path); the test fails
# at exit when there is one, whatever its own verdict.
#
# Every test gets its own temp dir ($T) holding the server log, sipp traces and
# raw replies; it is removed when the test passes and kept (path printed) when it
# fails. Everything started through these helpers is killed on exit, whatever
# the reason. Ports come from free_port, which reserves them with a lock dir so
# tests running in parallel (ctest -j) never pick the same one.

set -u -o pipefail
shopt -s lastpipe   # 'producer | expect_status ...' runs expect_status here, so fail exits the test

: "${LUNASIP_BIN:?LUNASIP_BIN must name the lunasip binary}"
IT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
: "${LUNASIP_SRC:=$(cd "$IT_DIR/../.." && pwd)}"
: "${LUNASIP_UNITS:=}"
TEST_NAME=$(basename "$0" .sh)
SIPP_DIR=$IT_DIR/sipp
SCRIPT_DIR=$IT_DIR/scripts
EXAMPLES_DIR=$LUNASIP_SRC/examples
SIP_RAW=$IT_DIR/lib/sip_raw.py
PORT_LOCKS=${TMPDIR:-/tmp}/lunasip-it-ports

T=$(mktemp -d "${TMPDIR:-/tmp}/lunasip-$TEST_NAME.XXXXXX")
SERVER_LOG=$T/server.log
SERVER_PID=
UAS_PID=
_PIDS=()
_PORTS=()
_FAILED=0
_SKIPPED=()
SANITIZER_RE='ERROR: (Address|Leak|Memory|Thread)Sanitizer|: runtime error: |SUMMARY: UndefinedBehaviorSanitizer'
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$T/sanitizer"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$T/sanitizer"

log() { printf '[%s] %s\n' "$TEST_NAME" "$*" >&2; }

_show_file() {   # _show_file FILE [LINES]: print the tail of FILE if it has content
    [ -s "$1" ] || return 0
    printf -- '--- %s (last %s lines) ---\n' "${1#"$T"/}" "${2:-60}" >&2
    tail -n "${2:-60}" "$1" >&2
}

# fail MESSAGE: report, show the logs that explain it, exit 1 (cleanup runs).
fail() {
    _FAILED=1
    printf 'FAIL: %s: %s\n' "$TEST_NAME" "$*" >&2
    _show_file "$SERVER_LOG" 80
    local f
    for f in "$T"/*err*.log; do
        [ -e "$f" ] && _show_file "$f" 20
    done
    for f in "$T"/*.out; do   # sipp's screens: the message counts are enough
        [ -e "$f" ] && _show_file "$f" 25
    done
    exit 1
}

# pass: the closing line of a test that succeeded (exit 77 when a part was skipped).
pass() {
    if [ ${#_SKIPPED[@]} -gt 0 ]; then
        printf 'PASS (partly skipped: %s): %s\n' "${_SKIPPED[*]}" "$TEST_NAME"
        exit 77
    fi
    printf 'PASS: %s\n' "$TEST_NAME"
    exit 0
}

_skip_allowed() {   # fails the test when skips are fatal here (LUNASIP_CI_NO_SKIP=1)
    [ "${LUNASIP_CI_NO_SKIP:-0}" = 1 ] || return 0
    [[ " ${LUNASIP_SKIP_ALLOW:-} " == *" $TEST_NAME "* ]] && return 0
    fail "skipped on CI (LUNASIP_CI_NO_SKIP=1, $TEST_NAME not in LUNASIP_SKIP_ALLOW): $1"
}

# skip REASON: this test cannot run here: exit 77 (ctest: skipped).
skip() {
    _skip_allowed "$1"
    printf 'SKIP: %s: %s\n' "$TEST_NAME" "$1"
    exit 77
}

# skip_part REASON: a part of this test cannot run here; the rest runs, pass exits 77.
skip_part() {
    _skip_allowed "$1"
    log "SKIP (part): $1"
    _SKIPPED+=("$1")
}

# have_tm: tm.so is built in $LUNASIP_UNITS. need_tm: skip the test without it.
have_tm() { [ -n "$LUNASIP_UNITS" ] && [ -f "$LUNASIP_UNITS/tm.so" ]; }
need_tm() { have_tm || skip "the tm unit is not built (${LUNASIP_UNITS:-LUNASIP_UNITS unset}/tm.so missing)"; }

# have_ipv6: the loopback has ::1.
have_ipv6() { [ -n "$(ip -6 addr show dev lo 2>/dev/null)" ]; }

# _sanitizer_reports: print every sanitizer report of this test; status 0 when there is one.
_sanitizer_reports() {
    local f found=1
    for f in "$T"/sanitizer.*; do
        [ -s "$f" ] || continue
        found=0
        printf -- '--- %s ---\n' "${f#"$T"/}" >&2
        head -n 60 "$f" >&2
    done
    if [ -f "$SERVER_LOG" ] && grep -qE "$SANITIZER_RE" "$SERVER_LOG"; then
        found=0
        grep -E -A 30 "$SANITIZER_RE" "$SERVER_LOG" | head -n 60 >&2
    fi
    return $found
}

_cleanup() {
    local rc=$? pid p i
    for pid in "${_PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null
    done
    for pid in "${_PIDS[@]}"; do
        for ((i = 0; i < 20; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    for p in "${_PORTS[@]}"; do
        rmdir "$PORT_LOCKS/$p" 2>/dev/null
    done
    if _sanitizer_reports; then
        printf 'FAIL: %s: sanitizer report (above) from a lunasip process\n' "$TEST_NAME" >&2
        rc=1 _FAILED=1
    fi
    if { [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; } || [ "$_FAILED" -ne 0 ] || [ "${LUNASIP_KEEP:-0}" = 1 ]; then
        printf '[%s] files kept in %s\n' "$TEST_NAME" "$T" >&2
    else
        rm -rf "$T"
    fi
    [ "$_FAILED" -eq 0 ] || exit 1
}
trap _cleanup EXIT
trap 'exit 130' INT TERM

# Forget a pid we already waited for.
_forget_pid() {
    local keep=() pid
    for pid in "${_PIDS[@]}"; do
        [ "$pid" = "$1" ] || keep+=("$pid")
    done
    _PIDS=("${keep[@]}")
}

# Wait for pid $1 (a child) at most $2 seconds; sets WAIT_RC to its exit status,
# or returns 1 (process still running) after the time is up.
_wait_pid() {
    local pid=$1 secs=$2 i
    for ((i = 0; i < secs * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && return 1
    wait "$pid"
    WAIT_RC=$?
    _forget_pid "$pid"
    return 0
}

# free_port VAR: set VAR to a port free for both UDP and TCP on this host,
# reserved for this test until it exits (not in $(...): the reservation would be
# lost with the subshell). Taken below the kernel's ephemeral range (32768+)
# so that outgoing sockets of other tests cannot grab it after the check.
free_port() {
    local p i
    mkdir -p "$PORT_LOCKS" 2>/dev/null
    for ((i = 0; i < 200; i++)); do
        p=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
        [ -n "$(ss -Hlnu "sport = :$p" 2>/dev/null)" ] && continue
        [ -n "$(ss -Hlnt "sport = :$p" 2>/dev/null)" ] && continue
        [ -n "$(ss -Hant "sport = :$p" 2>/dev/null)" ] && continue
        mkdir "$PORT_LOCKS/$p" 2>/dev/null || continue
        _PORTS+=("$p")
        printf -v "$1" '%s' "$p"
        return 0
    done
    fail "free_port: no free port found"
}

# wait_bound PROTO PORT [SECS]: wait until something listens on PORT.
wait_bound() {
    local flag=-Hlnu i
    [ "$1" = tcp ] && flag=-Hlnt
    for ((i = 0; i < ${3:-5} * 10; i++)); do
        [ -n "$(ss $flag "sport = :$2" 2>/dev/null)" ] && return 0
        sleep 0.1
    done
    return 1
}

# start_server SCRIPT [ARGS...]: run the server in the background with stderr in
# $SERVER_LOG; return once it logged 'ready'. Fails the test (log shown) if it
# exits or is not ready within $LUNASIP_START_TIMEOUT seconds (default 10).
start_server() {
    local script=$1 i
    shift
    local unit_args=()
    [ -n "$LUNASIP_UNITS" ] && [ -d "$LUNASIP_UNITS" ] && unit_args=(-U "$LUNASIP_UNITS")
    log "starting: $LUNASIP_BIN -f $script ${unit_args[*]} $*"
    "$LUNASIP_BIN" -f "$script" "${unit_args[@]}" "$@" </dev/null >"$T/server.stdout" 2>"$SERVER_LOG" &
    SERVER_PID=$!
    _PIDS+=("$SERVER_PID")
    for ((i = 0; i < ${LUNASIP_START_TIMEOUT:-10} * 10; i++)); do
        if grep -q 'INFO \[core\] ready' "$SERVER_LOG" 2>/dev/null; then
            return 0
        fi
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            wait "$SERVER_PID"
            local rc=$?
            _forget_pid "$SERVER_PID"
            SERVER_PID=
            fail "server exited with status $rc before it was ready"
        fi
        sleep 0.1
    done
    fail "server not ready after ${LUNASIP_START_TIMEOUT:-10} s"
}

# check_sanitizers [FILE]: fail now when a sanitizer reported anything (in FILE, default the
# server log, or in $T/sanitizer.*); _cleanup checks again at exit.
check_sanitizers() {
    local f=${1:-$SERVER_LOG}
    if grep -qE "$SANITIZER_RE" "$f" 2>/dev/null; then
        fail "sanitizer report in $(basename "$f")"
    fi
    local r
    for r in "$T"/sanitizer.*; do
        [ -s "$r" ] && fail "sanitizer report from a lunasip process (${r#"$T"/})"
    done
    return 0
}

# server_alive: fail unless the server process still runs.
server_alive() {
    [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null || fail "server is not running"
}

# stop_server: SIGTERM, wait (10 s at most), require exit status 0 and a log
# free of sanitizer reports.
stop_server() {
    [ -n "$SERVER_PID" ] || fail "stop_server: no server running"
    kill -TERM "$SERVER_PID" 2>/dev/null || fail "server died before SIGTERM"
    _wait_pid "$SERVER_PID" 10 || fail "server still running 10 s after SIGTERM"
    SERVER_PID=
    check_sanitizers
    [ "$WAIT_RC" -eq 0 ] || fail "server exited with status $WAIT_RC after SIGTERM (expected 0)"
}

# _sipp_common NAME: options every sipp run gets (traces named after NAME).
_sipp_common() {
    SIPP_ARGS=(-i 127.0.0.1 -nostdin -trace_err -error_file "$T/$1_err.log"
               -trace_msg -message_file "$T/$1_msg.log")
}

# start_uas SCENARIO PORT [SIPP ARGS...]: a sipp UAS on 127.0.0.1:PORT in the
# background, handling one call (-m 1) within 20 s. Add -t t1 for TCP. Traces:
# $T/uas_msg.log, $T/uas_err.log, $T/uas.out. Returns once the port is bound.
start_uas() {
    local scen=$1 port=$2
    shift 2
    _sipp_common uas
    local proto=udp a
    for a in "$@"; do [ "$a" = t1 ] && proto=tcp; done
    sipp -sf "$scen" -p "$port" "${SIPP_ARGS[@]}" -m 1 -timeout 20s -timeout_error "$@" \
        </dev/null >"$T/uas.out" 2>&1 &
    UAS_PID=$!
    _PIDS+=("$UAS_PID")
    wait_bound "$proto" "$port" 5 || fail "sipp UAS did not bind $proto port $port"
}

# wait_uas [SECS]: wait for the UAS to finish its call; returns sipp's exit
# status (0: every call succeeded, 1: a call failed), 124 when it is still running.
wait_uas() {
    _wait_pid "$UAS_PID" "${1:-10}" || return 124
    UAS_PID=
    return "$WAIT_RC"
}

# start_sipp_uas NAME SCENARIO PORT [SIPP ARGS...]: like start_uas, but several can run at
# once: traces are named after NAME ($T/NAME_msg.log, $T/NAME_err.log, $T/NAME.out), the pid
# goes to UAS_PIDS[NAME], and there is no -m 1 (pass -m N for N calls; default 60 s timeout).
declare -A UAS_PIDS=()
start_sipp_uas() {
    local name=$1 scen=$2 port=$3
    shift 3
    _sipp_common "$name"
    sipp -sf "$scen" -p "$port" "${SIPP_ARGS[@]}" -timeout 60s "$@" </dev/null >"$T/$name.out" 2>&1 &
    UAS_PIDS[$name]=$!
    _PIDS+=("$!")
    wait_bound udp "$port" 5 || fail "sipp UAS $name did not bind udp port $port"
}

# stop_sipp_uas NAME: kill that UAS and wait until its port is free.
stop_sipp_uas() {
    local pid=${UAS_PIDS[$1]}
    kill -TERM "$pid" 2>/dev/null
    _wait_pid "$pid" 5 || { kill -KILL "$pid" 2>/dev/null; _wait_pid "$pid" 5; }
    unset "UAS_PIDS[$1]"
}

# sip_count FILE FIRSTLINE_REGEX: how many messages a sipp -trace_msg file holds that sipp
# received and whose first line matches (0 when the file does not exist).
sip_count() {
    [ -f "$1" ] || { echo 0; return; }
    awk -v re="$2" '
        { sub(/\r$/, "") }
        / message received/ { want = 1; next }
        want && $0 != "" { if ($0 ~ re) n++; want = 0 }
        END { print n + 0 }' "$1"
}

# run_uac SCENARIO REMOTE [SIPP ARGS...]: run a sipp UAC for one call (-m 1,
# 10 s at most) against REMOTE (host:port; use -rsa to send via the proxy).
# Returns sipp's exit status: 0 when every call succeeded. Traces:
# $T/uac_msg.log, $T/uac_err.log, $T/uac.out.
run_uac() {
    local scen=$1 remote=$2 port
    shift 2
    free_port port
    _sipp_common uac
    sipp -sf "$scen" "$remote" -p "$port" "${SIPP_ARGS[@]}" -m 1 -timeout 10s -timeout_error "$@" \
        </dev/null >"$T/uac.out" 2>&1
}

# sip_request METHOD RURI [HEADER...]: print a request (CRLF line ends) with
# Via, Max-Forwards, From, To, Call-ID, CSeq and Content-Length. A HEADER
# "Name: value" is added (or replaces the default of the same name); a HEADER
# "-Name" removes that default header. Via names @LADDR@:@LPORT@ and @PROTO@,
# which sip_send_raw fills in. Set SIP_BODY for a body.
sip_request() {
    local method=$1 ruri=$2 h name
    shift 2
    local -a names=(Via Max-Forwards From To Call-ID CSeq)
    local -A val=(
        [Via]="SIP/2.0/@PROTO@ @LADDR@:@LPORT@;branch=z9hG4bK$RANDOM$RANDOM;rport"
        [Max-Forwards]=70
        [From]="<sip:tester@127.0.0.1>;tag=t$RANDOM"
        [To]="<$ruri>"
        [Call-ID]="$RANDOM$RANDOM@$TEST_NAME"
        [CSeq]="1 $method"
    )
    local -a extra=()
    for h in "$@"; do
        if [[ $h == -* ]]; then
            unset "val[${h#-}]"
        else
            name=${h%%:*}
            if [ -n "${val[$name]+x}" ]; then
                val[$name]=${h#*: }
            else
                extra+=("$h")
            fi
        fi
    done
    printf '%s %s SIP/2.0\r\n' "$method" "$ruri"
    for name in "${names[@]}"; do
        [ -n "${val[$name]+x}" ] && printf '%s: %s\r\n' "$name" "${val[$name]}"
    done
    for h in "${extra[@]}"; do printf '%s\r\n' "$h"; done
    local body=${SIP_BODY:-}
    printf 'Content-Length: %d\r\n\r\n%s' "${#body}" "$body"
}

# sip_send_raw PROTO PORT [sip_raw.py ARGS...] < MESSAGE: send MESSAGE to
# 127.0.0.1:PORT and print the replies (see lib/sip_raw.py). @PROTO@ in the
# message becomes UDP or TCP. Exit status 0 when something came back.
sip_send_raw() {
    local proto=$1 port=$2
    shift 2
    local up=${proto^^}
    LC_ALL=C sed "s/@PROTO@/$up/g" | python3 "$SIP_RAW" send --proto "$proto" --port "$port" "$@"
}

# status_line OUTPUT: the first status line in sip_send_raw's output.
status_line() { grep -m1 -E '^SIP/2\.0 [0-9]{3}' <<<"$1" | tr -d '\r'; }

# expect_status PROTO PORT CODE WHAT < MESSAGE: send and require a reply CODE.
expect_status() {
    local proto=$1 port=$2 code=$3 what=$4 out
    out=$(sip_send_raw "$proto" "$port" --timeout 3)
    printf '%s\n' "$out" >>"$T/raw_replies.log"
    [[ $(status_line "$out") == "SIP/2.0 $code "* ]] ||
        fail "$what: expected $code over $proto, got: $(status_line "$out")${out:+$'\n'$out}"
}

# options_ok PORT [PROTO...]: an OPTIONS aimed at the server itself must get
# 200 (used after each bad input to show the server still works). Needs a
# script that answers such an OPTIONS with 200.
options_ok() {
    local port=$1 proto
    shift
    [ $# -eq 0 ] && set -- udp
    for proto in "$@"; do
        sip_request OPTIONS "sip:127.0.0.1:$port" | expect_status "$proto" "$port" 200 "OPTIONS to the server"
    done
}

# trace_msg FILE DIRECTION FIRSTLINE_REGEX [N]: print the Nth (default 1)
# message of a sipp message trace (-trace_msg) that sipp 'sent' or 'received'
# (DIRECTION) and whose first line matches FIRSTLINE_REGEX (awk ERE), CRs removed.
trace_msg() {
    awk -v dir="$2" -v re="$3" -v want="${4:-1}" '
        function flush() { if (n > 0 && d == dir && first ~ re && ++seen == want) { printf "%s", body; done = 1; exit } }
        { sub(/\r$/, "") }
        /^----------/ { flush(); n = 0; d = ""; first = ""; body = ""; next }
        n == 0 && d == "" && / message (sent|received)/ { d = ($0 ~ /sent/) ? "sent" : "received"; next }
        d != "" && n == 0 && $0 == "" { next }
        d != "" { if (n++ == 0) first = $0; body = body $0 "\n" }
        END { if (!done) flush() }
    ' "$1"
}

# header_of MESSAGE NAME [N]: the Nth (default 1) line of header NAME (full form,
# case-insensitive) in MESSAGE, without the name.
header_of() {
    awk -v name="$2" -v want="${3:-1}" '
        $0 == "" { exit }
        tolower(substr($0, 1, length(name) + 1)) == tolower(name) ":" && ++seen == want {
            v = substr($0, length(name) + 2); sub(/^[ \t]+/, "", v); print v; exit }
    ' <<<"$1"
}

# vias MESSAGE: the message's Via values, top first, one a line (header lines
# and comma-separated values both split; compact 'v:' understood).
vias() {
    awk '$0 == "" { exit }
         tolower($0) ~ /^(via|v)[ \t]*:/ { sub(/^[^:]*:[ \t]*/, ""); n = split($0, a, /[ \t]*,[ \t]*/)
                                           for (i = 1; i <= n; i++) print a[i] }' <<<"$1"
}

# assert_log REGEX WHAT: the server log must match REGEX (grep -E).
assert_log() {
    grep -qE -- "$1" "$SERVER_LOG" || fail "server log lacks $2 (/$1/)"
}

# assert_no_log REGEX WHAT: the server log must not match REGEX.
assert_no_log() {
    if grep -qE -- "$1" "$SERVER_LOG"; then fail "server log has $2 (/$1/)"; fi
}

command -v sipp >/dev/null || fail "sipp not installed (package sip-tester)"
command -v python3 >/dev/null || fail "python3 not installed"
command -v ss >/dev/null || fail "ss not installed (package iproute2)"
[ -x "$LUNASIP_BIN" ] || fail "LUNASIP_BIN=$LUNASIP_BIN is not an executable"
