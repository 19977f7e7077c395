#!/usr/bin/env bash
# The built-in status page (GET /, core/http/status.html embedded in the binary) in headless
# Chromium (tests/browser/status_page.mjs, npm playwright-core): served without the token as one
# self-contained HTML file (no external URL), it asks for the token once (kept in localStorage:
# a reload does not ask again), shows uptime, calls per second, live transactions, the
# dispatcher destinations with state and probe latency, the registrations, with no console
# error; when the first destination's UAS stops, the page shows it down, the other still up.
# Needs chromium, node and tests/node_modules (cd tests && npm ci); skipped (77) without them.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/http.sh"
need_tm
[ -f "$LUNASIP_UNITS/registrar.so" ] || skip "the registrar unit is not built"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || skip "no chromium at $CHROMIUM (apt-get install chromium)"
command -v node >/dev/null || skip "node is not installed (apt-get install nodejs)"
[ -d "$LUNASIP_SRC/tests/node_modules/playwright-core" ] || skip "tests/node_modules/playwright-core missing: run npm ci in tests/"

free_port U1; free_port U2
printf '1 sip:127.0.0.1:%s AP 10\n1 sip:127.0.0.1:%s AP 5\n' "$U1" "$U2" >"$T/dispatcher.list"
cat >"$T/status.lua" <<LUA
config = {
  http = { listen = os.getenv("HTTP_LISTEN"), token = "s3cret" },
  units = {
    tm = {},
    registrar = {},
    dispatcher = { list = "$T/dispatcher.list", ping_interval = 1, ping_timeout = 300, probing_threshold = 2 },
  },
}
function on_request(msg)
  if msg.method == "REGISTER" then return registrar.save(msg) end
  msg:reply(404)
end
LUA
start_sipp_uas uas1 "$SIPP_DIR/dispatcher_uas_options.xml" "$U1" -m 1000
start_sipp_uas uas2 "$SIPP_DIR/dispatcher_uas_options.xml" "$U2" -m 1000
start_http "$T/status.lua"

expect_http 200 "GET / without the token" /
[[ $HTTP_BODY == '<!doctype html>'* ]] || fail "GET / is not the HTML page: ${HTTP_BODY:0:80}"
grep -qiE '(src|href)="(https?:)?//' <<<"$HTTP_BODY" && fail "the status page loads something from elsewhere"
hcurl -I /
expect_http 401 "the API still needs the token" /api/units

sip_request REGISTER "sip:127.0.0.1:$PORT" "To: <sip:alice@127.0.0.1>" "From: <sip:alice@127.0.0.1>;tag=r1" \
    "Contact: <sip:alice@127.0.0.1:5099>" "Expires: 600" | expect_status udp "$PORT" 200 "REGISTER"

node "$LUNASIP_SRC/tests/browser/status_page.mjs" --url "http://127.0.0.1:$HTTP_PORT/?interval=0.3" --token s3cret \
    --down-uri "sip:127.0.0.1:$U1" --up-uri "sip:127.0.0.1:$U2" --aor alice \
    --chromium "$CHROMIUM" --timeout 20 >"$T/browser.out" 2>"$T/browser_err.log" &
BROWSER=$!
_PIDS+=("$BROWSER")
for _ in $(seq 300); do
    grep -q '^READY\|^FAILED' "$T/browser.out" && break
    kill -0 "$BROWSER" 2>/dev/null || break
    sleep 0.1
done
grep -q '^READY' "$T/browser.out" || { cat "$T/browser.out" "$T/browser_err.log" >&2; fail "the page never showed both destinations up"; }
log "$(grep '^READY' "$T/browser.out")"
stop_sipp_uas uas1
wait "$BROWSER"
rc=$?
[ $rc -eq 0 ] && grep -q '^DOWN down' "$T/browser.out" ||
    { cat "$T/browser.out" "$T/browser_err.log" >&2; fail "the page did not show the stopped destination down without errors (node exit $rc)"; }
server_alive
stop_server
pass
