#!/usr/bin/env bash
# registrar.save per RFC 3261 §10.3 (scripts/registrar.lua: min_expires 2, max_expires 60,
# default 30, max_contacts 3), driven by a raw UDP peer, with registrar.lookup seen through an
# OPTIONS "X-Inspect" and the HTTP API:
# - Contacts with an expires parameter or the Expires header, the 200 listing every binding
#   with its remaining time; a REGISTER without Contact lists them; q orders them;
# - an older CSeq of the same Call-ID is refused (500) and changes nothing;
# - 423 with Min-Expires below min_expires; max_expires caps; max_contacts gives 503;
# - Contact: * with Expires: 0 removes all (400 with another Expires);
# - +sip.instance/reg-id replaces the binding of the same instance;
# - the AOR is the To URI's user (sip:alice@host:port, SIP:alice@HOST are one AOR);
# - the packet's source is recorded; a Contact that is not the source is natted: lookup sends
#   to the source; Path is stored, echoed in the 200, and becomes the Route set of the request;
# - bindings expire on a timer; GET /api/registrar lists, DELETE removes, metrics count;
#   a script reload keeps the bindings.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/http.sh"
DIGEST=$IT_DIR/lib/sip_digest.py

start_http "$SCRIPT_DIR/registrar.lua"
CID=reg-$RANDOM
# register [--lport P] CSEQ HEADER...: a REGISTER of Call-ID $CID; prints the reply
register() {
    local lp=()
    [ "$1" = --lport ] && { lp=(--lport "$2"); shift 2; }
    local cseq=$1
    shift
    sip_request REGISTER "sip:127.0.0.1:$PORT" "Call-ID: $CID" "CSeq: $cseq REGISTER" "$@" |
        python3 "$DIGEST" --port "$PORT" "${lp[@]}" | tr -d '\r' | tee -a "$T/replies.log"
}
status() { grep -m1 -E '^SIP/2\.0 [0-9]{3}' <<<"$1"; }
contacts() { grep -i '^Contact:' <<<"$1" | sed 's/^Contact: //I'; }
inspect() {  # inspect AOR|ruri [RURI]
    sip_request OPTIONS "${2:-sip:alice@127.0.0.1:$PORT}" "X-Inspect: $1" | sip_send_raw udp "$PORT" --timeout 3 |
        tr -d '\r' | tee -a "$T/replies.log"
}

free_port PHONE
TO="To: <sip:alice@127.0.0.1:$PORT>"
r=$(register --lport "$PHONE" 1 "$TO" "Contact: <sip:alice@127.0.0.1:$PHONE>;expires=40, <sip:alice@10.9.8.7:5062>;q=0.5" "Expires: 20")
[ "$(status "$r")" = "SIP/2.0 200 OK" ] || fail "first REGISTER: $(status "$r")"
c=$(contacts "$r")
grep -qx "<sip:alice@127.0.0.1:$PHONE>;expires=40" <<<"$c" || fail "expires parameter not honoured: $c"
grep -qx "<sip:alice@10.9.8.7:5062>;expires=20;q=0.500" <<<"$c" || fail "Expires header / q not honoured: $c"

# the natted binding (10.9.8.7 is not where the REGISTER came from) is reached at the source;
# the one whose Contact is the source is not; q=0.5 < no q (1.0): the source one is best
i=$(inspect ruri)
[ "$(header_of "$i" X-Found)" = true ] || fail "lookup found nothing: $i"
[ "$(header_of "$i" X-Ruri)" = "sip:alice@127.0.0.1:$PHONE" ] || fail "best binding: $(header_of "$i" X-Ruri)"
[ "$(header_of "$i" X-Du)" = none ] || fail "a binding at its source got a du: $(header_of "$i" X-Du)"
grep -q "sip:alice@10.9.8.7:5062|0.5|true" <<<"$(header_of "$i" X-Bindings)" || fail "natted flag: $(header_of "$i" X-Bindings)"
grep -q "sip:alice@127.0.0.1:$PHONE|nil|false" <<<"$(header_of "$i" X-Bindings)" || fail "not natted: $(header_of "$i" X-Bindings)"

# the AOR ignores port and host case; a query (no Contact) lists both
r=$(register 2 "To: <SIP:alice@LOCALHOST>")
[ "$(status "$r")" = "SIP/2.0 200 OK" ] || fail "query: $(status "$r")"
[ "$(contacts "$r" | wc -l)" = 2 ] || fail "a query does not list the 2 bindings: $(contacts "$r")"

# an older CSeq with the same Call-ID: 500, nothing changes
r=$(register 1 "$TO" "Contact: <sip:alice@127.0.0.1:$PHONE>;expires=0")
[[ $(status "$r") == "SIP/2.0 500 "* ]] || fail "older CSeq: $(status "$r")"
[ "$(contacts "$(register 3 "$TO")" | wc -l)" = 2 ] || fail "an out-of-order REGISTER changed the bindings"

# 423 with Min-Expires; max_expires caps
r=$(register 4 "$TO" "Contact: <sip:alice@192.0.2.1>;expires=1")
[[ $(status "$r") == "SIP/2.0 423 "* ]] || fail "expires below min_expires: $(status "$r")"
[ "$(header_of "$r" Min-Expires)" = 2 ] || fail "423 without Min-Expires: 2: $r"
r=$(register 5 "$TO" "Contact: <sip:alice@192.0.2.1>;expires=3600")
grep -qx "<sip:alice@192.0.2.1>;expires=60" <<<"$(contacts "$r")" || fail "max_expires did not cap: $(contacts "$r")"
# max_contacts 3: a fourth is refused
r=$(register 6 "$TO" "Contact: <sip:alice@192.0.2.2>")
[[ $(status "$r") == "SIP/2.0 503 "* ]] || fail "a 4th contact over max_contacts=3: $(status "$r")"
# expires=0 removes one
r=$(register 7 "$TO" "Contact: <sip:alice@192.0.2.1>;expires=0")
[ "$(contacts "$r" | wc -l)" = 2 ] || fail "expires=0 did not remove the binding: $(contacts "$r")"

