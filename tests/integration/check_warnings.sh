#!/usr/bin/env bash
# lunasip -c warns (stderr, exit status still 0 with OK) when a script defines no on_request,
# and when it calls Kamailio's KSR.* (naming the lines and pointing to the migration guide);
# commented-out calls and the shipped scripts give no warning.
. "$(dirname "$0")/lib/common.sh"

printf 'config = { log = { level = "info" } }\n' >"$T/noroute.lua"
out=$("$LUNASIP_BIN" -c -f "$T/noroute.lua" 2>"$T/noroute.err"); rc=$?
[ $rc -eq 0 ] && [ "$out" = OK ] || fail "-c of a script without routes: rc=$rc: $out"
grep -q "WARN \[core\] $T/noroute.lua defines no on_request function" "$T/noroute.err" \
    || fail "no warning for a script without routes: $(cat "$T/noroute.err")"

cat >"$T/kemi.lua" <<'LUA'
-- ported from Kamailio: KSR.tm.t_relay() in a comment is not a call
function ksr_request_route()
  if KSR.is_CANCEL() then return 1 end
  KSR . rr.record_route()   -- KSR.x.exit() here is a comment too
  KSR.tm.t_relay()
end
function on_request(msg) ksr_request_route() end
LUA
out=$("$LUNASIP_BIN" -c -f "$T/kemi.lua" 2>"$T/kemi.err"); rc=$?
[ $rc -eq 0 ] && [ "$out" = OK ] || fail "-c of a KEMI script: rc=$rc: $out"
for want in "kemi.lua:3: KSR.is_CANCEL is Kamailio's KEMI" "kemi.lua:4: KSR.rr.record_route" "kemi.lua:5: KSR.tm.t_relay" \
    "calls KSR.* 3 times: see docs/kamailio-migration.md"; do
    grep -qF "$want" "$T/kemi.err" || fail "missing '$want' in: $(cat "$T/kemi.err")"
done
grep -q "t_relay() in a comment\|x.exit" "$T/kemi.err" && fail "a commented-out call was reported: $(cat "$T/kemi.err")"
grep -q "defines no on_request" "$T/kemi.err" && fail "a script with on_request was said to have none"

for f in "$EXAMPLES_DIR"/*.lua "$LUNASIP_SRC/scripts/default.lua"; do
    "$LUNASIP_BIN" -c -f "$f" ${LUNASIP_UNITS:+-U "$LUNASIP_UNITS"} >/dev/null 2>"$T/ex.err"
    grep -qi "warn" "$T/ex.err" && [[ $f != *rest-trigger.lua ]] && fail "$(basename "$f") gets a warning: $(cat "$T/ex.err")"
done
pass
