#!/usr/bin/env bash
# SIGHUP reloads the script: a new script takes over (its on_start runs, its routes answer, the
# old script's timers and the coroutine its on_start spawned stop at once: issue 10), a broken
# one is refused with the reason logged and the old routes keep answering.
. "$(dirname "$0")/lib/common.sh"

free_port PORT
cat >"$T/live.lua" <<'LUA'
function on_start()
  sip.log("info", "on_start of version one")
  sip.every(50, function() sip.log("info", "tick of version one") end)
  sip.spawn(function()   -- stopped by the reload: it never logs "done"
    sip.sleep(1500)
    sip.log("info", "version one coroutine done")
  end)
end
function on_request(msg) msg:reply(200, "version one") end
LUA
start_server "$T/live.lua" -l "udp:127.0.0.1:$PORT"

reason() { sip_request OPTIONS "sip:127.0.0.1:$PORT" | sip_send_raw udp "$PORT" --timeout 3 | grep -m1 '^SIP/2.0' | tr -d '\r'; }
[ "$(reason)" = "SIP/2.0 200 version one" ] || fail "first script does not answer: $(reason)"

cat >"$T/live.lua" <<'LUA'
function on_start()
  sip.log("info", "on_start of version two")
  sip.every(50, function() sip.log("info", "tick of version two") end)
end
function on_request(msg) msg:reply(200, "version two") end
LUA
kill -HUP "$SERVER_PID"
for _ in $(seq 50); do grep -q 'on_start of version two' "$SERVER_LOG" && break; sleep 0.1; done
assert_log 'on_start of version two' "the new script's on_start"
[ "$(reason)" = "SIP/2.0 200 version two" ] || fail "reloaded script does not answer: $(reason)"
# the old script's timers stopped with the reload; the new one's run
sleep 0.5
assert_log 'tick of version one' "the first script's timer"
assert_log 'tick of version two' "the reloaded script's timer"
late=$(sed -n '/on_start of version two/,$p' "$SERVER_LOG" | grep -c 'tick of version one')
[ "$late" -eq 0 ] || fail "the first script's timer ticked $late times after the reload"
sleep 1.2   # past the end of the spawned coroutine's sleep
assert_no_log 'version one coroutine done' "the first script's spawned coroutine going on after the reload"

printf 'function on_request(msg\n  msg:reply(200, "broken")\n' >"$T/live.lua"
kill -HUP "$SERVER_PID"
for _ in $(seq 50); do grep -q 'reload failed' "$SERVER_LOG" && break; sleep 0.1; done
assert_log 'ERROR \[core\] reload failed, the old script stays: .*live\.lua:2' "the reason the reload failed"
[ "$(reason)" = "SIP/2.0 200 version two" ] || fail "old script gone after a failed reload: $(reason)"

server_alive
stop_server
pass
