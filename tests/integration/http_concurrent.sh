#!/usr/bin/env bash
# 50 HTTP requests at once, each route sleeping 100 ms: all 50 are answered, each with its
# own Call-ID (and From tag), so no two requests are ever taken for one.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/http.sh"

start_http "$SCRIPT_DIR/http_routes.lua"
mkdir -p "$T/out"
pids=()
for i in $(seq 1 50); do
    curl -s --max-time 10 -X POST -o "$T/out/$i" -w '%{http_code}\n' "http://127.0.0.1:$HTTP_PORT/test" >"$T/out/$i.code" &
    pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
ok=$(cat "$T"/out/*.code | grep -c '^200$')
[ "$ok" = 50 ] || fail "only $ok of 50 requests got 200"
ids=$(for i in $(seq 1 50); do json_get "$(cat "$T/out/$i")" call_id; done | sort -u | grep -c .)
[ "$ids" = 50 ] || fail "$ids distinct Call-IDs for 50 requests"
tags=$(for i in $(seq 1 50); do json_get "$(cat "$T/out/$i")" from_tag; done | sort -u | grep -c .)
[ "$tags" = 50 ] || fail "$tags distinct From tags for 50 requests"
expect_http 200 "/health after the burst" /health
stop_server
pass
