#!/usr/bin/env bash
# The SIP corpus (tests/data/sip): tricky-but-valid messages are relayed byte for byte apart
# from the proxy's own edits, invalid ones get their code (on the TCP connection they came on),
# through the stateless and the stateful proxy, over UDP and TCP (lib/sip_corpus.py).
# Then rounds of randomly broken corpus messages: the server keeps serving, and no input may
# grow its memory (stateless: RSS after the third round not above the second; under the
# sanitizer build LeakSanitizer checks every allocation at exit, in both modes).
. "$(dirname "$0")/lib/common.sh"

CORPUS=$LUNASIP_SRC/tests/data/sip
for mode in stateless stateful; do
    [ "$mode" = stateful ] && need_tm
    free_port PORT
    free_port SINK_PORT
    export SINK_PORT CORPUS_STATEFUL=$([ "$mode" = stateful ] && echo 1 || echo 0)
    start_server "$SCRIPT_DIR/corpus.lua" -l "udp:127.0.0.1:$PORT" -l "tcp:127.0.0.1:$PORT"
    for proto in udp tcp; do
        python3 "$IT_DIR/lib/sip_corpus.py" --port "$PORT" --sink-port "$SINK_PORT" --proto "$proto" "$CORPUS" \
            >"$T/corpus-$mode-$proto.log" 2>&1 || { cat "$T/corpus-$mode-$proto.log" >&2; fail "$mode $proto: corpus cases failed"; }
        log "$mode $proto: $(grep -c '^ok' "$T/corpus-$mode-$proto.log") cases ok"
    done
    rss=()
    for seed in 1 2 3; do
        python3 "$IT_DIR/lib/sip_corpus.py" --port "$PORT" --sink-port "$SINK_PORT" --proto udp --mutate 3000 \
            --seed "$seed" "$CORPUS" >"$T/fuzz-$mode-$seed.log" 2>&1 ||
            { cat "$T/fuzz-$mode-$seed.log" >&2; fail "$mode: not serving after mutated messages (seed $seed)"; }
        rss+=("$(awk '/^VmRSS/ {print $2}' "/proc/$SERVER_PID/status")")
    done
    log "$mode: RSS after each round of 3000 mutated messages: ${rss[*]} kB"
    if [ "$mode" = stateless ] && ! ldd "$LUNASIP_BIN" | grep -q libasan; then
        [ "${rss[2]}" -le $((rss[1] + 256)) ] || fail "RSS grew from ${rss[1]} to ${rss[2]} kB over a round of bad input"
    fi
    server_alive
    stop_server
done
pass
