#!/usr/bin/env bash
# tm.request as a UAC (scripts/tm_request.lua): from on_start to a sipp UAS, which answers
# 200 with an X-Uas header (the reply table carries status, reason and headers); from a timer
# to a destination that never answers with timeout = 400 (a 408 reply table); a bad URI gives
# nil and an error; from sip.spawn as well. One request is still waiting at exit: its
# coroutine is cancelled and the server stops cleanly (no sanitizer report in the ASan build).
. "$(dirname "$0")/lib/common.sh"

free_port PORT
free_port UAS_PORT
free_port SILENT_PORT
export TM_UAS="sip:uas@127.0.0.1:$UAS_PORT" TM_SILENT="sip:nobody@127.0.0.1:$SILENT_PORT"
start_uas "$SIPP_DIR/tm_uas_message.xml" "$UAS_PORT"
start_server "$SCRIPT_DIR/tm_request.lua" -l "udp:127.0.0.1:$PORT"

wait_uas || fail "the UAS did not get the OPTIONS (sipp exit $?)"
for ((i = 0; i < 50; i++)); do
    grep -q 'tm.request done' "$SERVER_LOG" && break
    sleep 0.1
done
assert_log 'on_start tm.request: 200 OK x-uas=sipp' "the UAS's reply in on_start"
assert_log 'timer tm.request: 408 ' "a 408 for the request nobody answers"
assert_log 'bad tm.request: nil .*(URI|scheme)' "nil and an error for a bad URI"
assert_log 'spawned tm.request: 408 ' "tm.request from sip.spawn"
opt=$(trace_msg "$T/uas_msg.log" received '^OPTIONS ')
[ "$(header_of "$opt" X-Probe)" = yes ] || fail "the OPTIONS lacks the header given in tm.request"
[[ $(vias "$opt") == "SIP/2.0/UDP 127.0.0.1:$PORT;branch=z9hG4bKtm"* ]] || fail "the OPTIONS lacks our Via"

server_alive
stop_server
assert_no_log 'long tm.request returned' "a cancelled tm.request resuming its coroutine"
pass
