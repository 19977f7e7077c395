#!/usr/bin/env bash
# weight (9): 100 selections split by the weight attributes (60/30/10); a destination set
# inactive gets none and the others share its part.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/http.sh"

export DS_LIST=$T/dispatcher.list DS_NO_TM=1
cat >"$DS_LIST" <<'LIST'
1 sip:127.0.0.1:5091 0 0 weight=60
1 sip:127.0.0.1:5092 0 0 weight=30;note=backup
1 sip:127.0.0.1:5093 0 0 weight=10
LIST
start_http "$SCRIPT_DIR/dispatcher.lua"

count() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])["counts"].get(sys.argv[2], 0))' "$HTTP_BODY" "$1"; }
expect_http 200 "select" "/select?alg=weight&n=100"
for pair in 5091:60 5092:30 5093:10; do
    n=$(count "sip:127.0.0.1:${pair%%:*}")
    [ $((n - ${pair#*:})) -le 3 ] && [ $((${pair#*:} - n)) -le 3 ] || fail "${pair%%:*} got $n of 100, expected about ${pair#*:}: $HTTP_BODY"
done
expect_http 200 "mark down" -X POST -d '{"set":1,"uri":"sip:127.0.0.1:5091","state":"ID"}' /api/dispatcher/state
expect_http 200 "select" "/select?alg=9&n=40"
[ "$(count sip:127.0.0.1:5091)" -eq 0 ] || fail "an inactive destination was chosen: $HTTP_BODY"
n=$(count sip:127.0.0.1:5092)
[ "$n" -ge 28 ] && [ "$n" -le 32 ] || fail "with the first down, 5092 got $n of 40 (expected 30): $HTTP_BODY"
expect_http 200 "list" /api/dispatcher
grep -q '"note": *"backup"' <<<"$HTTP_BODY" || fail "attrs not listed: $HTTP_BODY"
server_alive
stop_server
pass