# Contact: * needs Expires: 0
r=$(register 8 "$TO" "Contact: *" "Expires: 5")
[[ $(status "$r") == "SIP/2.0 400 "* ]] || fail "Contact: * with Expires 5: $(status "$r")"
r=$(register 9 "$TO" "Contact: *" "Expires: 0")
[ "$(status "$r")" = "SIP/2.0 200 OK" ] && [ -z "$(contacts "$r")" ] || fail "Contact: * did not remove all: $r"
[ "$(header_of "$(inspect ruri)" X-Found)" = false ] || fail "lookup after Contact: * still finds a binding"

# RFC 5626: the same instance and reg-id replaces the binding, whatever the Contact URI
INST='"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>"'
CID=inst-1
r=$(register 1 "To: <sip:bob@127.0.0.1>" "Contact: <sip:bob@192.0.2.10:5060>;+sip.instance=$INST;reg-id=1")
CID=inst-2
free_port BOBPHONE
r=$(register --lport "$BOBPHONE" 1 "To: <sip:bob@127.0.0.1>" "Contact: <sip:bob@192.0.2.11:5070>;+sip.instance=$INST;reg-id=1")
c=$(contacts "$r")
[ "$(wc -l <<<"$c")" = 1 ] && grep -q "192.0.2.11:5070" <<<"$c" || fail "the instance did not replace its binding: $c"
grep -q 'reg-id=1' <<<"$c" && grep -q 'urn:uuid:00000000-0000-1000-8000-000A95A0E128' <<<"$c" ||
    fail "instance/reg-id not echoed: $c"
# bob is behind a NAT (Contact 192.0.2.11:5070, REGISTER from 127.0.0.1:BOBPHONE): sent to the source
i=$(inspect bob)
[ "$(header_of "$i" X-Ruri)" = "sip:bob@192.0.2.11:5070" ] || fail "natted R-URI: $i"
[ "$(header_of "$i" X-Du)" = "sip:127.0.0.1:$BOBPHONE" ] || fail "a natted binding is not sent to its source: $i"

# Path: stored, echoed, used as the Route set
CID=path-1
r=$(register 1 "To: <sip:carol@127.0.0.1>" "Contact: <sip:carol@192.0.2.20:5060>" "Path: <sip:edge.example.com:5099;lr>")
[ "$(header_of "$r" Path)" = "<sip:edge.example.com:5099;lr>" ] || fail "Path not echoed in the 200: $r"
i=$(inspect carol)
[ "$(header_of "$i" X-Route)" = "<sip:edge.example.com:5099;lr>" ] || fail "Path not used as Route: $i"
[ "$(header_of "$i" X-Du)" = "sip:edge.example.com:5099;lr" ] || fail "Path's first hop is not the next hop: $i"
[ "$(header_of "$i" X-Ruri)" = "sip:carol@192.0.2.20:5060" ] || fail "R-URI with Path: $i"

# HTTP API and metrics
expect_http 200 "GET /api/registrar" /api/registrar
python3 - "$HTTP_BODY" <<'PY' || fail "GET /api/registrar: $HTTP_BODY"
import json, sys
d = {a["aor"]: a["bindings"] for a in json.loads(sys.argv[1])["aors"]}
assert set(d) == {"bob", "carol"}, d
b = d["carol"][0]
assert b["path"] == "<sip:edge.example.com:5099;lr>" and b["received"].startswith("sip:127.0.0.1:"), b
assert 0 < b["expires"] <= 30 and d["bob"][0]["reg_id"] == 1, d
PY
expect_http 200 "GET /metrics" /metrics
grep -qx 'lunasip_registrar_aors 2' <<<"$HTTP_BODY" || fail "metrics: aors: $(grep registrar <<<"$HTTP_BODY")"
grep -qx 'lunasip_registrar_bindings 2' <<<"$HTTP_BODY" || fail "metrics: bindings"
grep -qE '^lunasip_registrar_registrations_total\{result="refused"\} 4$' <<<"$HTTP_BODY" || fail "metrics: refused"
expect_http 200 "DELETE bob" -X DELETE /api/registrar/bob
expect_http 404 "DELETE bob again" -X DELETE /api/registrar/bob

# a reload keeps the bindings
expect_http 200 "POST /api/reload" -X POST /api/reload
[ "$(header_of "$(inspect carol)" X-Found)" = true ] || fail "the reload lost carol's binding"

# expiry on the timer
CID=exp-1
r=$(register 1 "To: <sip:dave@127.0.0.1>" "Contact: <sip:dave@192.0.2.30>;expires=2")
[ "$(status "$r")" = "SIP/2.0 200 OK" ] || fail "dave: $(status "$r")"
for _ in $(seq 40); do grep -q 'dave: binding sip:dave@192.0.2.30 expired' "$SERVER_LOG" && break; sleep 0.1; done
assert_log 'dave: binding sip:dave@192.0.2.30 expired' "the expiry of dave's binding"
expect_http 200 "GET /api/registrar" /api/registrar
grep -q dave <<<"$HTTP_BODY" && fail "an expired binding is still listed: $HTTP_BODY"

server_alive
stop_server
pass
