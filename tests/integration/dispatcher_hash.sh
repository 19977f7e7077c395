#!/usr/bin/env bash
# hash-callid: every request of one call (INVITE, ACK, BYE; no record-route, each one selected
# afresh) goes to the same UAS; over HTTP the same Call-ID always picks the same destination and
# different ones spread; hash-from / hash-to / hash-ruri / hash-callid each follow their own header
# (From, To, R-URI, Call-ID) and no other.
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
# pick ALG FROM_USER TO_USER RURI_USER CALLID: the destination chosen for such a request
pick() {
    expect_http 200 "select $1" -H "From: <sip:$2@example.com>;tag=$RANDOM" -H "To: <sip:$3@example.com>" \
        -H "Call-ID: $5" "/select?alg=$1&ruri=sip:$4@example.com"
    [[ $HTTP_BODY =~ \"du\":\"([^\"]*)\" ]] || fail "select $1: no du in $HTTP_BODY"
    echo "${BASH_REMATCH[1]}"
}
# Each hash algorithm follows its own header (the choice moves when only it varies) and only it
# (the choice stays when everything else varies). Arguments: ALG and the field it hashes (1-4:
# From user, To user, R-URI user, Call-ID).
check_hash() {
    local alg=$1 own=$2 i k a moved stays ref
    local -A dests=()
    for i in $(seq 1 12); do
        a=(x f t r c)
        a[$own]=v$i
        dests[$(pick "$alg" "${a[1]}" "${a[2]}" "${a[3]}" "${a[4]}")]=1
    done
    [ "${#dests[@]}" -ge 2 ] || fail "$alg: 12 different values of its own field all chose ${!dests[*]}"
    for i in $(seq 1 6); do
        a=(x f$i t$i r$i c$i)
        a[$own]=fixed
        moved=$(pick "$alg" "${a[1]}" "${a[2]}" "${a[3]}" "${a[4]}")
        ref=${ref:-$moved}
        [ "$moved" = "$ref" ] || fail "$alg: the choice moved ($ref, then $moved) when only other fields varied"
    done
}
check_hash hash-from 1; check_hash 1 1
check_hash hash-to 2;   check_hash 2 2
check_hash hash-ruri 3; check_hash 3 3
check_hash hash-callid 4

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
