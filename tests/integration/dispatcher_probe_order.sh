#!/usr/bin/env bash
# With tm loaded, probing works whatever the order of config.units: the order comes from Lua's
# table traversal (seeded per run), so the server is started until a run initialises dispatcher
# before tm (its "started" line comes first); probes then reach the destination and no tm
# warning is logged. Runs with tm first are checked the same way.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/http.sh"
need_tm

free_port U1
export DS_LIST=$T/dispatcher.list DS_PARAMS="ping_interval = 1, ping_timeout = 300"
printf '1 sip:127.0.0.1:%s AP\n' "$U1" >"$DS_LIST"
start_sipp_uas uas "$SIPP_DIR/dispatcher_uas_options.xml" "$U1" -m 1000
free_port HTTP_PORT
export HTTP_LISTEN="127.0.0.1:$HTTP_PORT"
ds_first=0
for run in $(seq 1 12); do
    free_port PORT
    : >"$T/uas_msg.log"
    start_server "$SCRIPT_DIR/dispatcher.lua" -l "udp:127.0.0.1:$PORT"
    order=$(grep -oE 'INFO \[(tm|dispatcher)\] started' "$SERVER_LOG" | head -1)
    sleep 1.3
    n=$(sip_count "$T/uas_msg.log" '^OPTIONS ')
    [ "$n" -ge 1 ] || fail "run $run ($order first): no probe reached the destination"
    hcurl /api/dispatcher
    grep -q '"AP"' <<<"$HTTP_BODY" || fail "run $run: flags $HTTP_BODY"
    assert_no_log 'WARN.*\btm\b' "a tm warning with tm loaded"
    stop_server
    if [[ $order == *dispatcher* ]]; then ds_first=1; break; fi
done
[ "$ds_first" -eq 1 ] || fail "12 runs never initialised dispatcher before tm"
pass
