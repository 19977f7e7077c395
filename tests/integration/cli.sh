#!/usr/bin/env bash
# The command line: -V, -h, a bad option, an unexpected argument, -c on good and broken
# scripts, a unit that does not exist, -q hiding info lines, and SIGINT stopping with 0.
. "$(dirname "$0")/lib/common.sh"

"$LUNASIP_BIN" -V >"$T/version.txt"
for re in '^lunasip [0-9]+\.[0-9]+' '^Lua 5\.[0-9]+\.[0-9]+ \(build; run time 5\.[0-9]+\)$' '^libevent [0-9]' \
          '^libosip2 [0-9.]+ \(build\)$' '^OpenSSL [0-9]' '^c-ares [0-9]' '^jansson [0-9]'; do
    grep -qE "$re" "$T/version.txt" || fail "-V lacks /$re/: $(cat "$T/version.txt")"
done
if command -v openssl >/dev/null; then   # the OpenSSL line is the library loaded, not the headers
    lib=$(openssl version | sed -n 's/.*(Library: OpenSSL \([^)]*\)).*/\1/p')
    [ -n "$lib" ] || lib=$(openssl version | sed 's/^OpenSSL //')
    grep -qxF "OpenSSL $lib" "$T/version.txt" || grep -qF "OpenSSL $lib (built with" "$T/version.txt" ||
        fail "-V OpenSSL line differs from the library's ($lib): $(cat "$T/version.txt")"
fi
"$LUNASIP_BIN" -h | grep -q 'usage: lunasip' || fail "-h prints no usage"
"$LUNASIP_BIN" -Z >/dev/null 2>&1; [ $? -eq 2 ] || fail "a bad option does not exit 2"
"$LUNASIP_BIN" extra >/dev/null 2>"$T/extra.err"; [ $? -eq 2 ] || fail "an extra argument does not exit 2"
grep -q "unexpected argument 'extra'" "$T/extra.err" || fail "no reason given for the extra argument"

[ "$("$LUNASIP_BIN" -c -f "$EXAMPLES_DIR/stateless-proxy.lua")" = OK ] || fail "-c on a good script"
[ "$("$LUNASIP_BIN" -c -f "$LUNASIP_SRC/scripts/default.lua" -U "$LUNASIP_UNITS")" = OK ] || fail "-c on the default script"
printf 'config = { units = { nosuch = {} } }\n' >"$T/nounit.lua"
out=$("$LUNASIP_BIN" -c -f "$T/nounit.lua" -U "$LUNASIP_UNITS"); rc=$?
[ $rc -eq 1 ] && [[ $out == *"unit 'nosuch'"* ]] || fail "-c with an unknown unit: rc=$rc: $out"
printf 'config = { listen = 5 }\n' >"$T/badcfg.lua"
out=$("$LUNASIP_BIN" -c -f "$T/badcfg.lua"); rc=$?
[ $rc -eq 1 ] && [[ $out == *"config.listen must be"* ]] || fail "-c with a bad config.listen: rc=$rc: $out"
"$LUNASIP_BIN" -f "$T/badcfg.lua" 2>"$T/badcfg.err"; [ $? -eq 1 ] || fail "start-up with a bad config does not exit 1"

free_port PORT
"$LUNASIP_BIN" -f "$EXAMPLES_DIR/stateless-proxy.lua" -l "udp:127.0.0.1:$PORT" -q </dev/null 2>"$SERVER_LOG" &
SERVER_PID=$!
_PIDS+=("$SERVER_PID")
wait_bound udp "$PORT" 5 || fail "server under -q did not listen"
options_ok "$PORT"
assert_no_log 'INFO' "info lines under -q"
kill -INT "$SERVER_PID"
_wait_pid "$SERVER_PID" 10 || fail "SIGINT did not stop the server"
SERVER_PID=
[ "$WAIT_RC" -eq 0 ] || fail "SIGINT: exit status $WAIT_RC, expected 0"
check_sanitizers
pass
