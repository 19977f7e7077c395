#!/usr/bin/env bash
# SIGHUP reloads the script: a new script takes over (its on_start runs, its routes answer), a
# broken one is refused with the reason logged and the old routes keep answering.
. "$(dirname "$0")/lib/common.sh"

free_port PORT
cat >"$T/live.lua" <<'LUA'
function on_start() sip.log("info", "on_start of version one") end
function on_request(msg) msg:reply(200, "version one") end
LUA
start_server "$T/live.lua" -l "udp:127.0.0.1:$PORT"

reason() { sip_request OPTIONS "sip:127.0.0.1:$PORT" | sip_send_raw udp "$PORT" --timeout 3 | grep -m1 '^SIP/2.0' | tr -d '\r'; }
[ "$(reason)" = "SIP/2.0 200 version one" ] || fail "first script does not answer: $(reason)"

cat >"$T/live.lua" <<'LUA'
function on_start() sip.log("info", "on_start of version two") end
function on_request(msg) msg:reply(200, "version two") end
LUA
kill -HUP "$SERVER_PID"
for _ in $(seq 50); do grep -q 'on_start of version two' "$SERVER_LOG" && break; sleep 0.1; done
assert_log 'on_start of version two' "the new script's on_start"
[ "$(reason)" = "SIP/2.0 200 version two" ] || fail "reloaded script does not answer: $(reason)"

printf 'function on_request(msg\n  msg:reply(200, "broken")\n' >"$T/live.lua"
kill -HUP "$SERVER_PID"
for _ in $(seq 50); do grep -q 'reload failed' "$SERVER_LOG" && break; sleep 0.1; done
assert_log 'ERROR \[core\] reload failed, the old script stays: .*live\.lua:2' "the reason the reload failed"
[ "$(reason)" = "SIP/2.0 200 version two" ] || fail "old script gone after a failed reload: $(reason)"

server_alive
stop_server
pass
