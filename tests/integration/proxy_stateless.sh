#!/usr/bin/env bash
# A call INVITE/180/200/ACK/BYE/200 from a sipp UAC through lunasip running
# examples/stateless-proxy.lua to a sipp UAS, over UDP and then over TCP. The UAC sends
# to the proxy (-rsa) with an R-URI naming the UAS. Also exercises the shipped example.
. "$(dirname "$0")/lib/common.sh"

free_port PORT
start_server "$EXAMPLES_DIR/stateless-proxy.lua" -l "udp:127.0.0.1:$PORT" -l "tcp:127.0.0.1:$PORT" -v

for proto in udp tcp; do
    PROTO=${proto^^}
    t1=()
    [ "$proto" = tcp ] && t1=(-t t1)
    free_port UAS_PORT
    start_uas "$SIPP_DIR/uas_call.xml" "$UAS_PORT" "${t1[@]}"
    run_uac "$SIPP_DIR/uac_call.xml" "127.0.0.1:$UAS_PORT" -rsa "127.0.0.1:$PORT" -key tp "$proto" "${t1[@]}" ||
        fail "$PROTO call through the proxy failed (sipp exit $?)"
    wait_uas || fail "$PROTO UAS did not complete its call (sipp exit $?)"

    # The UAS saw the proxy's Via on top of the UAC's, with an RFC 3261 branch,
    # the UAC's Via marked with rport (it asked for it), Max-Forwards decremented.
    for first in '^INVITE ' '^ACK ' '^BYE '; do
        m=$(trace_msg "$T/uas_msg.log" received "$first")
        [ -n "$m" ] || fail "$PROTO: UAS trace has no request /$first/"
        v=$(vias "$m")
        [ "$(wc -l <<<"$v")" -eq 2 ] || fail "$PROTO /$first/ at the UAS: expected 2 Vias, got: $v"
        [[ $(sed -n 1p <<<"$v") == "SIP/2.0/$PROTO 127.0.0.1:$PORT;"*branch=z9hG4bK* ]] ||
            fail "$PROTO /$first/ at the UAS: top Via is not the proxy's: $v"
        [[ $(sed -n 2p <<<"$v") =~ \;rport=[0-9]+ ]] ||
            fail "$PROTO /$first/ at the UAS: UAC's Via lacks rport=PORT: $v"
        [ "$(header_of "$m" Max-Forwards)" = 69 ] || fail "$PROTO /$first/ at the UAS: Max-Forwards is not 69"
    done
    # The replies reached the UAC with the proxy's Via removed.
    m=$(trace_msg "$T/uac_msg.log" received '^SIP/2.0 200 ')
    [ "$(vias "$m" | wc -l)" -eq 1 ] || fail "$PROTO: 200 at the UAC still carries more than its own Via"
done

# TCP: INVITE, ACK and BYE went to the UAS over one outgoing connection (reused per
# destination), and the UAC's one connection carried its requests and our replies.
n=$(grep -c "connecting to 127.0.0.1:$UAS_PORT" "$SERVER_LOG")
[ "$n" -eq 1 ] || fail "the proxy opened $n connections to the UAS, expected 1 reused"
n=$(grep -c "tcp connection [0-9]* from" "$SERVER_LOG")
[ "$n" -eq 1 ] || fail "the proxy accepted $n connections, expected the UAC's one"

server_alive
stop_server
pass
