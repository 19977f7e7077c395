#!/usr/bin/env bash
# ping_interval = 0 without tm: probing was not asked for, so no warning about tm is logged;
# the dispatcher works (selection, listing).
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/http.sh"

export DS_LIST=$T/dispatcher.list DS_NO_TM=1 DS_PARAMS="ping_interval = 0"
printf '1 sip:127.0.0.1:5091 AP\n' >"$DS_LIST"
start_http "$SCRIPT_DIR/dispatcher.lua"
expect_http 200 "select" "/select?alg=round-robin"
[ "$(json_get "$HTTP_BODY" du)" = sip:127.0.0.1:5091 ] || fail "select: $HTTP_BODY"
assert_log 'probing off \(ping_interval = 0\)' "the start-up line"
assert_no_log 'WARN.*\btm\b' "a warning about tm"
server_alive
stop_server
assert_no_log 'WARN.*\btm\b' "a warning about tm"
pass
