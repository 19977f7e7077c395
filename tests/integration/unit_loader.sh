#!/usr/bin/env bash
# The unit loader refuses, naming the unit and the reason, before anything starts: a unit
# file that does not exist, a shared object that is not a lunasip unit, one built for another
# ABI version, one whose exports name another unit. -c and start-up report the same.
. "$(dirname "$0")/lib/common.sh"

command -v cc >/dev/null || fail "no C compiler to build the test units"
mkdir -p "$T/units"
cat >"$T/notaunit.c" <<'C'
int some_function(void) { return 1; }
C
cat >"$T/unit.c" <<'C'
#include <lunasip/unit.h>
static const struct ls_unit u = { .name = UNIT_NAME };
#undef LS_UNIT_ABI
#define LS_UNIT_ABI UNIT_ABI
LS_UNIT_EXPORT(u)
C
cc -shared -fPIC -o "$T/units/plain.so" "$T/notaunit.c" || fail "cannot build plain.so"
cc -shared -fPIC -I"$LUNASIP_SRC/include" -DUNIT_NAME='"oldabi"' -DUNIT_ABI=999 -o "$T/units/oldabi.so" "$T/unit.c" ||
    fail "cannot build oldabi.so"
cc -shared -fPIC -I"$LUNASIP_SRC/include" -DUNIT_NAME='"other"' -DUNIT_ABI=1 -o "$T/units/renamed.so" "$T/unit.c" ||
    fail "cannot build renamed.so"

check() {   # check UNIT EXPECTED: -c and start-up both fail with a reason naming UNIT
    printf 'config = { units = { %s = {} } }\nfunction on_request(msg) end\n' "$1" >"$T/$1.lua"
    local out rc
    out=$("$LUNASIP_BIN" -c -f "$T/$1.lua" -U "$T/units" 2>&1); rc=$?
    [ $rc -eq 1 ] || fail "-c with unit $1: exit $rc, expected 1: $out"
    [[ $out == *"unit '$1'"*"$2"* ]] || fail "-c with unit $1: reason lacks '$2': $out"
    "$LUNASIP_BIN" -f "$T/$1.lua" -U "$T/units" -l "udp:127.0.0.1:1" </dev/null >/dev/null 2>"$T/$1.err"; rc=$?
    [ $rc -eq 1 ] || fail "start-up with unit $1: exit $rc, expected 1"
    grep -q "unit '$1'.*$2" "$T/$1.err" || fail "start-up with unit $1: log lacks the reason: $(cat "$T/$1.err")"
}
check missing "cannot open shared object file"
check plain "not a lunasip unit"
check oldabi "another unit ABI version"
check renamed "its exports name another unit"
pass
