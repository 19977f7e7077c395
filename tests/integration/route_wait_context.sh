#!/usr/bin/env bash
# Waiting where Lua cannot yield: sip.sleep inside a table.sort comparator, a string.gsub
# callback or a __tostring metamethod called by tostring() raises a clear error (the request gets 500) instead of arming
# a timer that would later resume freed memory; the server goes on and exits cleanly.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/http.sh"
need_tm
start_http "$SCRIPT_DIR/lua_limits.lua"
export PORT
for p in /sort /gsub /meta; do
    expect_http 500 "sip.sleep in $p" "$p"
done
assert_log 'sip.sleep cannot wait here' "the error naming why"
sleep 0.2   # past the 1 ms the sleeps asked for: nothing may wake up
expect_http 200 "the server after the refused waits" /ok
stop_server
pass
