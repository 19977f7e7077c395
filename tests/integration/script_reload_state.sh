#!/usr/bin/env bash
# A reload replaces the script for real: after 200 reloads of a script whose on_start spawns a
# poller, one poller runs and one Lua state is open, with flat RSS; sip.every skips a tick while
# the previous one still runs; a reload that changes config.units, config.listen or
# config.http.listen is refused with a message that says they need a restart.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/http.sh"
export CHANGE_FILE=$T/change
: >"$CHANGE_FILE"
# Under AddressSanitizer freed memory waits in a quarantine: turn it off so RSS means what it says.
ldd "$LUNASIP_BIN" 2>/dev/null | grep -q libasan &&
    export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0:thread_local_quarantine_size_kb=0"
free_port PORT
free_port HTTP_PORT
export PORT HTTP_LISTEN="127.0.0.1:$HTTP_PORT"
start_server "$SCRIPT_DIR/reload_poller.lua"
wait_bound tcp "$HTTP_PORT" 5 || fail "no HTTP server"

metric() { hcurl /metrics; awk -v m="$1" '$1 == m {print $2}' <<<"$HTTP_BODY"; }
rss() { awk '/VmRSS/{print $2}' "/proc/$SERVER_PID/status"; }

sleep 0.6
expect_http 200 "ticks" /ticks
log "sip.every(30) with 100 ms ticks: $HTTP_BODY"
grep -q 'max_running=1$' <<<"$HTTP_BODY" || fail "sip.every ran ticks at once: $HTTP_BODY"

for ((i = 0; i < 50; i++)); do hcurl -X POST /api/reload; [ "$HTTP_STATUS" = 200 ] || fail "reload $i: $HTTP_BODY"; done
rss50=$(rss)
for ((i = 0; i < 150; i++)); do hcurl -X POST /api/reload; [ "$HTTP_STATUS" = 200 ] || fail "reload $i: $HTTP_BODY"; done
sleep 0.3
rss200=$(rss)
states=$(metric lunasip_lua_states)
coros=$(metric lunasip_coroutines_alive)
log "after 200 reloads: $states Lua states, $coros coroutines, RSS $rss50 -> $rss200 KiB"
[ "$states" = 1 ] || fail "$states Lua states open after 200 reloads"
[ "${coros:-9}" -le 2 ] || fail "$coros coroutines alive after 200 reloads (one poller and a tick at most)"
[ "$rss200" -le $((rss50 + 4096)) ] || fail "RSS grew from $rss50 to $rss200 KiB over 150 reloads"

for what in units listen http; do
    echo "$what" >"$CHANGE_FILE"
    hcurl -X POST /api/reload
    [ "$HTTP_STATUS" = 400 ] || fail "a reload changing $what: HTTP $HTTP_STATUS $HTTP_BODY"
    grep -q 'needs a restart' <<<"$HTTP_BODY" || fail "the refusal does not say it needs a restart: $HTTP_BODY"
done
: >"$CHANGE_FILE"
expect_http 200 "a reload that changes nothing of that" -X POST /api/reload
stop_server
pass
