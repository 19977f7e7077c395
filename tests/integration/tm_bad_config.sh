#!/usr/bin/env bash
# Start-up fails, naming the culprit, for a unit that does not exist and for bad tm parameters;
# lunasip -c says the same.
. "$(dirname "$0")/lib/common.sh"

free_port PORT
unit_args=()
[ -n "$LUNASIP_UNITS" ] && unit_args=(-U "$LUNASIP_UNITS")

try() {  # try WHAT UNITS_TABLE REGEX
    printf 'config = { units = %s }\nfunction on_request(msg) end\n' "$2" >"$T/bad.lua"
    timeout 10 "$LUNASIP_BIN" -f "$T/bad.lua" "${unit_args[@]}" -l "udp:127.0.0.1:$PORT" </dev/null >"$T/out.log" 2>&1
    rc=$?
    [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || fail "$1: start-up did not fail (exit $rc)"
    grep -qE -- "$3" "$T/out.log" || fail "$1: the error does not match /$3/: $(cat "$T/out.log")"
    check_sanitizers "$T/out.log"
    timeout 10 "$LUNASIP_BIN" -c -f "$T/bad.lua" "${unit_args[@]}" >"$T/check.log" 2>&1 && fail "$1: -c said OK"
    grep -qE -- "$3" "$T/check.log" || fail "$1: -c output does not match /$3/: $(cat "$T/check.log")"
}

try "unknown unit" '{ tm = {}, nosuchunit = {} }' "unit 'nosuchunit'"
try "unknown tm parameter" '{ tm = { fr_timeout = 5 } }' "unit 'tm': unknown parameter 'fr_timeout'"
try "negative fr_timer" '{ tm = { fr_timer = -5 } }' "unit 'tm': parameter fr_timer must be a positive"
try "fr_inv_timer not a number" '{ tm = { fr_inv_timer = "soon" } }' "unit 'tm': parameter fr_inv_timer"
try "parameters not a table" '{ tm = 5 }' "unit 'tm': parameters must be a table"

# and a good configuration passes -c
printf 'config = { units = { tm = { fr_timer = 1000 } } }\nfunction on_request(msg) end\n' >"$T/good.lua"
[ "$("$LUNASIP_BIN" -c -f "$T/good.lua" "${unit_args[@]}")" = OK ] || fail "-c rejects a good tm configuration"
pass
