#!/usr/bin/env bash
# examples/rest-trigger.lua against a sipp UAS: POST /options sends an OPTIONS through
# tm.request and answers {"status":200,"ms":...}; POST /message sends a MESSAGE carrying the
# posted text; a destination that never answers gives 408; a bad body gives 400. Needs tm.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/http.sh"
need_tm

free_port PORT
free_port HTTP_PORT
free_port UAS_PORT
free_port DEAD_PORT
export REST_SIP="udp:127.0.0.1:$PORT" REST_HTTP="127.0.0.1:$HTTP_PORT"
start_server "$EXAMPLES_DIR/rest-trigger.lua"
wait_bound tcp "$HTTP_PORT" 5 || fail "HTTP port not bound"

start_uas "$SIPP_DIR/uas_any_200.xml" "$UAS_PORT"
expect_http 200 "POST /options" -X POST -d "{\"uri\":\"sip:127.0.0.1:$UAS_PORT\"}" /options
log "/options: $HTTP_BODY"
[ "$(json_get "$HTTP_BODY" status)" = 200 ] || fail "OPTIONS outcome: $HTTP_BODY"
python3 -c 'import json,sys; ms = json.loads(sys.argv[1])["ms"]; assert isinstance(ms, (int, float)) and 0 <= ms < 5000' "$HTTP_BODY" ||
    fail "no duration in $HTTP_BODY"
wait_uas 10 || fail "the UAS did not get its OPTIONS"
grep -q '^OPTIONS sip:127.0.0.1:'"$UAS_PORT" "$T/uas_msg.log" || fail "no OPTIONS in the UAS trace"

start_uas "$SIPP_DIR/uas_any_200.xml" "$UAS_PORT"
expect_http 200 "POST /message" -X POST -d "{\"uri\":\"sip:bob@127.0.0.1:$UAS_PORT\",\"text\":\"hello from http\"}" /message
log "/message: $HTTP_BODY"
[ "$(json_get "$HTTP_BODY" status)" = 200 ] || fail "MESSAGE outcome: $HTTP_BODY"
wait_uas 10 || fail "the UAS did not get its MESSAGE"
grep -q '^MESSAGE sip:bob@127.0.0.1:'"$UAS_PORT" "$T/uas_msg.log" || fail "no MESSAGE in the UAS trace"
grep -q 'hello from http' "$T/uas_msg.log" || fail "the MESSAGE does not carry the posted text"

expect_http 200 "POST /options to nobody" -X POST -d "{\"uri\":\"sip:127.0.0.1:$DEAD_PORT\",\"timeout\":1000}" /options
[ "$(json_get "$HTTP_BODY" status)" = 408 ] || fail "timeout outcome: $HTTP_BODY"
expect_http 400 "POST /options with a bad body" -X POST -d '{"uri": 5' /options
expect_http 400 "POST /message without text" -X POST -d "{\"uri\":\"sip:127.0.0.1:$UAS_PORT\"}" /message
expect_http 200 "/health" /health
stop_server
pass
