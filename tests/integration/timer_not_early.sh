#!/usr/bin/env bash
# Timers never fire early (issue 10): sip.sleep(50) and sip.after(50, fn) take at least 50 ms
# from the call, measured on the log's millisecond timestamps, in 70 samples taken while the
# loop is busy. libevent counts a timer from the time cached at the start of the loop pass (and
# by default reads a coarse clock, 4 ms steps here): a timer armed late in a long pass fired
# up to the length of the pass too early.
. "$(dirname "$0")/lib/common.sh"

free_port PORT
start_server "$SCRIPT_DIR/timer_not_early.lua" -l "udp:127.0.0.1:$PORT"
for ((i = 0; i < 200; i++)); do
    grep -q 'sleeps done' "$SERVER_LOG" && [ "$(grep -c 'after [0-9]* end' "$SERVER_LOG")" -eq 30 ] && break
    sleep 0.1
done
grep -q 'sleeps done' "$SERVER_LOG" || fail "the sleeping coroutine did not finish"

# "2026-11-30T01:59:16.123Z INFO [lua] sleep 3 start" -> kind, sample, start/end, ms of the day
python3 - "$SERVER_LOG" <<'PY' || fail "a timer fired early (above)"
import re, sys
t = {}
for line in open(sys.argv[1]):
    m = re.match(r'\S+T(\d+):(\d+):(\d+)\.(\d+)Z INFO \[lua\] (sleep|after) (\d+) (start|end)$', line.strip())
    if m:
        h, mi, s, ms, kind, i, what = m.groups()
        t[(kind, int(i), what)] = ((int(h) * 60 + int(mi)) * 60 + int(s)) * 1000 + int(ms)
bad, n, short = [], 0, []
for (kind, i, what), v in sorted(t.items()):
    if what != 'start':
        continue
    end = t.get((kind, i, 'end'))
    if end is None:
        bad.append('%s %d never ended' % (kind, i))
        continue
    n += 1
    d = (end - v) % 86400000
    short.append(d)
    if d < 50:
        bad.append('%s %d: %d ms' % (kind, i, d))
print('samples: %d, shortest %s ms' % (n, min(short) if short else '?'))
if n != 70:
    bad.append('%d samples instead of 70' % n)
for b in bad:
    print('early: ' + b)
sys.exit(1 if bad else 0)
PY
server_alive
stop_server
pass
