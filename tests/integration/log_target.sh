#!/usr/bin/env bash
# config.log: timestamps on stderr lines; target = "syslog" sends RFC 3164 datagrams with the
# configured facility to the syslog socket (a stand-in bound by the test); bad values are refused.
. "$(dirname "$0")/lib/common.sh"

# 1. Timestamps.
cat >"$T/ts.lua" <<'LUA'
config = { log = { timestamps = true } }
function on_request(msg) msg:reply(200) end
LUA
free_port PORT
start_server "$T/ts.lua" -l "udp:127.0.0.1:$PORT"
grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z INFO \[core\] ready$' "$SERVER_LOG" \
    || fail "no ISO 8601 timestamp on the ready line"
stop_server

# 2. Syslog to a socket of our own, facility local3 (19): INFO is <158>, WARN <156>.
SOCK=$T/log.sock
: >"$T/syslog.out"
python3 "$IT_DIR/lib/dgram_sink.py" "$SOCK" "$T/syslog.out" &
_PIDS+=("$!")
for ((i = 0; i < 50; i++)); do grep -q BOUND "$T/syslog.out" && break; sleep 0.1; done
cat >"$T/syslog.lua" <<LUA
config = { log = { target = "syslog", facility = "local3", socket = "$SOCK" } }
function on_start() sip.log("warn", "hello from the script") end
function on_request(msg) msg:reply(200) end
LUA
free_port PORT2
"$LUNASIP_BIN" -f "$T/syslog.lua" -l "udp:127.0.0.1:$PORT2" </dev/null 2>"$SERVER_LOG" &
SERVER_PID=$!
_PIDS+=("$SERVER_PID")
for ((i = 0; i < 50; i++)); do grep -q 'ready' "$T/syslog.out" && break; sleep 0.1; done
grep -qE "^<158>[A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} lunasip\[$SERVER_PID\]: \[core\] ready$" "$T/syslog.out" \
    || fail "no syslog ready line: $(cat "$T/syslog.out")"
grep -qE "^<156>.* lunasip\[$SERVER_PID\]: \[lua\] hello from the script$" "$T/syslog.out" \
    || fail "no syslog warning from the script: $(cat "$T/syslog.out")"
assert_no_log 'ready' "the ready line on stderr while logging to syslog"
stop_server

# 3. An unreachable syslog socket: lines go to stderr instead of nowhere.
sed -i "s|$SOCK|$T/nosuch.sock|" "$T/syslog.lua"
start_server "$T/syslog.lua" -l "udp:127.0.0.1:$PORT2"
stop_server

# 4. Bad values.
for bad in 'target = "file"' 'facility = "local9"' 'timestamps = "yes"'; do
    printf 'config = { log = { %s } }\n' "$bad" >"$T/bad.lua"
    out=$("$LUNASIP_BIN" -c -f "$T/bad.lua"); rc=$?
    [ $rc -eq 1 ] && [[ $out == *"config.log."* ]] || fail "-c with config.log { $bad }: rc=$rc: $out"
done
pass
