#!/usr/bin/env bash
# A route that never ends is stopped after config.limits.route_ms of CPU (200 ms here), even
# when it wraps its loop in pcall: HTTP gets 500, a SIP request 500, the error is logged with a
# traceback, and the server goes on (SIP, /health, SIGTERM).
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/http.sh"
need_tm
start_http "$SCRIPT_DIR/lua_limits.lua"
for p in /spin /spin_pcall; do
    t0=$EPOCHREALTIME
    expect_http 500 "$p" "$p"
    took=$(python3 -c 'import sys; print("%.2f" % (float(sys.argv[2]) - float(sys.argv[1])))' "$t0" "$EPOCHREALTIME")
    log "$p answered 500 after $took s"
    python3 -c 'import sys; sys.exit(not float(sys.argv[1]) < 3)' "$took" || fail "$p took $took s"
done
assert_log 'CPU budget of 200 ms' "the budget error"
assert_log 'stack traceback' "the traceback"
sip_request OPTIONS "sip:127.0.0.1:$PORT" "X-Spin: 1" | expect_status udp "$PORT" 500 "a SIP route that spins"
options_ok "$PORT" udp
expect_http 200 "/health after the runaway routes" /health
stop_server
pass
