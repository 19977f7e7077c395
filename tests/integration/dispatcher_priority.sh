#!/usr/bin/env bash
# priority (8): the highest priority active destination is chosen, the others kept in priority
# order for dispatcher.next; once it is set inactive (HTTP and Lua set_state), the next one is
# chosen; set active again, it is chosen again. Also: an unknown set selects nothing.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/http.sh"

export DS_LIST=$T/dispatcher.list DS_NO_TM=1
cat >"$DS_LIST" <<'LIST'
# set uri flags priority
1 sip:127.0.0.1:5091 A 5
1 sip:127.0.0.1:5092 0 10
1 sip:127.0.0.1:5093 A 1
LIST
start_http "$SCRIPT_DIR/dispatcher.lua"

expect_http 200 "select" "/select?alg=priority&next=1"
[ "$(json_get "$HTTP_BODY" du)" = sip:127.0.0.1:5092 ] || fail "priority chose $HTTP_BODY"
python3 -c 'import json,sys; f=json.loads(sys.argv[1])["failover"]; sys.exit(f!=["sip:127.0.0.1:5091","sip:127.0.0.1:5093"])' "$HTTP_BODY" ||
    fail "failover order: $HTTP_BODY"
expect_http 200 "mark down" -X POST -d '{"set":1,"uri":"sip:127.0.0.1:5092","state":"I"}' /api/dispatcher/state
expect_http 200 "select" "/select?alg=8"
[ "$(json_get "$HTTP_BODY" du)" = sip:127.0.0.1:5091 ] || fail "priority with the first down chose $HTTP_BODY"
expect_http 200 "Lua set_state" "/state?set=1&uri=sip:127.0.0.1:5091&state=d"
[ "$(json_get "$HTTP_BODY" ok)" = True ] || fail "set_state: $HTTP_BODY"
expect_http 200 "select" "/select?alg=8"
[ "$(json_get "$HTTP_BODY" du)" = sip:127.0.0.1:5093 ] || fail "priority with two down chose $HTTP_BODY"
expect_http 200 "list" /api/dispatcher
grep -q '"flags": *"I"' <<<"$HTTP_BODY" && grep -q '"flags": *"D"' <<<"$HTTP_BODY" || fail "listing: $HTTP_BODY"
expect_http 200 "mark up" -X POST -d '{"set":1,"uri":"sip:127.0.0.1:5092","state":"A"}' /api/dispatcher/state
expect_http 200 "select" "/select?alg=priority"
[ "$(json_get "$HTTP_BODY" du)" = sip:127.0.0.1:5092 ] || fail "priority after recovery chose $HTTP_BODY"
expect_http 200 "unknown set" "/select?set=7&alg=priority"
[ "$(json_get "$HTTP_BODY" du)" = False ] || fail "unknown set selected: $HTTP_BODY"
expect_http 404 "unknown uri" -X POST -d '{"set":1,"uri":"sip:nowhere","state":"A"}' /api/dispatcher/state
expect_http 404 "unknown set" -X POST -d '{"set":9,"uri":"sip:127.0.0.1:5092","state":"A"}' /api/dispatcher/state
expect_http 400 "bad body" -X POST -d '{"set":"x"}' /api/dispatcher/state
expect_http 400 "bad state" -X POST -d '{"set":1,"uri":"sip:127.0.0.1:5092","state":"Q"}' /api/dispatcher/state
server_alive
stop_server
pass
