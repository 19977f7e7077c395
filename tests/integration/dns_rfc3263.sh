#!/usr/bin/env bash
# Next hops given by domain name, resolved as RFC 3263 says against a local authoritative DNS
# server (lib/dns_server.py) named in config.dns.servers: NAPTR (order, SIP+D2U before SIP+D2T,
# SIPS ignored) -> SRV by priority -> A; a target that does not answer in time (fr_timer) is
# left for the next one; no NAPTR -> SRV; a transport without a port -> that SRV only; a port
# -> A only; a name that does not resolve -> no relay (503); bad config.dns values are refused.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/http.sh"
need_tm

free_port DNS_PORT; free_port DEAD; free_port LIVE; free_port PORT; free_port DEAD2; free_port TLIVE; free_port BUSY
ZONE=$T/zone.json QLOG=$T/queries.log
cat >"$ZONE" <<JSON
{
  "svc.test": [
    {"type": "NAPTR", "order": 20, "pref": 10, "flags": "s", "service": "SIP+D2T", "replacement": "_sip._tcp.svc.test"},
    {"type": "NAPTR", "order": 5, "pref": 10, "flags": "s", "service": "SIPS+D2T", "replacement": "_sips._tcp.svc.test"},
    {"type": "NAPTR", "order": 10, "pref": 10, "flags": "s", "service": "SIP+D2U", "replacement": "_sip._udp.svc.test"}
  ],
  "_sip._udp.svc.test": [
    {"type": "SRV", "priority": 20, "weight": 10, "port": $LIVE, "target": "live.svc.test"},
    {"type": "SRV", "priority": 10, "weight": 10, "port": $DEAD, "target": "dead.svc.test"}
  ],
  "_sip._tcp.svc.test": [{"type": "SRV", "priority": 10, "weight": 10, "port": $DEAD, "target": "dead.svc.test"}],
  "dead.svc.test": [{"type": "A", "addr": "127.0.0.1"}],
  "live.svc.test": [{"type": "A", "addr": "127.0.0.1"}],
  "srvonly.test": [],
  "_sip._udp.srvonly.test": [{"type": "SRV", "priority": 0, "weight": 0, "port": $LIVE, "target": "live.svc.test"}],
  "_sip._udp.udponly.test": [{"type": "SRV", "priority": 0, "weight": 0, "port": $LIVE, "target": "live.svc.test"}],
  "plain.test": [{"type": "A", "addr": "127.0.0.1"}],
  "naptr2.test": [
    {"type": "NAPTR", "order": 20, "pref": 10, "flags": "s", "service": "SIP+D2T", "replacement": "_sip._tcp.naptr2.test"},
    {"type": "NAPTR", "order": 10, "pref": 10, "flags": "s", "service": "SIP+D2U", "replacement": "_sip._udp.naptr2.test"}
  ],
  "_sip._udp.naptr2.test": [{"type": "SRV", "priority": 0, "weight": 0, "port": $DEAD2, "target": "dead.svc.test"}],
  "_sip._tcp.naptr2.test": [{"type": "SRV", "priority": 0, "weight": 0, "port": $TLIVE, "target": "live.svc.test"}],
  "busy.test": [],
  "_sip._udp.busy.test": [
    {"type": "SRV", "priority": 10, "weight": 0, "port": $BUSY, "target": "dead.svc.test"},
    {"type": "SRV", "priority": 20, "weight": 0, "port": $LIVE, "target": "live.svc.test"}
  ]
}
JSON
python3 "$IT_DIR/lib/dns_server.py" --port "$DNS_PORT" --zone "$ZONE" --log "$QLOG" 2>"$T/dns_err.log" &
_PIDS+=("$!")
for ((i = 0; i < 50; i++)); do grep -q READY "$QLOG" 2>/dev/null && break; sleep 0.1; done
grep -q READY "$QLOG" || fail "the DNS server did not start"

export DNS_SERVER="127.0.0.1:$DNS_PORT"
start_sipp_uas live "$SIPP_DIR/dispatcher_uas_options.xml" "$LIVE" -m 100
start_server "$SCRIPT_DIR/dns.lua" -l "udp:127.0.0.1:$PORT" -l "tcp:127.0.0.1:$PORT"

# 1. NAPTR -> SRV priority 10 (nobody answers) -> after fr_timer, priority 20 answers.
python3 "$SIP_RAW" listen --port "$DEAD" --timeout 5 >"$T/dead.txt" &
_PIDS+=("$!")
sleep 0.2
start=$(date +%s%N)
sip_request OPTIONS sip:svc.test | expect_status udp "$PORT" 200 "OPTIONS to sip:svc.test"
ms=$((($(date +%s%N) - start) / 1000000))
grep -q '^OPTIONS sip:svc.test SIP/2.0' "$T/dead.txt" || fail "the priority 10 target did not get the request first"
[ "$ms" -ge 900 ] || fail "answered after $ms ms: the dead target was not waited for"
assert_log "trying the next DNS target sip:127.0.0.1:$LIVE;transport=udp" "the failover line"
grep -q '^svc.test NAPTR$' "$QLOG" || fail "no NAPTR query: $(cat "$QLOG")"
grep -q '^_sip._udp.svc.test SRV$' "$QLOG" || fail "no SRV query for the SIP+D2U NAPTR"
grep -q '_sips' "$QLOG" && fail "the SIPS NAPTR was followed"

