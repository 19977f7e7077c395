#!/usr/bin/env bash
# 50 HTTP requests at once, each route sleeping 200 ms: all 50 are answered, in well under the
# time they would take one after another (a third of 50 times one request's time), each with
# its own Call-ID (and From tag), so no two requests are ever taken for one.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/http.sh"

N=50 MS=200
start_http "$SCRIPT_DIR/http_routes.lua"
mkdir -p "$T/out"
# One request alone: what each of the burst would cost if they ran one after another.
t0=$(date +%s%N)
expect_http 200 "one request" -X POST "/test?ms=$MS"
one_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$one_ms" -ge "$MS" ] || fail "the route slept $MS ms but answered in $one_ms ms"
serial_ms=$((N * one_ms))
pids=()
t0=$(date +%s%N)
for i in $(seq 1 $N); do
    curl -s --max-time 60 -X POST -o "$T/out/$i" -w '%{http_code}\n' "http://127.0.0.1:$HTTP_PORT/test?ms=$MS" >"$T/out/$i.code" &
    pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
burst_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
log "$N requests sleeping $MS ms: $burst_ms ms at once, $serial_ms ms one after another"
# The sleeps overlap: the burst takes a fraction of the serial time (a route blocking the loop
# would take all of it).
[ $((burst_ms * 3)) -lt "$serial_ms" ] ||
    fail "the burst took $burst_ms ms, over a third of the serial time ($serial_ms ms): the routes did not run at once"
ok=$(cat "$T"/out/*.code | grep -c '^200$')
[ "$ok" = $N ] || fail "only $ok of $N requests got 200"
python3 - "$T/out" "$N" <<'PY' || fail "the replies do not each carry their own Call-ID and From tag"
import json, sys
bodies = [json.load(open(f"{sys.argv[1]}/{i}")) for i in range(1, int(sys.argv[2]) + 1)]
for key in ("call_id", "from_tag"):
    distinct = {b[key] for b in bodies if b.get(key)}
    if len(distinct) != len(bodies):
        sys.exit(f"{len(distinct)} distinct {key} for {len(bodies)} requests")
PY
expect_http 200 "/health after the burst" /health
stop_server
pass
