#!/usr/bin/env bash
# The unit loader refuses, naming the unit and the reason, before anything starts: a unit
# file that does not exist, a shared object that is not a lunasip unit, one built for another
# ABI version (the message names both versions), one whose exports name another unit. -c and
# start-up report the same.
. "$(dirname "$0")/lib/common.sh"

command -v cc >/dev/null || fail "no C compiler to build the test units"
mkdir -p "$T/units"
cat >"$T/notaunit.c" <<'C'
int some_function(void) { return 1; }
C
cat >"$T/unit.c" <<'C'
#include <lunasip/unit.h>
static const struct ls_unit u = { .name = UNIT_NAME };
#ifdef UNIT_ABI
#undef LS_UNIT_ABI
#define LS_UNIT_ABI UNIT_ABI
#endif
LS_UNIT_EXPORT(u)
C
cc -shared -fPIC -o "$T/units/plain.so" "$T/notaunit.c" || fail "cannot build plain.so"
INC=(-I"$LUNASIP_SRC/include" -I"$LUNASIP_GEN_INCLUDE")   # lunasip/abi.h is generated
cc -shared -fPIC "${INC[@]}" -DUNIT_NAME='"oldabi"' -DUNIT_ABI=999 -o "$T/units/oldabi.so" "$T/unit.c" ||
    fail "cannot build oldabi.so"
cc -shared -fPIC "${INC[@]}" -DUNIT_NAME='"other"' -o "$T/units/renamed.so" "$T/unit.c" ||
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
abi=$(awk '$2 == "LS_UNIT_ABI" { sub(/^0x/, "", $3); sub(/u$/, "", $3); print $3 }' "$LUNASIP_GEN_INCLUDE/lunasip/abi.h")
[[ $abi =~ ^[0-9a-f]{8}$ ]] || fail "no LS_UNIT_ABI in the generated abi.h: '$abi'"
grep -q "unit ABI 000003e7, this lunasip has unit ABI $abi" "$T/oldabi.err" ||
    fail "the refusal does not name both versions (000003e7 and $abi): $(cat "$T/oldabi.err")"
check renamed "its exports name another unit"
pass
