#!/usr/bin/env bash
# Calls from C into Lua are protected: with a strict _G whose __index raises, looking up the
# routes the script does not define (on_reply, on_start) does not panic and requests are served;
# a config table whose __index raises is a load error with the reason (exit 1), not an abort.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/http.sh"
start_http "$SCRIPT_DIR/strict_globals.lua"
options_ok "$PORT" udp
expect_http 200 "on_http under a strict _G" /x
[ "$HTTP_BODY" = "strict ok" ] || fail "on_http: $HTTP_BODY"
expect_http 200 "a reload under a strict _G" -X POST /api/reload
options_ok "$PORT" udp
stop_server

out=$(BAD_CONFIG=1 "$LUNASIP_BIN" -f "$SCRIPT_DIR/strict_globals.lua" -l "udp:127.0.0.1:$PORT" 2>&1 </dev/null); rc=$?
[ "$rc" -eq 1 ] || fail "a raising config: exit status $rc, expected 1: $out"
grep -q 'config has no' <<<"$out" || fail "the load error does not give the reason: $out"
grep -q 'PANIC' <<<"$out" && fail "Lua panic: $out"
pass
