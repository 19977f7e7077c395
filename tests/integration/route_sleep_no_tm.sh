#!/usr/bin/env bash
# sip.sleep in a request route without the tm unit (scripts/sleep_no_tm.lua,
# R-URI user "sleep"): the route errors, the request gets 500, the log says
# tm is needed, and the server keeps answering.
. "$(dirname "$0")/lib/common.sh"

free_port PORT
start_server "$SCRIPT_DIR/sleep_no_tm.lua" -l "udp:127.0.0.1:$PORT" -l "tcp:127.0.0.1:$PORT"

for proto in udp tcp; do
    sip_request MESSAGE "sip:sleep@127.0.0.1:$PORT" | expect_status "$proto" "$PORT" 500 "sip.sleep without tm"
done
assert_log 'ERROR \[lua\].*tm' "an error naming tm"
assert_no_log 'Slept' "a route that went on after sip.sleep"
grep -q 'SIP/2.0 200 Slept' "$T/raw_replies.log" && fail "sip.sleep returned without tm"

options_ok "$PORT" udp tcp
server_alive
stop_server
pass
