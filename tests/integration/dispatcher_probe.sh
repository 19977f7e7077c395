#!/usr/bin/env bash
# Probing with tm (ping_interval 1 s, ping_timeout 300 ms, probing_threshold 2,
# inactive_threshold 3): two destinations flagged P answer OPTIONS and stay up (latency listed);
# one stops answering and goes inactive
# (IP) after two failed probes, priority selection moves to the other; once it answers again it
# is active after three answered probes (inactive_threshold), not before, and chosen again.
# Metrics show up/down and probe counters.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/http.sh"
need_tm

free_port U1; free_port U2
export DS_LIST=$T/dispatcher.list
export DS_PARAMS="ping_interval = 1, ping_timeout = 300, probing_threshold = 2, inactive_threshold = 3, ping_from = 'sip:prober@lunasip.test'"
printf '1 sip:127.0.0.1:%s AP 10\n1 sip:127.0.0.1:%s 8 5 ping_from=sip:other@lunasip.test\n' "$U1" "$U2" >"$DS_LIST"
start_sipp_uas uas1 "$SIPP_DIR/dispatcher_uas_options.xml" "$U1" -m 1000
start_sipp_uas uas2 "$SIPP_DIR/dispatcher_uas_options.xml" "$U2" -m 1000
start_http "$SCRIPT_DIR/dispatcher.lua"

# flags of destination $1 (port) in GET /api/dispatcher
flags_of() {
    hcurl /api/dispatcher
    python3 -c 'import json,sys
for s in json.loads(sys.argv[1])["sets"]:
    for d in s["destinations"]:
        if d["uri"].endswith(":" + sys.argv[2]): print(d["flags"], d["latency_ms"])' "$HTTP_BODY" "$1"
}
wait_flags() {   # wait_flags PORT FLAGS SECS
    local i
    for ((i = 0; i < $3 * 10; i++)); do
        [[ $(flags_of "$1") == "$2 "* ]] && return 0
        sleep 0.1
    done
    fail "destination $1 not $2 after $3 s: $(flags_of "$1")"
}
selected() { hcurl "/select?alg=priority"; json_get "$HTTP_BODY" du; }

sleep 2.5
wait_flags "$U1" AP 2
[[ $(flags_of "$U1") == "AP "[0-9]* ]] || fail "no probe latency listed: $(flags_of "$U1")"
wait_flags "$U2" AP 2
hcurl /metrics
lat=$(awk -v n="lunasip_dispatcher_probe_latency_seconds{set=\"1\",uri=\"sip:127.0.0.1:$U2\"}" '$1 == n { print $2 }' <<<"$HTTP_BODY")
ms=$(flags_of "$U2" | awk '{ print $2 }')
python3 -c 'import sys; l, ms = float(sys.argv[1]), float(sys.argv[2]); sys.exit(not (0 < l < 1 and abs(l * 1e3 - ms) < 1000))' "${lat:-0}" "${ms:-0}" ||
    fail "probe latency metric '${lat}' s (API: ${ms} ms): $(grep probe_latency <<<"$HTTP_BODY")"
[ "$(selected)" = "sip:127.0.0.1:$U1" ] || fail "priority did not choose the first destination"
n=$(sip_count "$T/uas1_msg.log" '^OPTIONS ')
[ "$n" -ge 2 ] || fail "the first destination got $n probes in 2.5 s"
grep -q 'From: <sip:prober@lunasip.test>' "$T/uas1_msg.log" || fail "ping_from not used"
grep -q 'From: <sip:other@lunasip.test>' "$T/uas2_msg.log" || fail "the ping_from attribute not used"

stop_sipp_uas uas1
wait_flags "$U1" IP 5
assert_log "127.0.0.1:$U1 is down after 2 failed probe" "the down warning"
[ "$(selected)" = "sip:127.0.0.1:$U2" ] || fail "selection did not move to the second destination"
hcurl /metrics
grep -q "lunasip_dispatcher_destination_up{set=\"1\",uri=\"sip:127.0.0.1:$U1\"} 0" <<<"$HTTP_BODY" || fail "metrics: $HTTP_BODY"
grep -qE '^lunasip_dispatcher_probes_failed_total [1-9]' <<<"$HTTP_BODY" || fail "no failed probes counted"
grep -qE '^lunasip_dispatcher_probes_total [1-9]' <<<"$HTTP_BODY" || fail "no probes counted"

start_sipp_uas uas1b "$SIPP_DIR/dispatcher_uas_options.xml" "$U1" -m 1000
# back only after inactive_threshold (3) answered probes: never AP while it answered fewer
for ((i = 0; i < 80; i++)); do
    f=$(flags_of "$U1")
    n=$(sip_count "$T/uas1b_msg.log" '^OPTIONS ')   # read after the flags: never fewer than then
    [[ $f == "AP "* ]] && break
    [[ $f == "IP "* ]] || fail "destination $U1 is '$f' while coming back (expected IP, then AP)"
    sleep 0.1
done
[[ $f == "AP "* ]] || fail "destination $U1 not AP 8 s after it answers again: $f"
[ "$n" -ge 3 ] || fail "destination $U1 active again after $n answered probes (inactive_threshold = 3)"
assert_log "127.0.0.1:$U1 is up again" "the up message"
[ "$(selected)" = "sip:127.0.0.1:$U1" ] || fail "selection did not come back to the first destination"
hcurl /metrics
grep -q "lunasip_dispatcher_destination_up{set=\"1\",uri=\"sip:127.0.0.1:$U1\"} 1" <<<"$HTTP_BODY" || fail "metrics: $HTTP_BODY"
server_alive
stop_server
pass
