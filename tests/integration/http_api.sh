#!/usr/bin/env bash
# The built-in API's answers: /health (every field), /api/units (with tm loaded), POST /api/reload (a broken script: 400 with
# the reason and the old routes still serve; a good one: 200 and the new routes serve), and
# the errors: malformed JSON 400, unknown path 404, wrong method 405, oversized body 413.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/http.sh"

cp "$SCRIPT_DIR/http_routes.lua" "$T/script.lua"
if have_tm; then export WITH_TM=1; else skip_part "tm.so not built: /api/units listing a unit not checked"; fi
start_http "$T/script.lua"

# /health: every field (status, version as -V prints it, uptime_s counting, coroutines alive)
health() {   # health FIELD: that field of GET /health
    expect_http 200 "/health" /health
    json_get "$HTTP_BODY" "$1"
}
[ "$(health status)" = ok ] || fail "/health status: $HTTP_BODY"
version=$("$LUNASIP_BIN" -V | awk '{print $2}')
[ "$(health version)" = "$version" ] || fail "/health version is not $version: $HTTP_BODY"
up1=$(health uptime_s)
[[ $up1 =~ ^[0-9]+$ ]] && [ "$up1" -le 5 ] || fail "/health uptime_s of a server just started: $HTTP_BODY"
idle=$(health coroutines)
[[ $idle =~ ^[0-9]+$ ]] || fail "/health coroutines: $HTTP_BODY"
curl -s --max-time 10 -o /dev/null "http://127.0.0.1:$HTTP_PORT/slow?ms=2200" &
slow=$!
sleep 1
busy=$(health coroutines)
[ "$busy" -eq $((idle + 1)) ] || fail "/health coroutines: $idle idle, $busy with one route asleep (expected $((idle + 1)))"
wait "$slow"
up2=$(health uptime_s)
[ "$up2" -ge $((up1 + 2)) ] || fail "/health uptime_s went from $up1 to $up2 in over 2 s"
[ "$(health coroutines)" -eq "$idle" ] || fail "/health coroutines after the route ended: $HTTP_BODY"

expect_http 200 "/api/units" /api/units
python3 -c 'import json,sys
names = [u["name"] for u in json.loads(sys.argv[1])["units"]]
assert names == sys.argv[2].split(), names' "$HTTP_BODY" "${WITH_TM:+tm}" ||
    fail "/api/units: $HTTP_BODY, expected ${WITH_TM:+tm}"
expect_http 200 "/version (v1)" /version
[ "$HTTP_BODY" = v1 ] || fail "/version: $HTTP_BODY"

# errors
expect_http 400 "malformed JSON" -X POST -H 'Content-Type: application/json' -d '{"oops": ' /api/reload
[[ $HTTP_BODY == *'"error"'*JSON* ]] || fail "400 without a JSON reason: $HTTP_BODY"
expect_http 404 "unknown /api path" /api/nope
[[ $HTTP_BODY == *'"error"'* ]] || fail "404 body: $HTTP_BODY"
expect_http 405 "GET /api/reload" /api/reload
[[ $HTTP_BODY == *'"error"'* ]] || fail "405 body: $HTTP_BODY"
expect_http 405 "POST /health" -X POST /health
expect_http 405 "DELETE /metrics" -X DELETE /metrics
head -c 200000 /dev/zero | tr '\0' x >"$T/big.txt"   # config.http.max_body is 65536
expect_http 413 "oversized body" -X POST -H 'Content-Type: text/plain' --data-binary @"$T/big.txt" /echo
expect_http 200 "a body under the limit" -X POST --data-binary 'hello' /echo
[ "$(json_get "$HTTP_BODY" body)" = hello ] || fail "req.body: $HTTP_BODY"

# reload: a broken script is refused with the reason; the old routes still serve
printf 'config = {\nfunction on_http(req) req:reply(200, "v2") end\n' >"$T/script.lua"
expect_http 400 "reload of a broken script" -X POST /api/reload
[[ $HTTP_BODY == *script.lua* ]] || fail "the 400 does not give the reason: $HTTP_BODY"
log "reload refused: $HTTP_BODY"
expect_http 200 "/version after the failed reload" /version
[ "$HTTP_BODY" = v1 ] || fail "old routes do not serve after a failed reload: $HTTP_BODY"
# a good script: 200, and the new routes serve
sed 's/local tag = os.getenv("ROUTE_TAG") or "v1"/local tag = "v2"/' "$SCRIPT_DIR/http_routes.lua" >"$T/script.lua"
expect_http 200 "reload of a good script" -X POST /api/reload
expect_http 200 "/version after the reload" /version
[ "$HTTP_BODY" = v2 ] || fail "new routes do not serve after the reload: $HTTP_BODY"
server_alive
stop_server
pass
