#!/usr/bin/env bash
# Double record-routing (RFC 5658): a call that comes in over UDP and leaves over TCP gets two
# Record-Route entries, the outgoing TCP listener on top of the incoming UDP one; the ACK and
# BYE follow them back across the transport change. A call that stays on UDP gets one entry.
# examples/stateless-proxy.lua; the UAC sends over UDP, its R-URI's ;transport= picks the way out.
. "$(dirname "$0")/lib/common.sh"

free_port PORT
start_server "$EXAMPLES_DIR/stateless-proxy.lua" -l "udp:127.0.0.1:$PORT" -l "tcp:127.0.0.1:$PORT"

# rrs MESSAGE: its Record-Route entries, top first, one a line
rrs() {
    awk '$0 == "" { exit }
         tolower($0) ~ /^record-route[ \t]*:/ { sub(/^[^:]*:[ \t]*/, ""); n = split($0, a, /[ \t]*,[ \t]*/)
                                                for (i = 1; i <= n; i++) print a[i] }' <<<"$1"
}

for out in tcp udp; do
    free_port UAS_PORT
    tparg=()
    [ "$out" = tcp ] && tparg=(-t t1)
    rm -f "$T"/uas_*.log "$T"/uac_*.log
    start_uas "$SIPP_DIR/uas_call_rr.xml" "$UAS_PORT" "${tparg[@]}"
    run_uac "$SIPP_DIR/uac_call_rr.xml" "127.0.0.1:$UAS_PORT" -rsa "127.0.0.1:$PORT" -key tp "$out" ||
        fail "udp -> $out: the call failed (sipp exit $?)"
    wait_uas || fail "udp -> $out: the UAS's call failed (sipp exit $?)"
    inv=$(trace_msg "$T/uas_msg.log" received '^INVITE ')
    got=$(rrs "$inv" | paste -sd' ')
    if [ "$out" = tcp ]; then
        [[ $(rrs "$inv" | sed -n 1p) =~ ^\<sip:127\.0\.0\.1:$PORT\;(transport=tcp\;lr|lr\;transport=tcp)\>$ ]] &&
            [ "$(rrs "$inv" | sed -n 2p)" = "<sip:127.0.0.1:$PORT;lr>" ] && [ "$(rrs "$inv" | wc -l)" -eq 2 ] ||
            fail "udp -> tcp: Record-Route at the UAS is '$got', expected the TCP then the UDP listener"
    else
        [ "$got" = "<sip:127.0.0.1:$PORT;lr>" ] || fail "udp -> udp: Record-Route at the UAS is '$got', expected one entry"
    fi
    for method in ACK BYE; do
        m=$(trace_msg "$T/uas_msg.log" received "^$method ")
        [ -n "$m" ] || fail "udp -> $out: $method never reached the UAS"
        [[ $(vias "$m" | sed -n 1p) == "SIP/2.0/${out^^} 127.0.0.1:$PORT;"* ]] ||
            fail "udp -> $out: $method reached the UAS without the proxy's $out Via on top: $(vias "$m" | sed -n 1p)"
        [ -z "$(header_of "$m" Route)" ] || fail "udp -> $out: $method at the UAS still has a Route: $(header_of "$m" Route)"
    done
done

server_alive
stop_server
pass
