#!/usr/bin/env bash
# In-dialog requests follow Record-Route through examples/stateless-proxy.lua:
# the proxy record-routes the INVITE (<sip:127.0.0.1:PORT;lr>, plus
# ;transport=tcp over TCP); the UAC stores the route set from the 200 (sipp
# rrs="true") and sends ACK and BYE to the UAS's Contact with a Route header
# naming the proxy; the proxy loose-routes them (removing its own Route) to the
# UAS, which fails the call unless they arrive with the proxy's Via on top.
# One call over UDP, one over TCP.
. "$(dirname "$0")/lib/common.sh"

free_port PORT
start_server "$EXAMPLES_DIR/stateless-proxy.lua" -l "udp:127.0.0.1:$PORT" -l "tcp:127.0.0.1:$PORT" -v

for proto in udp tcp; do
    free_port UAS_PORT
    tparg=()
    rr_re="^<sip:127\.0\.0\.1:$PORT;lr>$"
    if [ "$proto" = tcp ]; then
        tparg=(-t t1)
        rr_re="^<sip:127\.0\.0\.1:$PORT;(lr;transport=tcp|transport=tcp;lr)>$"
    fi
    start_uas "$SIPP_DIR/uas_call_rr.xml" "$UAS_PORT" "${tparg[@]}" -trace_logs -log_file "$T/uas_logs.log"
    run_uac "$SIPP_DIR/uac_call_rr.xml" "127.0.0.1:$UAS_PORT" -rsa "127.0.0.1:$PORT" -key tp "$proto" "${tparg[@]}" ||
        fail "$proto: UAC call following the route set failed (sipp exit $?)"
    wait_uas || fail "$proto: UAS call failed (sipp exit $?): missing Record-Route, or ACK/BYE not via the proxy"

    inv=$(trace_msg "$T/uas_msg.log" received '^INVITE ')
    rr=$(header_of "$inv" Record-Route)
    [[ $rr =~ $rr_re ]] || fail "$proto: Record-Route at the UAS is '$rr', expected /$rr_re/"

    for method in ACK BYE; do
        sent=$(trace_msg "$T/uac_msg.log" sent "^$method ")
        route=$(header_of "$sent" Route)
        [[ $route == "<sip:127.0.0.1:$PORT;"*lr* ]] ||
            fail "$proto: $method from the UAC has Route '$route', not the proxy"
        [[ $(sed -n 1p <<<"$sent") == "$method sip:127.0.0.1:$UAS_PORT;transport="* ]] ||
            fail "$proto: $method from the UAC is not sent to the UAS's Contact: $(sed -n 1p <<<"$sent")"

        got=$(trace_msg "$T/uas_msg.log" received "^$method ")
        [ -n "$got" ] || fail "$proto: $method never reached the UAS"
        top=$(vias "$got" | sed -n 1p)
        [[ $top == "SIP/2.0/${proto^^} 127.0.0.1:$PORT;"*branch=z9hG4bK* ]] ||
            fail "$proto: $method reached the UAS without the proxy's Via on top: $top"
        [ -z "$(header_of "$got" Route)" ] ||
            fail "$proto: $method at the UAS still has the proxy's Route: $(header_of "$got" Route)"
    done
    mv "$T/uas_msg.log" "$T/uas_msg_$proto.log"
    mv "$T/uac_msg.log" "$T/uac_msg_$proto.log"
done

server_alive
stop_server
pass
