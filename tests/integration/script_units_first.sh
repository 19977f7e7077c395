#!/usr/bin/env bash
# Units are loaded before the script's main chunk runs: `local relay = tm.relay` and
# `dispatcher.select` at top level are the real functions at first start (as after a reload),
# and -c accepts such a script.
. "$(dirname "$0")/lib/common.sh"
need_tm
export DS_LIST=$T/ds.list
echo "1 sip:127.0.0.1:5999" >"$DS_LIST"
out=$("$LUNASIP_BIN" -c -f "$SCRIPT_DIR/units_first.lua" ${LUNASIP_UNITS:+-U "$LUNASIP_UNITS"} 2>&1) || fail "-c: $out"
free_port PORT
start_server "$SCRIPT_DIR/units_first.lua" -l "udp:127.0.0.1:$PORT"
options_ok "$PORT" udp
stop_server
pass
