#!/usr/bin/env bash
# config.limits.lua_memory_mb (64 here): a route that builds a 200 MB string fails (500), the
# process does not grow to it and goes on serving.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/http.sh"
need_tm
start_http "$SCRIPT_DIR/lua_limits.lua"
expect_http 500 "a 200 MB string" /bigstring
assert_log 'not enough memory' "the memory error"
assert_log 'lua_memory_mb' "the ceiling's log line"
rss=$(awk '/VmHWM/{print $2}' "/proc/$SERVER_PID/status")
log "peak RSS $rss KiB"
[ "$rss" -lt 150000 ] || fail "peak RSS $rss KiB: the string was built"
expect_http 200 "the server after the refused allocation" /ok
stop_server
pass
