#!/usr/bin/env bash
# A list reload keeps the runtime state of destinations that stay (flags set by probing or the
# API, probe counters, latency) unless the file changed that destination's flags; new
# destinations take the file's flags. Names in the list are looked up without blocking the
# loop, and dispatcher.is_from matches them once resolved.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/http.sh"
need_tm

export DS_LIST=$T/dispatcher.list
printf '1 sip:127.0.0.1:5091\n1 sip:127.0.0.1:5092\n1 sip:localhost:5093\n' >"$DS_LIST"
start_http "$SCRIPT_DIR/dispatcher.lua"

flags_of() {  # flags_of URI: its flags in GET /api/dispatcher
    hcurl /api/dispatcher
    python3 -c 'import json,sys
for s in json.loads(sys.argv[1])["sets"]:
    for d in s["destinations"]:
        if d["uri"] == sys.argv[2]: print(d["flags"])' "$HTTP_BODY" "$1"
}

expect_http 200 "set 5091 inactive" -X POST -d '{"set":1,"uri":"sip:127.0.0.1:5091","state":"I"}' /api/dispatcher/state
expect_http 200 "set 5092 inactive" -X POST -d '{"set":1,"uri":"sip:127.0.0.1:5092","state":"I"}' /api/dispatcher/state
[ "$(flags_of sip:127.0.0.1:5091)" = I ] || fail "state not set: $(flags_of sip:127.0.0.1:5091)"

# 5091 unchanged in the file, 5092 now disabled there, 5094 new
printf '1 sip:127.0.0.1:5091\n1 sip:127.0.0.1:5092 D\n1 sip:localhost:5093\n1 sip:127.0.0.1:5094\n' >"$DS_LIST"
expect_http 200 "reload" -X POST /api/dispatcher/reload
[ "$(flags_of sip:127.0.0.1:5091)" = I ] || fail "a destination that stayed lost its runtime state: $(flags_of sip:127.0.0.1:5091)"
[ "$(flags_of sip:127.0.0.1:5092)" = D ] || fail "a destination whose file flags changed: $(flags_of sip:127.0.0.1:5092), expected D"
[ "$(flags_of sip:127.0.0.1:5094)" = A ] || fail "a new destination: $(flags_of sip:127.0.0.1:5094)"
expect_http 200 "select avoids the inactive one" "/select?alg=round-robin&n=4"
grep -q '5091' <<<"$HTTP_BODY" && fail "an inactive destination was selected after the reload: $HTTP_BODY"

# is_from for the name (localhost:5093): an OPTIONS sent from that port is recognised.
grep -q 'does not resolve' "$SERVER_LOG" && fail "localhost did not resolve: $(grep resolve "$SERVER_LOG")"
is_from() {  # is_from SRC_PORT: the reason phrase of the answer to an OPTIONS sent from that port
    python3 - "$PORT" "$1" <<'PY'
import socket, sys
port, src = int(sys.argv[1]), int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", src))
s.settimeout(3)
s.sendto(("OPTIONS sip:x@127.0.0.1:%d SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK-if%d\r\n"
          "From: <sip:a@x>;tag=1\r\nTo: <sip:x@y>\r\nCall-ID: isfrom%d\r\nCSeq: 1 OPTIONS\r\n"
          "Max-Forwards: 70\r\nX-Is-From: 1\r\nContent-Length: 0\r\n\r\n" % (port, src, src, src)).encode(),
         ("127.0.0.1", port))
print(s.recv(4096).split(b"\r\n")[0].decode().split(" ", 2)[2])
PY
}
[ "$(is_from 5093)" = "is_from 1" ] || fail "is_from for sip:localhost:5093: $(is_from 5093)"
[ "$(is_from 5094)" = "is_from 1" ] || fail "is_from for a literal: $(is_from 5094)"
server_alive
stop_server
pass
