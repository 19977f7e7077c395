#!/usr/bin/env bash
# Reading a name that is neither a field nor a method of msg or req raises an error that names
# it and suggests the close names (edit distance); fields that exist but are empty stay nil.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/http.sh"

cat >"$T/fields.lua" <<'LUA'
config = { http = { listen = os.getenv("HTTP_LISTEN") } }
local function err_of(f) local ok, e = pcall(f) return ok and "no error" or e end
function on_request(msg)
  if msg.method == "OPTIONS" then
    -- fields that exist and have no value on this request: nil, no error
    local empty = string.format("status=%s du=%s to_tag=%s reason=%s", tostring(msg.status),
      tostring(msg.du), tostring(msg.to_tag), tostring(msg.reason))
    local body = empty .. "\n" .. err_of(function() return msg.rui end) .. "\n"
      .. err_of(function() return msg.callid end) .. "\n"
      .. err_of(function() return msg.zzzzzzzz end) .. "\n"
      .. err_of(function() return msg:apend_header("X", "y") end) .. "\n"
    msg:reply(200, "OK", { ["Content-Type"] = "text/plain" }, body)
  else
    local x = msg.form_tag   -- uncaught: a 500 and a logged error
    msg:reply(200, tostring(x))
  end
end
function on_http(req)
  if req.path == "/caught" then
    req:reply(200, err_of(function() return req.paht end) .. "\n"
      .. err_of(function() return req.querry end) .. "\n"
      .. err_of(function() return req.cal_id end) .. "\n"
      .. "query=" .. type(req.query) .. " ruri=" .. tostring(req.ruri ~= nil) .. " to_tag=" .. tostring(req.to_tag))
  else
    req:reply(200, req.bodyy)
  end
end
LUA
start_http "$T/fields.lua"

out=$(sip_request OPTIONS "sip:127.0.0.1:$PORT" | sip_send_raw udp "$PORT" --timeout 3)
[[ $(status_line "$out") == "SIP/2.0 200 OK" ]] || fail "OPTIONS: $(status_line "$out")"
grep -q 'status=nil du=nil to_tag=nil reason=nil' <<<"$out" ||
    fail "fields without a value did not read as nil: $out"
grep -q 'fields.lua:[0-9]*: msg.rui: no such field or method (did you mean ruri?)' <<<"$out" ||
    fail "msg.rui: $out"
grep -q 'msg.callid: no such field or method (did you mean call_id?)' <<<"$out" || fail "msg.callid: $out"
grep -qx 'fields.lua:[0-9]*: msg.zzzzzzzz: no such field or method' <<<"$(tr -d '\r' <<<"$out" | sed 's/^.*\(fields.lua\)/\1/')" ||
    fail "a name close to nothing: $out"
grep -q 'msg.apend_header: no such field or method (did you mean append_header?)' <<<"$out" ||
    fail "a misspelt method: $out"

out=$(sip_request INFO "sip:127.0.0.1:$PORT" | sip_send_raw udp "$PORT" --timeout 3)
[[ $(status_line "$out") == "SIP/2.0 500 "* ]] || fail "an uncaught unknown field: $(status_line "$out")"
assert_log 'ERROR \[lua\].*fields.lua:[0-9]+: msg.form_tag: no such field or method \(did you mean .*from_tag.*\?\)' \
    "the route error naming msg.form_tag"

expect_http 200 "req fields" /caught
grep -q 'req.paht: no such field or method (did you mean path?)' <<<"$HTTP_BODY" || fail "req.paht: $HTTP_BODY"
grep -q 'req.querry: no such field or method (did you mean query?)' <<<"$HTTP_BODY" || fail "req.querry: $HTTP_BODY"
grep -q 'req.cal_id: no such field or method (did you mean call_id?)' <<<"$HTTP_BODY" || fail "req.cal_id: $HTTP_BODY"
grep -q 'query=table ruri=true to_tag=nil' <<<"$HTTP_BODY" || fail "req fields that exist: $HTTP_BODY"
expect_http 500 "an uncaught unknown req field" /other
assert_log 'ERROR \[lua\].*req.bodyy: no such field or method \(did you mean body\?\)' "the route error naming req.bodyy"

server_alive
stop_server
pass
