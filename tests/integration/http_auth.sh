#!/usr/bin/env bash
# config.http.token: /api/* and /metrics need "Authorization: Bearer <token>" (401 without
# it or with a wrong one, 200 with it); /health and on_http routes never need it.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/http.sh"

export HTTP_TOKEN=s3cret-token
start_http "$SCRIPT_DIR/http_routes.lua"
for path in /metrics /api/units; do
    expect_http 401 "$path without a token" "$path"
    [[ $HTTP_BODY == *'"error"'* ]] || fail "401 body is not a JSON error: $HTTP_BODY"
    expect_http 401 "$path with a wrong token" -H 'Authorization: Bearer s3cret-tokeN' "$path"
    expect_http 401 "$path with a longer token" -H 'Authorization: Bearer s3cret-token2' "$path"
    expect_http 401 "$path with a shorter token" -H 'Authorization: Bearer s3cret' "$path"
    expect_http 401 "$path with Basic auth" -u user:s3cret-token "$path"
    expect_http 200 "$path with the token" -H "Authorization: Bearer $HTTP_TOKEN" "$path"
done
expect_http 401 "POST /api/reload without a token" -X POST /api/reload
expect_http 401 "unknown /api path without a token" /api/nothing
expect_http 404 "unknown /api path with the token" -H "Authorization: Bearer $HTTP_TOKEN" /api/nothing
expect_http 200 "/health without a token" /health
[ "$(json_get "$HTTP_BODY" status)" = ok ] || fail "/health: $HTTP_BODY"
expect_http 200 "an on_http route without a token" /version
stop_server
pass
