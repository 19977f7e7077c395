#!/usr/bin/env bash
# cmake --install into a staging root (DESTDIR): every file lands where GNUInstallDirs says; the
# installed binary finds the installed units (never the build tree's); a unit built out of tree
# with pkg-config lunasip-unit against the installed headers loads and serves; man pages render.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/http.sh"

BUILD=$(cd "$(dirname "$LUNASIP_BIN")" && pwd)
[ -f "$BUILD/cmake_install.cmake" ] || fail "$BUILD is not a CMake build tree"
command -v pkg-config >/dev/null && command -v cc >/dev/null || fail "pkg-config and cc are needed"
PREFIX=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$BUILD/CMakeCache.txt")
DESTDIR=$T/stage cmake --install "$BUILD" >"$T/install.log" 2>&1 || fail "cmake --install: $(tail -5 "$T/install.log")"
ROOT=$T/stage$PREFIX
BIN=$ROOT/bin/lunasip
PC_DIR=$(dirname "$(find "$ROOT" -name lunasip-unit.pc | head -1)")
[ -f "$PC_DIR/lunasip-unit.pc" ] || fail "no lunasip-unit.pc installed"
export PKG_CONFIG_PATH=$PC_DIR
UNIT_DIR=$(pkg-config --variable=unitdir lunasip-unit)
for f in "$BIN" "$UNIT_DIR/tm.so" "$UNIT_DIR/dispatcher.so" "$ROOT/include/lunasip/unit.h" \
    "$ROOT/share/lunasip/default.lua" "$ROOT/share/lunasip/lunasip.d.lua" "$ROOT/share/lunasip/examples/stateless-proxy.lua" \
    "$ROOT/share/man/man1/lunasip.1" "$ROOT/share/man/man7/lunasip-lua.7" \
    "$ROOT/lib/systemd/system/lunasip.service" "$ROOT/share/doc/lunasip/kamailio-migration.md" "$ROOT/share/doc/lunasip/LICENSE"; do
    [ -f "$f" ] || fail "not installed: ${f#"$T"/stage}"
done
grep -q "^ExecStart=$PREFIX/bin/lunasip " "$ROOT/lib/systemd/system/lunasip.service" \
    || fail "the installed service does not name $PREFIX/bin/lunasip"
for m in "$ROOT/share/man/man1/lunasip.1" "$ROOT/share/man/man7/lunasip-lua.7"; do
    out=$(MANWIDTH=80 man --warnings -l "$m" 2>&1 >/dev/null)
    [ -z "$out" ] || fail "man $(basename "$m"): $out"
done
v=$("$BIN" -V)
[[ $v =~ ^lunasip\ [0-9.]+$'\n'Lua\ 5\.4\.[0-9]+\ \(build\;\ run\ time\ 5\.4\)$'\n'libevent\ 2\.[0-9.]+-stable$'\n'libosip2\ [0-9.]+\ \(build\)$'\n'OpenSSL\ [0-9] ]] \
    || fail "installed -V: $v"

# The installed binary uses the installed units: with tm.so moved away, -c fails naming the
# installed folder, although the build tree (which has tm.so) still exists.
"$BIN" -c -f "$ROOT/share/lunasip/default.lua" | grep -qx OK || fail "installed -c on default.lua"
mv "$UNIT_DIR/tm.so" "$T/tm.so.away"
out=$("$BIN" -c -f "$ROOT/share/lunasip/default.lua"); rc=$?
[ $rc -eq 1 ] && [[ $out == *"unit 'tm'"* && $out == *"$T/stage"* ]] \
    || fail "installed binary without its tm.so: rc=$rc: $out (did it load the build tree's?)"
mv "$T/tm.so.away" "$UNIT_DIR/tm.so"

# A unit built out of tree against the installed headers: examples/units/hello when present,
# else tm from its sources (it uses only include/lunasip/).
mkdir -p "$T/units"
if [ -d "$LUNASIP_SRC/examples/units/hello" ]; then
    UNIT=hello; SRCS=("$LUNASIP_SRC"/examples/units/hello/*.c)
else
    UNIT=tm; SRCS=("$LUNASIP_SRC"/core/units/tm/*.c)
fi
# shellcheck disable=SC2046
cc -std=c11 -D_GNU_SOURCE -shared -fPIC $(pkg-config --cflags lunasip-unit) -o "$T/units/$UNIT.so" "${SRCS[@]}" \
    2>"$T/cc_err.log" || fail "building $UNIT against the installed headers failed"
cat >"$T/unit.lua" <<LUA
config = { http = { listen = os.getenv("HTTP_LISTEN") }, units = { $UNIT = {} } }
function on_request(msg) msg:reply(200) end
LUA
out=$("$BIN" -c -f "$T/unit.lua" -U "$T/units"); [ "$out" = OK ] || fail "-c with the out-of-tree $UNIT: $out"
LUNASIP_BIN=$BIN LUNASIP_UNITS=$T/units start_http "$T/unit.lua"
expect_http 200 "/health of the installed binary" /health
expect_http 200 "/api/units" /api/units
[[ $HTTP_BODY == *"\"$UNIT\""* ]] || fail "/api/units does not list $UNIT: $HTTP_BODY"
options_ok "$PORT"
stop_server
pass
