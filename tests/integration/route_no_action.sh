#!/usr/bin/env bash
# A route that neither replies nor forwards (scripts/no_action.lua, R-URI user
# "silent"), and one that calls msg:drop() (user "drop"): nothing is sent back,
# nothing is logged as an error, each is counted (sip.stats().dropped), and the server keeps
# answering.
. "$(dirname "$0")/lib/common.sh"

free_port PORT
start_server "$SCRIPT_DIR/no_action.lua" -l "udp:127.0.0.1:$PORT" -l "tcp:127.0.0.1:$PORT"

dropped() { sip_request OPTIONS "sip:stats@127.0.0.1:$PORT" | sip_send_raw udp "$PORT" --timeout 3 |
            grep -m1 '^SIP/2.0' | sed -n 's/^SIP\/2.0 200 dropped=\([0-9]*\).*/\1/p'; }
d0=$(dropped)
[ -n "$d0" ] || fail "no dropped counter"
for user in silent drop; do
    for proto in udp tcp; do
        out=$(sip_request MESSAGE "sip:$user@127.0.0.1:$PORT" | sip_send_raw "$proto" "$PORT" --all --timeout 1.5)
        [ -z "$(status_line "$out")" ] || fail "$user over $proto: expected no reply, got: $(status_line "$out")"
    done
done
assert_no_log 'ERROR' "an error"
[ "$(dropped)" -eq $((d0 + 4)) ] || fail "4 dropped requests: the dropped counter went from $d0 to $(dropped)"

options_ok "$PORT" udp tcp
server_alive
stop_server
pass
