#!/usr/bin/env bash
# Without the tm unit, tm.relay raises "the tm unit is not loaded": the INVITE gets 500 (the
# route failed), the error is logged, and the server keeps running.
. "$(dirname "$0")/lib/common.sh"

free_port PORT
start_server "$SCRIPT_DIR/tm_not_loaded.lua" -l "udp:127.0.0.1:$PORT"
run_uac "$SIPP_DIR/uac_invite_500.xml" "127.0.0.1:$PORT" -s relay || fail "INVITE did not get 500 (sipp exit $?)"
assert_log 'ERROR \[lua\].*the tm unit is not loaded' "the error naming tm"
assert_no_log 'INFO \[tm\]' "tm starting"

server_alive
stop_server
pass
