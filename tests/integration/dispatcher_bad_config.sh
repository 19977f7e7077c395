#!/usr/bin/env bash
# Start-up fails, naming the culprit, on: a broken list file with strict = true (file and line), a missing list
# file, an unknown parameter, a bad parameter value, a missing list parameter. -c says the same.
# A relative list path is taken from the script's directory.
. "$(dirname "$0")/lib/common.sh"

unit_args=()
[ -n "$LUNASIP_UNITS" ] && unit_args=(-U "$LUNASIP_UNITS")
free_port PORT
# expect_start_failure WHAT REGEX: the server must exit non-zero with REGEX in its log
expect_start_failure() {
    "$LUNASIP_BIN" -f "$T/ds.lua" "${unit_args[@]}" -l "udp:127.0.0.1:$PORT" </dev/null >/dev/null 2>"$T/fail.log" &
    local pid=$!
    _PIDS+=("$pid")
    _wait_pid "$pid" 10 || fail "$1: the server did not exit"
    [ "$WAIT_RC" -ne 0 ] || fail "$1: the server exited 0"
    grep -qE -- "$2" "$T/fail.log" || { cat "$T/fail.log" >&2; fail "$1: the log lacks /$2/"; }
    check_sanitizers "$T/fail.log"
    out=$("$LUNASIP_BIN" -c -f "$T/ds.lua" "${unit_args[@]}" 2>&1) && fail "$1: -c said OK"
    grep -qE -- "$2" <<<"$out" || fail "$1: -c output lacks /$2/: $out"
}
script() { printf 'config = { units = { dispatcher = { %s } } }\nfunction on_request(msg) end\n' "$1" >"$T/ds.lua"; }

printf '1 sip:127.0.0.1:5091\n\n# comment\n1 sip:127.0.0.1:5092 AP 0 weight\n' >"$T/broken.list"
script 'list = "broken.list", ping_interval = 0, strict = true'
expect_start_failure "broken list" "unit 'dispatcher': .*broken.list:4: bad attribute 'weight'.*strict"
script 'list = "broken.list", ping_interval = 0, strict = "yes"'
expect_start_failure "bad strict" "parameter strict must be true or false"
script 'list = "missing.list"'
expect_start_failure "missing list" "unit 'dispatcher': .*missing.list: No such file"
printf '1 sip:127.0.0.1:5091\n' >"$T/good.list"
script 'list = "good.list", ping_intervall = 5'
expect_start_failure "unknown parameter" "unknown parameter 'ping_intervall'"
script 'list = "good.list", probing_mode = 3'
expect_start_failure "bad probing_mode" "parameter probing_mode must be"
script 'list = "good.list", ping_reply_codes = "class=2;cod=403"'
expect_start_failure "bad ping_reply_codes" "bad ping_reply_codes entry 'cod=403'"
script 'ping_interval = 0'
expect_start_failure "no list" "parameter list .* is required"

script 'list = "good.list", ping_interval = 0, ping_reply_codes = { 200, 403 }'
out=$("$LUNASIP_BIN" -c -f "$T/ds.lua" "${unit_args[@]}" 2>&1) || fail "-c of a good config: $out"
pass
