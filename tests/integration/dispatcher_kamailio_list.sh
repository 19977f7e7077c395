#!/usr/bin/env bash
# A list file as Kamailio writes it: hex flags (0x8), flags 16 (no address lookup) and 32 (never
# probed, even with probing_mode = 1), the same URI twice in a set (chosen twice as often), '#'
# right after a URI, SIP: in any case. Bad lines are skipped with a warning naming file:line;
# the reload API (HTTP and Lua) reports them; strict = true refuses the file.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/http.sh"
need_tm

free_port U1; free_port U2
export DS_LIST=$T/dispatcher.list
export DS_PARAMS="ping_interval = 1, ping_timeout = 300, probing_mode = 1"
cat >"$DS_LIST" <<LIST
# set uri flags priority attrs
1 SIP:127.0.0.1:$U1 0x8 10 weight=1
1 sip:127.0.0.1:$U1#same destination again
1 Sip:127.0.0.1:$U2 32 0
2 sip:nosuch.invalid:5060 16
2 sip:127.0.0.1:5999 Q
3 http://example.com
LIST
start_sipp_uas uas1 "$SIPP_DIR/dispatcher_uas_options.xml" "$U1" -m 1000
start_sipp_uas uas2 "$SIPP_DIR/dispatcher_uas_options.xml" "$U2" -m 1000
start_http "$SCRIPT_DIR/dispatcher.lua"
assert_log "WARN \[dispatcher\] $DS_LIST:6: bad flags 'Q'.*; line skipped" "the warning for line 6"
assert_log "WARN \[dispatcher\] $DS_LIST:7: bad destination 'http://example.com'" "the warning for line 7"

# dest PORT FIELD: a field of the first destination whose URI ends in :PORT (GET /api/dispatcher)
dest() {
    hcurl /api/dispatcher
    python3 -c 'import json,sys
for s in json.loads(sys.argv[1])["sets"]:
    for d in s["destinations"]:
        if d["uri"].endswith(sys.argv[2]): print(d[sys.argv[3]]); sys.exit()' "$HTTP_BODY" "$1" "$2"
}
hcurl /api/dispatcher
python3 - "$HTTP_BODY" "$U1" "$U2" <<'PY' || fail "listing: $HTTP_BODY"
import json, sys
sets = {s["id"]: s["destinations"] for s in json.loads(sys.argv[1])["sets"]}
u1, u2 = sys.argv[2], sys.argv[3]
assert sorted(sets) == [1, 2], sets
assert [d["uri"] for d in sets[1]] == ["sip:127.0.0.1:" + u1] * 2 + ["sip:127.0.0.1:" + u2], sets[1]
assert [d["flags"] for d in sets[1]] == ["AP", "A", "A"], sets[1]
assert [d["uri"] for d in sets[2]] == ["sip:nosuch.invalid:5060"], sets[2]
PY

# The duplicate counts twice in round-robin.
expect_http 200 "select" "/select?alg=round-robin&n=30"
python3 -c 'import json,sys
c = json.loads(sys.argv[1])["counts"]
assert c == {"sip:127.0.0.1:" + sys.argv[2]: 20, "sip:127.0.0.1:" + sys.argv[3]: 10}, c' "$HTTP_BODY" "$U1" "$U2" \
    || fail "round-robin over a duplicate: $HTTP_BODY"

# probing_mode = 1 probes everything but the destination flagged 32.
for ((i = 0; i < 50; i++)); do
    [ "$(dest ":$U1" latency_ms)" != None ] && break
    sleep 0.1
done
[ "$(dest ":$U1" latency_ms)" != None ] || fail "the destination flagged 0x8 was never probed"
sleep 1.5
[ "$(dest ":$U2" latency_ms)" = None ] || fail "the destination flagged 32 was probed"
grep -q "OPTIONS sip:127.0.0.1:$U2" "$T"/uas2*.log 2>/dev/null && fail "OPTIONS reached the destination flagged 32"

# The reload API reports the skipped lines.
expect_http 200 "reload" -X POST /api/dispatcher/reload
python3 -c 'import json,sys
b = json.loads(sys.argv[1])["bad_lines"]
assert len(b) == 2 and b[0].endswith("dispatcher.list:6: bad flags '"'"'Q'"'"' (0-63 or 0x0-0x3f, or letters A I D T P)"), b
assert ":7: bad destination" in b[1], b' "$HTTP_BODY" || fail "HTTP reload: $HTTP_BODY"
expect_http 200 "Lua reload" /reload
python3 -c 'import json,sys
r = json.loads(sys.argv[1])
assert r["ok"] is True and len(r["bad_lines"]) == 2 and ":6: " in r["bad_lines"][0], r' "$HTTP_BODY" \
    || fail "Lua reload: $HTTP_BODY"
server_alive
stop_server

# strict = true refuses the whole file, at start (-c) and on reload.
export DS_PARAMS="strict = true"
out=$("$LUNASIP_BIN" -c -f "$SCRIPT_DIR/dispatcher.lua" -U "$LUNASIP_UNITS" 2>&1) && fail "-c with strict said OK"
[[ $out == *"dispatcher.list:6: bad flags 'Q'"*"strict = true refuses the whole file"* ]] || fail "-c with strict: $out"
sed -i '/ Q$/d; /http:/d' "$DS_LIST"
start_http "$SCRIPT_DIR/dispatcher.lua"
echo "1 sip:127.0.0.1:5998 ZZ" >>"$DS_LIST"
expect_http 400 "strict reload of a bad file" -X POST /api/dispatcher/reload
[[ $(json_get "$HTTP_BODY" bad_lines) == *"dispatcher.list:6: bad flags 'ZZ'"* ]] || fail "strict reload: $HTTP_BODY"
[ "$(dest ":$U2" flags)" = A ] || fail "the old list did not stay"
stop_server
pass
