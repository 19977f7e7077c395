#!/usr/bin/env bash
# The one "can this coroutine wait here" check (coro_check_wait): sip.sleep in a sort
# comparator and http.request in a gsub callback raise an error naming the function and the
# reason, catchable with pcall; a sleep directly in the coroutine still works.
. "$(dirname "$0")/lib/common.sh"

free_port PORT
start_server "$SCRIPT_DIR/coro_wait_context.lua" -l "udp:127.0.0.1:$PORT"
for _ in $(seq 30); do grep -q 'wait: direct sleep done' "$SERVER_LOG" && break; sleep 0.1; done

assert_log 'wait: sort ok=false err=.*sip.sleep cannot wait here: a C function' "sip.sleep refused in a sort comparator"
assert_log 'wait: gsub ok=false err=.*http.request cannot wait here: a C function' "http.request refused in a gsub callback"
assert_no_log 'yield across' "Lua's raw C-call boundary error"
assert_log 'wait: direct sleep done' "sip.sleep directly in the spawned coroutine"
options_ok "$PORT" udp
server_alive
stop_server
pass
