#!/usr/bin/env bash
# A plain HTTP POST (no SIP headers) whose on_http route sleeps 100 ms and answers with
# req.call_id, req.from, req.cseq: all are made up and non-empty, without tm and with tm
# (when tm.so is built). Headers the client sends are visible through req:header; a client
# From/Call-ID/CSeq replaces the made-up one.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/http.sh"

check_made_up() {   # check_made_up LABEL
    local body
    hcurl -X POST -H 'X-Test: yes' /test; body=$HTTP_BODY
    [ "$HTTP_STATUS" = 200 ] || fail "$1: POST /test: HTTP $HTTP_STATUS: $body"
    local k
    for k in call_id from to cseq from_tag ruri via; do
        [ -n "$(json_get "$body" $k)" ] || fail "$1: req.$k is empty: $body"
    done
    [ "$(json_get "$body" cseq)" = 1 ] || fail "$1: req.cseq is not 1: $body"
    [ "$(json_get "$body" method)" = POST ] || fail "$1: req.method is not POST: $body"
    [ "$(json_get "$body" x)" = yes ] || fail "$1: req:header('X-Test') is not 'yes': $body"
    [[ $(json_get "$body" ruri) == "sip:127.0.0.1:$HTTP_PORT" ]] || fail "$1: R-URI is not the server: $body"
    [[ $(json_get "$body" via) == *branch=z9hG4bK* ]] || fail "$1: no Via branch: $body"
    log "$1: $body"
}

start_http "$SCRIPT_DIR/http_routes.lua"
check_made_up "without tm"
# SIP headers sent by the client win
hcurl -X POST -H 'Call-ID: abc@client' -H 'CSeq: 7 POST' -H 'From: <sip:alice@example.com>;tag=t1' /test; body=$HTTP_BODY
[ "$(json_get "$body" call_id)" = abc@client ] || fail "client Call-ID not used: $body"
[ "$(json_get "$body" cseq)" = 7 ] || fail "client CSeq not used: $body"
[ "$(json_get "$body" from)" = sip:alice@example.com ] || fail "client From not used: $body"
[ "$(json_get "$body" from_tag)" = t1 ] || fail "client From tag not used: $body"
stop_server

if have_tm; then
    export WITH_TM=1
    start_http "$SCRIPT_DIR/http_routes.lua"
    expect_http 200 "units" /units
    [[ ,$HTTP_BODY, == *,tm,* ]] || fail "tm is not loaded: sip.units() = $HTTP_BODY"
    check_made_up "with tm"
    stop_server
else
    skip_part "tm.so not built in ${LUNASIP_UNITS:-?}: the with-tm half did not run"
fi
pass
