#!/usr/bin/env bash
# A script with a syntax error (scripts/syntax_error.lua, line 6): 'lunasip -c'
# exits 1 with the Lua reason, and start-up fails with exit 1 and the reason.
# Good scripts pass the check with OK.
. "$(dirname "$0")/lib/common.sh"

BAD=$SCRIPT_DIR/syntax_error.lua
REASON="syntax_error\.lua:6:"

out=$("$LUNASIP_BIN" -c -f "$BAD" 2>&1 </dev/null)
rc=$?
printf '%s\n' "$out" >"$T/check.out"
check_sanitizers "$T/check.out"
[ "$rc" -eq 1 ] || fail "lunasip -c on a broken script exited $rc, expected 1: $out"
grep -qE "$REASON" <<<"$out" || fail "lunasip -c did not give the reason (/$REASON/): $out"
grep -qx 'OK' <<<"$out" && fail "lunasip -c printed OK for a broken script"

free_port PORT
timeout 10 "$LUNASIP_BIN" -f "$BAD" -l "udp:127.0.0.1:$PORT" </dev/null >"$T/start.out" 2>&1
rc=$?
check_sanitizers "$T/start.out"
[ "$rc" -ne 124 ] || fail "lunasip kept running with a broken script"
[ "$rc" -eq 1 ] || fail "start-up with a broken script exited $rc, expected 1: $(cat "$T/start.out")"
grep -qE "$REASON" "$T/start.out" || fail "start-up failure lacks the reason (/$REASON/): $(cat "$T/start.out")"

for good in "$EXAMPLES_DIR/stateless-proxy.lua" "$SCRIPT_DIR"/headers.lua "$SCRIPT_DIR"/bad_input.lua \
            "$SCRIPT_DIR"/route_error.lua "$SCRIPT_DIR"/sleep_no_tm.lua "$SCRIPT_DIR"/no_action.lua; do
    out=$("$LUNASIP_BIN" -c -f "$good" 2>&1 </dev/null)
    rc=$?
    [ "$rc" -eq 0 ] && grep -qx 'OK' <<<"$out" ||
        fail "lunasip -c $(basename "$good"): exit $rc, expected 0 and OK: $out"
done
pass
