#!/usr/bin/env bash
# Real phones on examples/pbx.lua: two baresip instances (Debian's baresip, headless, audio
# through the aubridge module) register alice and bob with their passwords (digest, 401), then
# alice dials "bob" (INVITE challenged with 407, sent again with credentials); bob answers
# automatically; alice hangs up when she quits. From baresip's own SIP traces (-s): bob
# receives the INVITE, the ACK and the BYE from lunasip's address with lunasip's Via on top
# (record-routing kept them on the proxy), and alice receives bob's 200 from lunasip.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/http.sh"
command -v baresip >/dev/null || fail "baresip not installed (Debian package baresip)"

free_port PORT
free_port HTTP_PORT
PBX_SIP="udp:127.0.0.1:$PORT" PBX_HTTP="127.0.0.1:$HTTP_PORT" start_server "$EXAMPLES_DIR/pbx.lua"
wait_bound tcp "$HTTP_PORT" 5 || fail "no HTTP listener"

# phone NAME USER PASSWORD: a baresip config folder $T/NAME (random local ports, auto-answer)
phone() {
    mkdir -p "$T/$1"
    cat >"$T/$1/config" <<C
poll_method		epoll
sip_listen		127.0.0.1:0
sip_trans_def		udp
audio_player		aubridge,$1
audio_source		aubridge,$1
audio_alert		aubridge,$1
module_path		/usr/lib/baresip/modules
module			g711.so
module			aubridge.so
module			account.so
module			menu.so
C
    echo "<sip:$2@127.0.0.1:$PORT;transport=udp>;auth_pass=$3;answermode=auto;regint=60" >"$T/$1/accounts"
    touch "$T/$1/contacts"
}
phone bob bob bob-secret
phone alice alice alice-secret

registered() {  # registered AOR: true when GET /api/registrar lists a baresip binding for it
    hcurl /api/registrar
    python3 - "$HTTP_BODY" "$1" <<'PY'
import json, sys
d = {a["aor"]: a["bindings"] for a in json.loads(sys.argv[1])["aors"]}
sys.exit(0 if any("baresip" in (b["user_agent"] or "") for b in d.get(sys.argv[2], [])) else 1)
PY
}

baresip -f "$T/bob" -n 127.0.0.1 -s -t 30 </dev/null >"$T/bob.log" 2>&1 &
_PIDS+=("$!")
for _ in $(seq 50); do registered bob && break; sleep 0.1; done
registered bob || fail "bob's baresip did not register: $(tail -5 "$T/bob.log")"

# alice dials bob at once and quits (hanging up) after 5 s
timeout 20 baresip -f "$T/alice" -n 127.0.0.1 -s -e "/dial bob" -t 5 </dev/null >"$T/alice.log" 2>&1 ||
    log "alice's baresip exited with $?"
# alice registered while running (and unregistered when she quit)
assert_log 'INFO \[registrar\] alice: 1 binding\(s\) after REGISTER from sip:127\.0\.0\.1:' "alice's registration"
grep -q 'Call established' "$T/alice.log" || fail "alice's call was not established: $(grep -a 'call:' "$T/alice.log" | tail -5)"
for _ in $(seq 30); do grep -q 'terminated' "$T/bob.log" && break; sleep 0.1; done
grep -q 'Call established' "$T/bob.log" || fail "bob never answered"
grep -q 'terminated' "$T/bob.log" || fail "bob's call did not end (no BYE?)"

# traces: "UDP SRC -> DST" then the first line of the message
flows() {
    tr -d '\r' <"$1" | sed 's/\x1b\[[0-9;]*m//g' | awk '
        /^(UDP|TCP) [^ ]+ -> [^ ]+$/ { hop = $2 " -> " $4; getline first; print hop " | " first }'
}
flows "$T/bob.log" >"$T/bob.flows"
flows "$T/alice.log" >"$T/alice.flows"
for m in INVITE ACK BYE; do
    grep -qE "^127\.0\.0\.1:$PORT -> 127\.0\.0\.1:[0-9]+ \| $m sip:bob" "$T/bob.flows" ||
        fail "bob did not get the $m from lunasip: $(cat "$T/bob.flows")"
done
grep -qE "^127\.0\.0\.1:[0-9]+ -> 127\.0\.0\.1:$PORT \| SIP/2.0 200 OK" "$T/bob.flows" || fail "bob's 200 did not go to lunasip"
grep -qE "^127\.0\.0\.1:$PORT -> 127\.0\.0\.1:[0-9]+ \| SIP/2.0 200 OK" "$T/alice.flows" || fail "alice got no 200 from lunasip"
grep -qE "^127\.0\.0\.1:[0-9]+ -> 127\.0\.0\.1:$PORT \| (ACK|BYE) " "$T/alice.flows" || fail "alice's ACK/BYE bypassed lunasip"
grep -qE "^127\.0\.0\.1:$PORT -> 127\.0\.0\.1:[0-9]+ \| SIP/2.0 407 " "$T/alice.flows" || fail "alice's INVITE was not challenged"
# lunasip's Via on top of what bob got
bye=$(tr -d '\r' <"$T/bob.log" | sed 's/\x1b\[[0-9;]*m//g' | awk '/^BYE sip:bob/ { p = 1 } p && /^Via:/ { print; exit }')
[[ $bye == "Via: SIP/2.0/UDP 127.0.0.1:$PORT;"* ]] || fail "the BYE at bob has no lunasip Via on top: $bye"

server_alive
stop_server
pass
