#!/usr/bin/env bash
# hash-callid: every request of one call (INVITE, ACK, BYE; no record-route, each one selected
# afresh) goes to the same UAS; over HTTP the same Call-ID always picks the same destination and
# different ones spread; hash-from / hash-to / hash-ruri are deterministic too.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/http.sh"
need_tm

free_port U1; free_port U2; free_port U3
export DS_LIST=$T/dispatcher.list DS_ALG=hash-callid DS_NO_RR=1
printf '1 sip:127.0.0.1:%s\n1 sip:127.0.0.1:%s\n1 sip:127.0.0.1:%s\n' "$U1" "$U2" "$U3" >"$DS_LIST"
start_http "$SCRIPT_DIR/dispatcher.lua"

declare -A seen=()
for i in $(seq 1 12); do
    expect_http 200 "select" -H "Call-ID: call-$i@test" "/select?alg=hash-callid"
    du=$(json_get "$HTTP_BODY" du)
    for k in 1 2 3; do
        expect_http 200 "select again" -H "Call-ID: call-$i@test" "/select?alg=0"
        [ "$(json_get "$HTTP_BODY" du)" = "$du" ] || fail "call-$i: $du, then $(json_get "$HTTP_BODY" du)"
    done
    seen[$du]=1
done
[ "${#seen[@]}" -ge 2 ] || fail "12 Call-IDs all hashed to one destination"
for alg in hash-from hash-to hash-ruri 1 2 3; do
    expect_http 200 "$alg" -H "From: <sip:alice@example.com>;tag=1" -H "To: <sip:bob@example.com>" "/select?alg=$alg"
    a=$(json_get "$HTTP_BODY" du)
    expect_http 200 "$alg" -H "From: <sip:alice@example.com>;tag=2" -H "To: <sip:bob@example.com>" "/select?alg=$alg"
    [ "$(json_get "$HTTP_BODY" du)" = "$a" ] || fail "$alg is not deterministic"
done

for i in 1 2 3; do
    p=U$i
    start_sipp_uas "uas$i" "$SIPP_DIR/uas_call.xml" "${!p}" -m 1 -timeout 15s
done
free_port UAC_PORT
_sipp_common uac
sipp -sf "$SIPP_DIR/uac_call.xml" "127.0.0.1:$U1" -rsa "127.0.0.1:$PORT" -p "$UAC_PORT" "${SIPP_ARGS[@]}" -key tp udp -m 1 \
    -timeout 15s -timeout_error </dev/null >"$T/uac.out" 2>&1 || fail "the call did not succeed (sipp exit $?)"
got=0
for i in 1 2 3; do
    inv=$(sip_count "$T/uas${i}_msg.log" '^INVITE ')
    [ "$inv" -eq 0 ] && continue
    got=$((got + 1))
    [ "$(sip_count "$T/uas${i}_msg.log" '^ACK ')" -ge 1 ] || fail "UAS $i got the INVITE but not the ACK"
    [ "$(sip_count "$T/uas${i}_msg.log" '^BYE ')" -ge 1 ] || fail "UAS $i got the INVITE but not the BYE"
done
[ "$got" -eq 1 ] || fail "$got UASes got an INVITE, expected exactly 1"
server_alive
stop_server
pass
