#!/usr/bin/env bash
# The SIP corpus (tests/data/sip): tricky-but-valid messages are relayed byte for byte apart
# from the proxy's own edits, invalid ones get their code (on the TCP connection they came on),
# through the stateless and the stateful proxy, over UDP and TCP (lib/sip_corpus.py).
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
    server_alive
    stop_server
done
pass
