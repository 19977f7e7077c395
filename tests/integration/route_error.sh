#!/usr/bin/env bash
# A route that raises an error (scripts/route_error.lua, R-URI user "throw"):
# the sipp UAC's INVITE gets 500, the log has the error with a traceback, and
# the server still answers OPTIONS afterwards.
. "$(dirname "$0")/lib/common.sh"

free_port PORT
start_server "$SCRIPT_DIR/route_error.lua" -l "udp:127.0.0.1:$PORT" -l "tcp:127.0.0.1:$PORT"

run_uac "$SIPP_DIR/uac_invite_500.xml" "127.0.0.1:$PORT" -s throw ||
    fail "INVITE to a throwing route did not get 500 (sipp exit $?)"

# non-INVITE over both transports
for proto in udp tcp; do
    sip_request MESSAGE "sip:throw@127.0.0.1:$PORT" | expect_status "$proto" "$PORT" 500 "MESSAGE to a throwing route"
done

assert_log 'ERROR \[lua\].*boom from route_error.lua for INVITE' "the route's error message"
assert_log 'route_error\.lua:[0-9]+: boom' "the error's script location"
assert_log 'traceback' "a traceback"
assert_log "in (local|upvalue|function) '?explode'?" "the throwing function in the traceback"

options_ok "$PORT" udp tcp
server_alive
stop_server
pass
