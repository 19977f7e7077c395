#!/usr/bin/env bash
# Digest authentication, server side (the auth unit, scripts/auth.lua): a REGISTER from sipp
# answers the 401 with [authentication] and is accepted; a wrong password gets 401 again;
# SHA-256 and MD5 challenges are both offered and both accepted (python client); secrets as
# a plain password, an HA1, a table and a function that waits; a nonce that was tampered with
# is refused ("bad nonce") and an expired one gets stale=true; other methods get 407 /
# Proxy-Authenticate; auth.consume removes exactly the checked credentials.
. "$(dirname "$0")/lib/common.sh"
DIGEST=$IT_DIR/lib/sip_digest.py

# bad parameters stop the start (checked with -c)
for bad in 'algorithms = { "SHA-1" }' 'algorithms = {}' 'nonce_expires = 0' 'nonce = 1'; do
    printf 'config = { units = { auth = { %s } } }\nfunction on_request(msg) end\n' "$bad" >"$T/bad.lua"
    out=$("$LUNASIP_BIN" -c -f "$T/bad.lua" ${LUNASIP_UNITS:+-U "$LUNASIP_UNITS"} 2>&1) && fail "auth accepted { $bad }"
    grep -q auth <<<"$out" || fail "the refusal of { $bad } does not name the unit: $out"
done

free_port PORT
AUTH_NONCE_EXPIRES=1 start_server "$SCRIPT_DIR/auth.lua" -l "udp:127.0.0.1:$PORT"
assert_log 'unit auth|\[auth\]|loaded.*auth|auth' "the auth unit loaded"

# digest ARGS... < MESSAGE: run the python client, output kept in $T/digest.log
digest() { python3 "$DIGEST" --port "$PORT" "$@" | tee -a "$T/digest.log"; }
finals() { grep -E '^SIP/2\.0 [0-9]{3}' | tr -d '\r'; }

# the challenge itself: 401 for REGISTER, MD5 and SHA-256, qop=auth, no stale
out=$(sip_request REGISTER "sip:127.0.0.1:$PORT" "To: <sip:carol@127.0.0.1>" | sip_send_raw udp "$PORT" --timeout 3)
[[ $(status_line "$out") == "SIP/2.0 401 "* ]] || fail "REGISTER without credentials: $(status_line "$out")"
chal=$(grep -i '^WWW-Authenticate:' <<<"$out" | tr -d '\r')
[ "$(wc -l <<<"$chal")" = 2 ] || fail "expected two challenges (MD5, SHA-256): $chal"
grep -q 'algorithm=MD5' <<<"$chal" && grep -q 'algorithm=SHA-256' <<<"$chal" || fail "challenges: $chal"
grep -q 'qop="auth"' <<<"$chal" || fail "no qop=auth: $chal"
grep -q 'realm="lab"' <<<"$chal" || fail "no realm: $chal"
grep -q stale <<<"$chal" && fail "stale in a first challenge: $chal"
assert_log 'auth: refused REGISTER: no credentials' "the reason for no credentials"

# sipp answers the challenge ([authentication]); the right password: 200
run_uac "$SIPP_DIR/reg_register_auth.xml" "127.0.0.1:$PORT" -au carol -ap plain-pw -key user carol -key expires 60 ||
    fail "sipp REGISTER with authentication failed (sipp exit $?)"
[ "$(sip_count "$T/uac_msg.log" '^SIP/2.0 200')" = 1 ] || fail "sipp's authenticated REGISTER was not accepted"
assert_log 'auth: accepted carol consumed=true left=nil' "carol accepted, credentials consumed"
# a wrong password: 401 again, reason logged
mv "$T/uac_msg.log" "$T/uac_msg_ok.log"
run_uac "$SIPP_DIR/reg_register_auth.xml" "127.0.0.1:$PORT" -au carol -ap wrong -key user carol -key expires 60 ||
    fail "sipp REGISTER with a wrong password: scenario failed (sipp exit $?)"
[ "$(sip_count "$T/uac_msg.log" '^SIP/2.0 401')" = 2 ] || fail "a wrong password did not get 401 again"
assert_log 'auth: refused REGISTER: bad password' "the reason for a wrong password"

