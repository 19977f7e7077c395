#!/usr/bin/env bash
# dispatcher.select(msg, 1, "round-robin") spreads 9 sequential calls evenly over 3 sipp UASes
# (3 each); every call completes through the proxy (record-routed ACK and BYE).
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/http.sh"
need_tm

free_port U1; free_port U2; free_port U3
export DS_LIST=$T/dispatcher.list DS_ALG=round-robin
printf '1 sip:127.0.0.1:%s\n1 sip:127.0.0.1:%s\n1 sip:127.0.0.1:%s\n' "$U1" "$U2" "$U3" >"$DS_LIST"
start_http "$SCRIPT_DIR/dispatcher.lua"
for i in 1 2 3; do
    p=U$i
    start_sipp_uas "uas$i" "$SIPP_DIR/uas_call_rr.xml" "${!p}" -m 3
done

free_port UAC_PORT
_sipp_common uac
sipp -sf "$SIPP_DIR/uac_call_rr.xml" "127.0.0.1:$PORT" -p "$UAC_PORT" "${SIPP_ARGS[@]}" -s lb -key tp udp -m 9 -l 1 \
    -timeout 30s -timeout_error </dev/null >"$T/uac.out" 2>&1 || fail "not every call succeeded (sipp exit $?)"
for i in 1 2 3; do
    _wait_pid "${UAS_PIDS[uas$i]}" 10 || fail "UAS $i did not get its 3 calls"
    [ "$WAIT_RC" -eq 0 ] || fail "UAS $i failed (sipp exit $WAIT_RC)"
    n=$(sip_count "$T/uas${i}_msg.log" '^INVITE ')
    [ "$n" -eq 3 ] || fail "UAS $i got $n INVITEs, expected 3"
done
server_alive
stop_server
pass
