#!/usr/bin/env bash
# Without tm the dispatcher refuses probing: list flags AP and 8 show as A, one warning names tm
# (not repeated by a reload), no OPTIONS reaches the destination over several 1 s intervals, and
# asking for a probing state fails: HTTP 409 naming tm, and a Lua error naming tm.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/http.sh"

free_port U1
export DS_LIST=$T/dispatcher.list DS_NO_TM=1 DS_PARAMS="ping_interval = 1, probing_mode = 1"
printf '1 sip:127.0.0.1:%s AP\n1 sip:127.0.0.1:5099 8\n2 sip:127.0.0.1:5098 9 3\n' "$U1" >"$DS_LIST"
start_sipp_uas uas "$SIPP_DIR/dispatcher_uas_options.xml" "$U1" -m 100
start_http "$SCRIPT_DIR/dispatcher.lua"

expect_http 200 "listing" /api/dispatcher
flags=$(python3 -c 'import json,sys; print(" ".join(d["flags"] for s in json.loads(sys.argv[1])["sets"] for d in s["destinations"]))' "$HTTP_BODY")
[ "$flags" = "A A I" ] || fail "flags without tm: '$flags' (expected A A I): $HTTP_BODY"

expect_http 409 "probing state over HTTP" -X POST -d "{\"set\":1,\"uri\":\"sip:127.0.0.1:$U1\",\"state\":\"AP\"}" /api/dispatcher/state
grep -q '\btm\b' <<<"$HTTP_BODY" || fail "the 409 does not name tm: $HTTP_BODY"
expect_http 409 "probing state (number) over HTTP" -X POST -d "{\"set\":1,\"uri\":\"sip:127.0.0.1:$U1\",\"state\":8}" /api/dispatcher/state
expect_http 200 "Lua set_state" "/state?set=1&uri=sip:127.0.0.1:$U1&state=ip"
[ "$(json_get "$HTTP_BODY" ok)" = False ] && grep -q 'tm unit' <<<"$(json_get "$HTTP_BODY" err)" ||
    fail "Lua set_state with probing did not raise an error naming tm: $HTTP_BODY"
expect_http 200 "plain state over HTTP" -X POST -d "{\"set\":1,\"uri\":\"sip:127.0.0.1:$U1\",\"state\":\"A\"}" /api/dispatcher/state

expect_http 200 "reload" -X POST /api/dispatcher/reload
expect_http 200 "listing after reload" /api/dispatcher
grep -q '"AP"' <<<"$HTTP_BODY" && fail "a reload brought the probing flag back: $HTTP_BODY"
printf '3 sip:127.0.0.1:5097 AP\n' >>"$DS_LIST"
expect_http 200 "Lua reload" /reload
expect_http 200 "listing after adding" /api/dispatcher
grep -q '"AP"' <<<"$HTTP_BODY" && fail "an added destination kept its probing flag: $HTTP_BODY"

sleep 3.5
n=$(sip_count "$T/uas_msg.log" '^OPTIONS ')
[ "$n" -eq 0 ] || fail "$n OPTIONS reached the destination without tm"
n=$(grep -c 'WARN \[dispatcher\].*tm' "$SERVER_LOG")
[ "$n" -eq 1 ] || fail "the tm warning was logged $n times, expected once"
assert_log 'WARN \[dispatcher\] probing needs the tm unit.*add tm' "a warning saying how to enable probing"
server_alive
stop_server
pass
