#!/usr/bin/env bash
# Reload under load (issue 10, the small version of tests/bench/soak.sh reload): 600 calls at
# 200 cps through the stateful proxy (scripts/reload_load.lua: every request route waits 30 ms,
# INVITEs carry an on_reply callback) while the script is reloaded 25 times, SIGHUP and
# POST /api/reload in turn. Every call completes on both sides (a reload drops no transaction in
# flight, no reply, no request arriving meanwhile), every reload is done, and afterwards the live
# transactions are back to 0, one Lua state is left and no route raised an error.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/http.sh"
need_tm

CALLS=600
RATE=200
RELOADS=25
free_port UAS_PORT
start_http "$SCRIPT_DIR/reload_load.lua"
start_uas "$LUNASIP_SRC/tests/bench/soak_uas.xml" "$UAS_PORT" -m "$CALLS" -timeout 60s
free_port UAC_PORT
_sipp_common uac
sipp -sn uac "127.0.0.1:$UAS_PORT" -rsa "127.0.0.1:$PORT" -p "$UAC_PORT" "${SIPP_ARGS[@]}" \
    -m "$CALLS" -r "$RATE" -l "$CALLS" -timeout 60s -timeout_error -trace_stat -fd 1 -stf "$T/uac.csv" \
    </dev/null >"$T/uac.out" 2>&1 &
uac=$!
_PIDS+=("$uac")

done_reloads=0
for ((i = 1; i <= RELOADS; i++)); do
    sleep 0.1
    if ((i % 2)); then
        kill -HUP "$SERVER_PID" && done_reloads=$((done_reloads + 1))
    else
        hcurl -X POST /api/reload
        [ "$HTTP_STATUS" = 200 ] && done_reloads=$((done_reloads + 1))
    fi
done
_wait_pid "$uac" 60 || fail "the UAC still runs after 60 s"
_forget_pid "$uac"
uac_rc=$WAIT_RC
wait_uas 30
uas_rc=$?
ok=$(awk -F';' 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "SuccessfulCall(C)") c = i; next } { v = $c } END { print v + 0 }' "$T/uac.csv")
[ "$uac_rc" = 0 ] && [ "$ok" = "$CALLS" ] || fail "UAC: $ok of $CALLS calls completed (sipp exit $uac_rc)"
[ "$uas_rc" = 0 ] || fail "UAS: not every call completed (sipp exit $uas_rc)"
[ "$done_reloads" = "$RELOADS" ] || fail "$done_reloads of $RELOADS reloads done"
[ "$(grep -c 'script .* reloaded' "$SERVER_LOG")" = "$RELOADS" ] || fail "$(grep -c reloaded "$SERVER_LOG") reloads logged"

metric() { hcurl /metrics; awk -v m="$1" '$1 == m { print $2 }' <<<"$HTTP_BODY"; }
for ((i = 0; i < 50; i++)); do
    [ "$(metric lunasip_transactions_active)" = 0 ] && [ "$(metric lunasip_lua_states)" = 1 ] && break
    sleep 0.2
done
[ "$(metric lunasip_transactions_active)" = 0 ] || fail "$(metric lunasip_transactions_active) transactions alive after the calls"
[ "$(metric lunasip_lua_states)" = 1 ] || fail "$(metric lunasip_lua_states) Lua states open after the calls"
[ "$(metric lunasip_route_errors_total)" = 0 ] || fail "$(metric lunasip_route_errors_total) route errors"
assert_no_log 'ERROR' "an error"
server_alive
stop_server
pass