# both algorithms, every kind of secret
for alg in MD5 SHA-256; do
    got=$(sip_request REGISTER "sip:127.0.0.1:$PORT" "X-Secret: function" | digest --alg $alg --user alice --password wonderland | finals)
    [ "$(sed -n 2p <<<"$got")" = "SIP/2.0 200 OK" ] || fail "$alg, secret from a waiting function: $got"
    got=$(sip_request REGISTER "sip:127.0.0.1:$PORT" "X-Secret: function" | digest --alg $alg --user alice --password nope | finals)
    [[ $(sed -n 2p <<<"$got") == "SIP/2.0 401 "* ]] || fail "$alg, wrong password, waiting function: $got"
    got=$(sip_request REGISTER "sip:127.0.0.1:$PORT" "X-Secret: function" | digest --alg $alg --user mallory --password x | finals)
    [[ $(sed -n 2p <<<"$got") == "SIP/2.0 401 "* ]] || fail "$alg, unknown user: $got"
    got=$(sip_request REGISTER "sip:127.0.0.1:$PORT" "X-Secret: table" | digest --alg $alg --user dave --password table-pw | finals)
    [ "$(sed -n 2p <<<"$got")" = "SIP/2.0 200 OK" ] || fail "$alg, secret table: $got"
done
assert_log 'auth: refused REGISTER: unknown user' "the reason for an unknown user"
got=$(sip_request REGISTER "sip:127.0.0.1:$PORT" "X-Secret: ha1" | digest --alg MD5 --user bob --password builder | finals)
[ "$(sed -n 2p <<<"$got")" = "SIP/2.0 200 OK" ] || fail "MD5 with an HA1 secret: $got"
got=$(sip_request REGISTER "sip:127.0.0.1:$PORT" "X-Secret: ha1" | digest --alg MD5 --user bob --password bilder | finals)
[[ $(sed -n 2p <<<"$got") == "SIP/2.0 401 "* ]] || fail "MD5 with an HA1 secret, wrong password: $got"

# a forged nonce: refused, and the new challenge is not stale
got=$(sip_request REGISTER "sip:127.0.0.1:$PORT" | digest --tamper-nonce --user carol --password plain-pw)
[[ $(finals <<<"$got" | sed -n 2p) == "SIP/2.0 401 "* ]] || fail "a forged nonce was accepted: $(finals <<<"$got")"
assert_log 'auth: refused REGISTER: bad nonce' "the reason for a forged nonce"
[ "$(grep -ci 'stale=true' <<<"$got")" = 0 ] || fail "a forged nonce got stale=true"

# an expired nonce (nonce_expires = 1 s): stale=true in both challenges
got=$(sip_request REGISTER "sip:127.0.0.1:$PORT" | digest --wait 1.6 --user carol --password plain-pw)
[[ $(finals <<<"$got" | sed -n 2p) == "SIP/2.0 401 "* ]] || fail "an expired nonce was accepted: $(finals <<<"$got")"
assert_log 'auth: refused REGISTER: stale' "the reason for an expired nonce"
[ "$(grep -ci '^WWW-Authenticate:.*stale=true' <<<"$got")" = 2 ] || fail "no stale=true after an expired nonce: $got"

# other methods: 407 / Proxy-Authenticate / Proxy-Authorization; consume removes ours only
got=$(sip_request MESSAGE "sip:bob@127.0.0.1:$PORT" "Proxy-Authorization: Digest username=\"x\", realm=\"elsewhere\", nonce=\"n\", uri=\"sip:x\", response=\"0\"" |
      digest --user carol --password plain-pw)
[[ $(finals <<<"$got" | sed -n 1p) == "SIP/2.0 407 "* ]] || fail "MESSAGE without our credentials: $(finals <<<"$got")"
grep -qi '^Proxy-Authenticate: Digest realm="lab"' <<<"$got" || fail "no Proxy-Authenticate in the 407"
[ "$(finals <<<"$got" | sed -n 2p)" = "SIP/2.0 200 OK" ] || fail "MESSAGE with credentials: $(finals <<<"$got")"
assert_log 'auth: accepted carol consumed=true left=Digest username="x", realm="elsewhere"' \
    "consume removing only the credentials for our realm"

server_alive
stop_server
pass
