#!/usr/bin/env bash
# Two JsSIP softphones (npm jssip) in headless Chromium (Debian chromium driven by npm
# playwright-core, fake media devices) register over WSS (a test certificate made here) with
# digest auth to examples/pbx.lua, alice calls bob, bob answers, both see the call confirmed,
# alice hangs up and bob sees the call end (tests/browser/softphones.mjs). Bob's "confirmed" and
# "ended" need the ACK and BYE sent to his xxx.invalid Contact to reach him over his WebSocket.
# The page comes from a small local HTTPS server (python), the JsSIP bundle from esbuild.
# Needs chromium, node and tests/node_modules (cd tests && npm ci); skipped (77) without them.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/certs.sh"
need_tm
for u in auth registrar; do
    [ -f "$LUNASIP_UNITS/$u.so" ] || skip "the $u unit is not built"
done
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || skip "no chromium at $CHROMIUM (apt-get install chromium)"
command -v node >/dev/null || skip "node is not installed (apt-get install nodejs)"
NM=$LUNASIP_SRC/tests/node_modules
for m in jssip playwright-core esbuild; do
    [ -d "$NM/$m" ] || skip "$NM/$m missing: run npm ci in tests/"
done

make_certs "$T/certs"
mkdir -p "$T/www"
"$NM/.bin/esbuild" "$NM/jssip/lib/JsSIP.js" --bundle --format=iife --global-name=JsSIP --log-level=warning \
    --outfile="$T/www/jssip.js" 2>"$T/esbuild_err.log" || fail "cannot bundle JsSIP for the browser"
printf '<!doctype html>\n<title>phone</title>\n<script src="jssip.js"></script>\n' >"$T/www/phone.html"
free_port PORT
free_port WSS
free_port HPORT
free_port WEB
python3 "$IT_DIR/lib/https_peer.py" "$WEB" "$T/certs/server.pem" "$T/certs/server.key" "$T/www" 2>"$T/web_err.log" &
_PIDS+=("$!")
wait_bound tcp "$WEB" 5 || fail "the page's web server did not bind"
export PBX_SIP="udp:127.0.0.1:$PORT" PBX_WSS="wss:127.0.0.1:$WSS" PBX_HTTP="127.0.0.1:$HPORT" \
    PBX_TLS_CERT="$T/certs/server.pem" PBX_TLS_KEY="$T/certs/server.key"
start_server "$EXAMPLES_DIR/pbx.lua" -v

node "$LUNASIP_SRC/tests/browser/softphones.mjs" --page "https://localhost:$WEB/phone.html" \
    --wss "wss://localhost:$WSS" --domain "127.0.0.1:$PORT" --chromium "$CHROMIUM" --timeout 30 >"$T/browser.out" 2>"$T/browser_err.log"
rc=$?
cat "$T/browser.out" >&2
[ $rc -eq 0 ] || fail "the browser call did not complete (softphones.mjs exit $rc)"
for step in "alice: registered" "bob: registered" "alice: confirmed" "bob: confirmed" \
    "alice: ended local" "bob: ended remote Terminated"; do
    grep -qx "$step" "$T/browser.out" || fail "missing step '$step'"
done
curl -s "http://127.0.0.1:$HPORT/api/registrar" >"$T/reg.json"
grep -q '"received":"sip:127.0.0.1:[0-9]*;transport=wss"' "$T/reg.json" ||
    fail "bindings should record the WSS connection: $(cat "$T/reg.json")"
server_alive
stop_server
pass
