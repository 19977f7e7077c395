#!/usr/bin/env bash
# Reload is atomic: with strict = true a broken list file gives HTTP 400 with file:line and the
# reason (and dispatcher.reload() nil, reason, bad_lines), the old sets stay and still route a real
# call; a fixed file then replaces them.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/http.sh"
need_tm

free_port U1
export DS_LIST=$T/dispatcher.list
export DS_PARAMS="strict = true"
printf '1 sip:127.0.0.1:%s\n' "$U1" >"$DS_LIST"
start_http "$SCRIPT_DIR/dispatcher.lua"

printf '# broken\n1 sip:127.0.0.1:5091\n1 sip:127.0.0.1:5092 Q\n' >"$DS_LIST"
expect_http 400 "reload of a broken file" -X POST /api/dispatcher/reload
grep -q "dispatcher.list:3: bad flags" <<<"$HTTP_BODY" || fail "the 400 does not name file, line and reason: $HTTP_BODY"
[[ $(json_get "$HTTP_BODY" bad_lines) == *"dispatcher.list:3"* ]] || fail "the 400 lacks bad_lines: $HTTP_BODY"
expect_http 200 "Lua reload" /reload
[ "$(json_get "$HTTP_BODY" ok)" = False ] && grep -q 'dispatcher.list:3' <<<"$HTTP_BODY" || fail "Lua reload: $HTTP_BODY"
expect_http 200 "select" "/select?alg=round-robin"
[ "$(json_get "$HTTP_BODY" du)" = "sip:127.0.0.1:$U1" ] || fail "the old set is gone: $HTTP_BODY"
assert_log 'ERROR \[dispatcher\] reload failed, the old list stays' "the reload error"

start_sipp_uas uas "$SIPP_DIR/uas_call_rr.xml" "$U1" -m 1
free_port UAC_PORT
_sipp_common uac
sipp -sf "$SIPP_DIR/uac_call_rr.xml" "127.0.0.1:$PORT" -p "$UAC_PORT" "${SIPP_ARGS[@]}" -s lb -key tp udp -m 1 \
    -timeout 15s -timeout_error </dev/null >"$T/uac.out" 2>&1 || fail "the call through the old set failed (sipp exit $?)"

printf '1 sip:127.0.0.1:5091\n2 sip:127.0.0.1:5092\n' >"$DS_LIST"
expect_http 200 "reload of a fixed file" -X POST /api/dispatcher/reload
expect_http 200 "select" "/select?alg=round-robin"
[ "$(json_get "$HTTP_BODY" du)" = sip:127.0.0.1:5091 ] || fail "the new set is not used: $HTTP_BODY"
expect_http 200 "select set 2" "/select?set=2&alg=round-robin"
[ "$(json_get "$HTTP_BODY" du)" = sip:127.0.0.1:5092 ] || fail "the new set 2 is not used: $HTTP_BODY"
server_alive
stop_server
pass
