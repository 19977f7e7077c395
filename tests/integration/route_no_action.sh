#!/usr/bin/env bash
# A route that neither replies nor forwards (scripts/no_action.lua, R-URI user
# "silent"), and one that calls msg:drop() (user "drop"): nothing is sent back,
# nothing is logged as an error, and the server keeps answering.
. "$(dirname "$0")/lib/common.sh"

free_port PORT
start_server "$SCRIPT_DIR/no_action.lua" -l "udp:127.0.0.1:$PORT" -l "tcp:127.0.0.1:$PORT"

for user in silent drop; do
    for proto in udp tcp; do
        out=$(sip_request MESSAGE "sip:$user@127.0.0.1:$PORT" | sip_send_raw "$proto" "$PORT" --all --timeout 1.5)
        [ -z "$(status_line "$out")" ] || fail "$user over $proto: expected no reply, got: $(status_line "$out")"
    done
done
assert_no_log 'ERROR' "an error"

options_ok "$PORT" udp tcp
server_alive
stop_server
pass
