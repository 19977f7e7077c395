#!/usr/bin/env bash
# OPTIONS aimed at the server itself (R-URI sip:127.0.0.1:PORT) is answered
# 200 by examples/stateless-proxy.lua, over UDP and TCP, with the request's
# Via/Call-ID/CSeq echoed and a To tag added, the same for a retransmission and another one for
# another request; two requests pipelined in one TCP write get two replies.
. "$(dirname "$0")/lib/common.sh"

free_port PORT
start_server "$EXAMPLES_DIR/stateless-proxy.lua" -l "udp:127.0.0.1:$PORT" -l "tcp:127.0.0.1:$PORT"

for proto in udp tcp; do
    out=$(sip_request OPTIONS "sip:127.0.0.1:$PORT" "Call-ID: self-$proto@test" "Via: SIP/2.0/@PROTO@ @LADDR@:@LPORT@;branch=z9hG4bKself$proto;rport" |
          sip_send_raw "$proto" "$PORT" --timeout 3)
    reply=$(sed '/^----$/,$d' <<<"$out" | tr -d '\r')
    [[ $(sed -n 1p <<<"$reply") == "SIP/2.0 200 "* ]] || fail "OPTIONS over $proto: expected 200, got: $out"
    [ "$(header_of "$reply" Call-ID)" = "self-$proto@test" ] || fail "$proto: Call-ID not echoed"
    [[ $(header_of "$reply" CSeq) =~ ^1\ +OPTIONS$ ]] || fail "$proto: CSeq not echoed"
    [[ $(vias "$reply" | sed -n 1p) == *branch=z9hG4bKself$proto* ]] || fail "$proto: Via not echoed"
    [[ $(header_of "$reply" To) == *";tag="* ]] || fail "$proto: no To tag in the reply"
done

# A retransmission (the same request again) gets the same To tag; another request another tag.
totag() { sip_send_raw udp "$PORT" --timeout 3 | tr -d '\r' | sed -n 's/^To:.*;tag=\([^;]*\).*/\1/p' | head -1; }
req=$(sip_request OPTIONS "sip:127.0.0.1:$PORT" "Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKretr$RANDOM;rport")
tag1=$(printf '%s\n' "$req" | totag)   # \n: $(...) took the blank line's LF
tag2=$(printf '%s\n' "$req" | totag)
tag3=$(sip_request OPTIONS "sip:127.0.0.1:$PORT" | totag)
[ -n "$tag1" ] && [ "$tag1" = "$tag2" ] || fail "a retransmitted OPTIONS got To tag '$tag2', the first '$tag1'"
[ -n "$tag3" ] && [ "$tag3" != "$tag1" ] || fail "another OPTIONS got the same To tag '$tag3'"

# Two OPTIONS in one TCP write: both answered on the same connection.
{ sip_request OPTIONS "sip:127.0.0.1:$PORT"; sip_request OPTIONS "sip:127.0.0.1:$PORT"; } |
    sip_send_raw tcp "$PORT" --all --timeout 1.5 >"$T/pipelined.log"
n=$(grep -c '^SIP/2.0 200 ' "$T/pipelined.log")
[ "$n" -eq 2 ] || fail "two pipelined OPTIONS over TCP got $n replies of 200"

server_alive
stop_server
pass
