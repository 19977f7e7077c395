#!/usr/bin/env bash
# A unit the script uses but that is not loaded: the same generated placeholder for every unit
# in the unit directory (dispatcher, hello, tm), raising "the <name> unit is not loaded"; the
# request gets 500 and the server goes on.
. "$(dirname "$0")/lib/common.sh"
need_tm

free_port PORT
start_server "$SCRIPT_DIR/unit_placeholder.lua" -l "udp:127.0.0.1:$PORT"
for unit in dispatcher hello tm; do
    sip_request MESSAGE "sip:$unit@127.0.0.1:$PORT" | expect_status udp "$PORT" 500 "$unit.* without $unit"
    assert_log "ERROR \[lua\].*the $unit unit is not loaded" "the error naming $unit"
done
sip_request MESSAGE "sip:nobody@127.0.0.1:$PORT" | expect_status udp "$PORT" 200 "a route using no unit"
server_alive
stop_server
pass
