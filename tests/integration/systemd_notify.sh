#!/usr/bin/env bash
# systemd's Type=notify protocol: with NOTIFY_SOCKET set (abstract '@name' and a path), the server
# sends READY=1 once it is listening, RELOADING=1 (with MONOTONIC_USEC) then READY=1 around each
# reload (SIGHUP or /api/reload, a failed one included), and STOPPING=1 on SIGTERM.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/http.sh"

NOTIFY_OUT=$T/notify.out
# listen_notify ADDR: start the stand-in socket and wait until it is bound.
listen_notify() {
    : >"$NOTIFY_OUT"
    python3 "$IT_DIR/lib/dgram_sink.py" "$1" "$NOTIFY_OUT" &
    _PIDS+=("$!")
    for ((i = 0; i < 50; i++)); do
        grep -q BOUND "$NOTIFY_OUT" && return 0
        sleep 0.1
    done
    fail "notify socket $1 not bound"
}
# expect_notify N WHAT: wait until the socket received N messages and print them (one a line).
expect_notify() {
    for ((i = 0; i < 50; i++)); do
        [ "$(grep -vc BOUND "$NOTIFY_OUT")" -ge "$1" ] && break
        sleep 0.1
    done
    grep -v BOUND "$NOTIFY_OUT" | tr '\n' ' '
}

cat >"$T/script.lua" <<'LUA'
config = { http = { listen = os.getenv("HTTP_LISTEN") } }
function on_request(msg) msg:reply(200) end
LUA

# 1. An abstract socket: start, SIGHUP, a failed reload over HTTP, SIGTERM.
export NOTIFY_SOCKET="@lunasip-test-$$-$RANDOM"
listen_notify "$NOTIFY_SOCKET"
start_http "$T/script.lua"
got=$(expect_notify 1)
[ "$got" = "READY=1 " ] || fail "after start: expected READY=1, got: $got"

kill -HUP "$SERVER_PID"
got=$(expect_notify 3)
[[ $got =~ ^READY=1\ RELOADING=1\|MONOTONIC_USEC=[0-9]+\ READY=1\ $ ]] || fail "SIGHUP: got: $got"

echo 'this is not lua' >"$T/script.lua"
expect_http 400 "a broken script given to /api/reload" -X POST /api/reload
got=$(expect_notify 5)
[[ $got =~ RELOADING=1\|MONOTONIC_USEC=[0-9]+\ READY=1\ $ ]] || fail "failed reload: got: $got"

stop_server
got=$(expect_notify 6)
[[ $got == *" STOPPING=1 " ]] || fail "SIGTERM: expected STOPPING=1 last, got: $got"

# 2. A socket path (what systemd uses by default).
cat >"$T/script.lua" <<'LUA'
config = { http = { listen = os.getenv("HTTP_LISTEN") } }
function on_request(msg) msg:reply(200) end
LUA
export NOTIFY_SOCKET=$T/notify.sock
listen_notify "$NOTIFY_SOCKET"
start_http "$T/script.lua"
got=$(expect_notify 1)
[ "$got" = "READY=1 " ] || fail "path socket: expected READY=1, got: $got"
check_sanitizers
pass
