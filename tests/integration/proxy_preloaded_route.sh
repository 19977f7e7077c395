#!/usr/bin/env bash
# A phone with lunasip as its outbound proxy sends its INVITE with a preloaded
# `Route: <sip:proxy;lr>`. The default script and the proxy examples check msg:in_dialog()
# first (Kamailio's order), so such an INVITE is an initial request: the preloaded Route to us
# is removed and the INVITE is record-routed; ACK and BYE then come back through the proxy
# (the UAS fails the call unless they arrive with the proxy's Via on top).
. "$(dirname "$0")/lib/common.sh"

# the default script without its fixed HTTP listener (127.0.0.1:8080 may be taken)
sed '/^ *http *=/d' "$LUNASIP_SRC/scripts/default.lua" >"$T/default.lua"

for script in "$T/default.lua" "$EXAMPLES_DIR/stateful-proxy.lua" "$EXAMPLES_DIR/stateless-proxy.lua"; do
    name=$(basename "$script" .lua)
    free_port PORT
    free_port UAS_PORT
    start_server "$script" -l "udp:127.0.0.1:$PORT"
    start_uas "$SIPP_DIR/uas_call_rr.xml" "$UAS_PORT"
    run_uac "$SIPP_DIR/uac_call_preloaded.xml" "127.0.0.1:$UAS_PORT" -rsa "127.0.0.1:$PORT" \
        -key tp udp -key proxy "127.0.0.1:$PORT" ||
        fail "$name: UAC call with a preloaded Route failed (sipp exit $?)"
    wait_uas || fail "$name: UAS call failed (sipp exit $?): INVITE not record-routed, or ACK/BYE bypassed the proxy"

    sent=$(trace_msg "$T/uac_msg.log" sent '^INVITE ')
    [ "$(header_of "$sent" Route)" = "<sip:127.0.0.1:$PORT;lr>" ] || fail "$name: the UAC sent no preloaded Route"
    inv=$(trace_msg "$T/uas_msg.log" received '^INVITE ')
    [ "$(header_of "$inv" Record-Route)" = "<sip:127.0.0.1:$PORT;lr>" ] ||
        fail "$name: the INVITE at the UAS has Record-Route '$(header_of "$inv" Record-Route)'"
    [ -z "$(header_of "$inv" Route)" ] || fail "$name: the preloaded Route to us was relayed: $(header_of "$inv" Route)"
    for method in ACK BYE; do
        got=$(trace_msg "$T/uas_msg.log" received "^$method ")
        [[ $(vias "$got" | sed -n 1p) == "SIP/2.0/UDP 127.0.0.1:$PORT;"* ]] ||
            fail "$name: $method reached the UAS without passing the proxy"
    done
    server_alive
    stop_server
    for f in uac_msg uas_msg; do mv "$T/$f.log" "$T/${f}_$name.log"; done
done
pass
