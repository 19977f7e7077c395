#!/usr/bin/env bash
# Management exposure: config.http.listen on a non-loopback address without config.http.token
# is refused at start with a message naming both settings; token = false opts out with a
# warning; a token, or a loopback address, starts quietly.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/http.sh"

free_port PORT
free_port HTTP_PORT
S=$SCRIPT_DIR/http_exposure.lua

export HTTP_LISTEN="0.0.0.0:$HTTP_PORT" TOKEN=none
out=$("$LUNASIP_BIN" -f "$S" -l "udp:127.0.0.1:$PORT" 2>&1 </dev/null); rc=$?
[ "$rc" -eq 1 ] || fail "non-loopback listen without a token: exit status $rc, expected 1 ($out)"
grep -q 'config.http.listen' <<<"$out" && grep -q 'config.http.token' <<<"$out" \
    || fail "the refusal does not name config.http.listen and config.http.token: $out"
out=$("$LUNASIP_BIN" -c -f "$S" 2>&1 </dev/null) && fail "-c accepted the exposed API: $out"

export TOKEN=false
start_server "$S" -l "udp:127.0.0.1:$PORT"
assert_log 'WARN.*token = false' "the opt-out warning"
expect_http 200 "/metrics with token = false" /metrics
stop_server

export TOKEN=secret
start_server "$S" -l "udp:127.0.0.1:$PORT"
assert_no_log 'WARN.*token' "a warning with a token set"
expect_http 401 "/metrics without the token" /metrics
stop_server

export HTTP_LISTEN="127.0.0.1:$HTTP_PORT" TOKEN=none
start_server "$S" -l "udp:127.0.0.1:$PORT"
expect_http 200 "/metrics on loopback without a token" /metrics
stop_server
pass
