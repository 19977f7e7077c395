#!/usr/bin/env bash
# msg:loose_route() and msg:in_dialog() (scripts/loose_route.lua answers what they did):
# - a user at our address (sip:bob@us, a registered callee) in the R-URI with a preloaded Route
#   to us keeps its R-URI: only a Record-Route value of ours (no user part, our address, ;lr)
#   in the R-URI marks a strict-router previous hop (RFC 3261 §16.4);
# - such a strict-router hop is undone: the last Route becomes the R-URI again;
# - a loose next hop beyond us becomes msg.du; no Route: false;
# - msg:in_dialog() is true exactly when the To header has a tag.
. "$(dirname "$0")/lib/common.sh"

free_port PORT
start_server "$SCRIPT_DIR/loose_route.lua" -l "udp:127.0.0.1:$PORT"
US="127.0.0.1:$PORT"

# ask METHOD RURI [HEADER...]: send the request, print the reply
ask() {
    local out
    out=$(sip_request "$@" | sip_send_raw udp "$PORT" --timeout 3)
    printf '%s\n' "$out" >>"$T/raw_replies.log"
    [[ $(status_line "$out") == "SIP/2.0 200 "* ]] || fail "$1 $2: no 200: $(status_line "$out")"
    printf '%s' "$out" | tr -d '\r'
}
want() {   # want REPLY HEADER VALUE WHAT
    local got
    got=$(header_of "$1" "$2")
    [ "$got" = "$3" ] || fail "$4: $2 is '$got', expected '$3'"
}

r=$(ask INVITE "sip:bob@$US" "Route: <sip:$US;lr>")
want "$r" X-Ruri "sip:bob@$US" "callee at our address with a preloaded Route"
want "$r" X-Loose true "callee at our address with a preloaded Route"
want "$r" X-Routes none "callee at our address with a preloaded Route"
want "$r" X-Du none "callee at our address with a preloaded Route"
want "$r" X-In-Dialog false "INVITE without To tag"

r=$(ask INVITE "sip:bob@$US;lr" "Route: <sip:$US;lr>")
want "$r" X-Ruri "sip:bob@$US;lr" "a user part is never our Record-Route, even with ;lr"

r=$(ask BYE "sip:$US;lr" "To: <sip:alice@192.0.2.5>;tag=abc" \
        "Route: <sip:192.0.2.9:5070;lr>, <sip:alice@192.0.2.5:5062>")
want "$r" X-Ruri "sip:alice@192.0.2.5:5062" "strict-router previous hop undone"
want "$r" X-Routes "<sip:192.0.2.9:5070;lr>" "strict-router previous hop undone"
want "$r" X-Du "sip:192.0.2.9:5070;lr" "strict-router previous hop undone"
want "$r" X-Loose true "strict-router previous hop undone"
want "$r" X-In-Dialog true "BYE with a To tag"

r=$(ask BYE "sip:carol@192.0.2.7" "To: <sip:carol@192.0.2.7>;tag=x1" \
        "Route: <sip:$US;lr>, <sip:192.0.2.9:5070;lr>")
want "$r" X-Ruri "sip:carol@192.0.2.7" "loose next hop"
want "$r" X-Du "sip:192.0.2.9:5070;lr" "loose next hop"
want "$r" X-Routes "<sip:192.0.2.9:5070;lr>" "loose next hop"

r=$(ask OPTIONS "sip:carol@192.0.2.7" "To: <sip:carol@192.0.2.7>;tag=")
want "$r" X-Loose false "no Route"
want "$r" X-In-Dialog false "an empty To tag"

server_alive
stop_server
pass
