#!/usr/bin/env bash
# The editor and lint definitions follow the API: every function the running server puts in
# sip, tm, dispatcher, registrar, auth, http and json (all units loaded) is declared in
# types/lunasip.d.lua and listed in .luacheckrc, and neither declares one the server lacks.
# luacheck (when installed) passes scripts/ and examples/ and reports a misspelt API call.
. "$(dirname "$0")/lib/common.sh"

printf '1 sip:127.0.0.1:5999\n' >"$T/ds.list"
cat >"$T/api.lua" <<LUA
config = { units = { tm = {}, dispatcher = { list = "$T/ds.list", ping_interval = 0 }, registrar = {}, auth = {} } }
function on_start()
  for _, t in ipairs({ "sip", "tm", "dispatcher", "registrar", "auth", "http", "json" }) do
    local names = {}
    for k in pairs(_G[t]) do names[#names + 1] = k end
    table.sort(names)
    sip.log("info", "API ", t, " ", table.concat(names, ","))
  end
end
function on_request(msg) msg:reply(200) end
LUA
free_port PORT
start_server "$T/api.lua" -l "udp:127.0.0.1:$PORT"
stop_server
grep -o 'API .*' "$SERVER_LOG" >"$T/api.txt"
[ "$(wc -l <"$T/api.txt")" -eq 7 ] || fail "on_start did not list the 7 tables: $(cat "$T/api.txt")"
python3 - "$T/api.txt" "$LUNASIP_SRC/types/lunasip.d.lua" "$LUNASIP_SRC/.luacheckrc" <<'PY' || fail "definitions and server differ"
import re, sys
api = {}
for line in open(sys.argv[1]):
    _, t, names = line.split(" ", 2)
    api[t] = set(n for n in names.strip().split(",") if n)
defs = open(sys.argv[2]).read()
rc = open(sys.argv[3]).read()
bad = []
for t, names in api.items():
    declared = set(re.findall(r"^function %s\.(\w+)\(" % t, defs, re.M)) | set(re.findall(r"^%s\.(\w+) =" % t, defs, re.M))
    m = re.search(r"^\s*%s = \{ fields = \{([^}]*)\}" % t, rc, re.M | re.S)
    listed = set(re.findall(r'"(\w+)"', m.group(1))) if m else set()
    for n in sorted(names - declared):
        bad.append("%s.%s is not in lunasip.d.lua" % (t, n))
    for n in sorted(declared - names):
        bad.append("lunasip.d.lua declares %s.%s, which the server lacks" % (t, n))
    for n in sorted(names ^ listed):
        bad.append("%s.%s: .luacheckrc and the server differ" % (t, n))
print("\n".join(bad) or "definitions match: " + ", ".join("%s(%d)" % (t, len(n)) for t, n in sorted(api.items())))
sys.exit(1 if bad else 0)
PY

if command -v luacheck >/dev/null; then
    (cd "$LUNASIP_SRC" && luacheck --no-color scripts/ examples/) >"$T/luacheck.out" 2>&1 || fail "luacheck: $(tail -20 "$T/luacheck.out")"
    printf 'function on_request(msg)\n  tm.relya(msg)\nend\n' >"$T/typo.lua"
    (cd "$LUNASIP_SRC" && luacheck --no-color "$T/typo.lua") >"$T/typo.out" 2>&1 && fail "luacheck missed tm.relya"
    grep -q "undefined field 'relya' of global 'tm'" "$T/typo.out" || fail "luacheck: $(cat "$T/typo.out")"
fi
pass
