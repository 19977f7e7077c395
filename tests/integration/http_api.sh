#!/usr/bin/env bash
# The built-in API's answers: /health (every field), /api/units (with tm loaded), POST /api/reload (a broken script: 400 with
# the reason and the old routes still serve; a good one: 200 and the new routes serve), and
# the errors: malformed JSON 400, unknown path 404, wrong method 405 with Allow, oversized body 413.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/http.sh"

cp "$SCRIPT_DIR/http_routes.lua" "$T/script.lua"
if have_tm; then export WITH_TM=1; else skip_part "tm.so not built: /api/units listing a unit not checked"; fi
start_http "$T/script.lua"

# /health: every field (status, version as -V prints it, uptime_s counting, coroutines alive)
health() {   # health FIELD...: GET /health, then set H_<FIELD> for each FIELD
    local f
    expect_http 200 "/health" /health
    for f in "$@"; do printf -v "H_$f" '%s' "$(json_get "$HTTP_BODY" "$f")"; done
}
health status version uptime_s coroutines
[ "$H_status" = ok ] || fail "/health status: $HTTP_BODY"
version=$("$LUNASIP_BIN" -V | awk 'NR == 1 {print $2}')
[ "$H_version" = "$version" ] || fail "/health version is not $version: $HTTP_BODY"
up1=$H_uptime_s idle=$H_coroutines
[[ $up1 =~ ^[0-9]+$ ]] && [ "$up1" -le 5 ] || fail "/health uptime_s of a server just started: $HTTP_BODY"
[[ $idle =~ ^[0-9]+$ ]] || fail "/health coroutines: $HTTP_BODY"
curl -s --max-time 10 -o /dev/null "http://127.0.0.1:$HTTP_PORT/slow?ms=2200" &
slow=$!
sleep 1
health coroutines
[ "$H_coroutines" -eq $((idle + 1)) ] ||
    fail "/health coroutines: $idle idle, $H_coroutines with one route asleep (expected $((idle + 1)))"
wait "$slow"
health uptime_s coroutines
[ "$H_uptime_s" -ge $((up1 + 2)) ] || fail "/health uptime_s went from $up1 to $H_uptime_s in over 2 s"
[ "$H_coroutines" -eq "$idle" ] || fail "/health coroutines after the route ended: $HTTP_BODY"

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
allow() { tr -d '\r' <"$T/headers" | sed -n 's/^[Aa]llow: *//p'; }   # the last reply's Allow
expect_http 405 "GET /api/reload" -D "$T/headers" /api/reload
[[ $HTTP_BODY == *'"error"'* ]] || fail "405 body: $HTTP_BODY"
[ "$(allow)" = POST ] || fail "405 for GET /api/reload: Allow is '$(allow)', expected POST"
expect_http 405 "POST /health" -D "$T/headers" -X POST /health
[ "$(allow)" = GET ] || fail "405 for POST /health: Allow is '$(allow)', expected GET"
expect_http 405 "DELETE /metrics" -D "$T/headers" -X DELETE /metrics
[ "$(allow)" = GET ] || fail "405 for DELETE /metrics: Allow is '$(allow)', expected GET"
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