# 2. No NAPTR: SRV for UDP.
sip_request OPTIONS sip:srvonly.test | expect_status udp "$PORT" 200 "OPTIONS to sip:srvonly.test"
grep -q '^_sip._udp.srvonly.test SRV$' "$QLOG" || fail "no SRV query after an empty NAPTR answer"

# 3. A transport and no port: SRV for it only, no NAPTR.
sip_request OPTIONS 'sip:udponly.test;transport=udp' | expect_status udp "$PORT" 200 "OPTIONS to sip:udponly.test;transport=udp"
grep -q '^udponly.test NAPTR$' "$QLOG" && fail "NAPTR asked although the URI names a transport"
grep -q '^_sip._udp.udponly.test SRV$' "$QLOG" || fail "no SRV query for udponly.test"

# 4. A port: A only. Stateless forwarding resolves the same way.
sip_request OPTIONS "sip:plain.test:$LIVE" | expect_status udp "$PORT" 200 "OPTIONS to sip:plain.test:$LIVE"
sip_request OPTIONS "sip:plain.test:$LIVE" "X-Stateless: 1" | expect_status udp "$PORT" 200 "stateless OPTIONS to plain.test"
grep -q '^plain.test A$' "$QLOG" || fail "no A query for plain.test"
grep -qE '^(_sip\._udp\.)?plain.test (NAPTR|SRV)$' "$QLOG" && fail "NAPTR/SRV asked although the URI has a port"

# 5a. Every NAPTR record in order: the SIP+D2U target does not answer in time, the SIP+D2T
# (order 20) one takes the request over TCP.
python3 "$SIP_RAW" listen --port "$DEAD2" --timeout 5 >"$T/dead2.txt" &
_PIDS+=("$!")
python3 "$SIP_RAW" listen --proto tcp --port "$TLIVE" --reply 200 --timeout 8 >"$T/tlive.txt" &
_PIDS+=("$!")
wait_bound udp "$DEAD2" && wait_bound tcp "$TLIVE" || fail "the raw peers did not bind"
sip_request OPTIONS sip:naptr2.test | expect_status udp "$PORT" 200 "OPTIONS to sip:naptr2.test (second NAPTR)"
grep -q '^OPTIONS sip:naptr2.test SIP/2.0' "$T/dead2.txt" || fail "the SIP+D2U target did not get the request first"
grep -q '^OPTIONS sip:naptr2.test SIP/2.0' "$T/tlive.txt" || fail "the SIP+D2T target did not get the request"
grep -qi '^Via: SIP/2.0/TCP ' "$T/tlive.txt" || fail "the SIP+D2T target was not reached over TCP: $(cat "$T/tlive.txt")"
assert_log "no reply in time from 127.0.0.1:$DEAD2: trying the next DNS target sip:127.0.0.1:$TLIVE;transport=tcp" \
    "the failover to the second NAPTR record"

# 5b. A 503 from the first SRV target goes on to the next (RFC 3263 §4.3); without NAPTR both
# transports' SRV names are asked.
python3 "$SIP_RAW" listen --port "$BUSY" --reply 503 --timeout 5 >"$T/busy.txt" &
_PIDS+=("$!")
wait_bound udp "$BUSY" || fail "the 503 peer did not bind"
sip_request OPTIONS sip:busy.test | expect_status udp "$PORT" 200 "OPTIONS to sip:busy.test (503, then the next target)"
grep -q '^OPTIONS sip:busy.test SIP/2.0' "$T/busy.txt" || fail "the priority 10 target did not get the request first"
assert_log "503 from 127.0.0.1:$BUSY: trying the next DNS target sip:127.0.0.1:$LIVE;transport=udp" "the 503 failover"
grep -q '^_sip._tcp.busy.test SRV$' "$QLOG" || fail "the TCP SRV name was not asked after the UDP one had records"

# 5. A name that does not resolve.
sip_request OPTIONS sip:nosuch.test | expect_status udp "$PORT" 503 "OPTIONS to a name that does not resolve"
server_alive
stop_server

# 6. Bad config.dns values stop -c (and start-up) with the reason.
for bad in 'servers = { "not an address" }' 'servers = { 53 }' 'timeout = 0' 'tries = "x"'; do
    printf 'config = { dns = { %s } }\n' "$bad" >"$T/bad.lua"
    out=$("$LUNASIP_BIN" -c -f "$T/bad.lua"); rc=$?
    [ $rc -eq 1 ] && [[ $out == *"config.dns."* ]] || fail "-c with config.dns { $bad }: rc=$rc: $out"
done
pass
