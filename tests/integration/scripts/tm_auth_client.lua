-- Client side digest in tm (tests/integration/tm_auth_client.sh): every SIP request is relayed
-- to AUTH_UPSTREAM (a server that challenges) with tm.relay{auth = ...}; POST /send makes a
-- MESSAGE there with tm.request{auth = ...} and answers {"status":..,"user":..} (the X-Auth
-- header of the final reply). User carol, password AUTH_PW.
config = {
  log   = { level = "info" },
  http  = { listen = os.getenv("HTTP_LISTEN") },
  units = { tm = {}, auth = {} },
}
local UP, PW = os.getenv("AUTH_UPSTREAM"), os.getenv("AUTH_PW")
local CRED = { user = "carol", password = PW }

function on_request(msg)
  if msg.method == "ACK" then return end
  msg.du = UP
  local ok, err = tm.relay(msg, { auth = CRED })
  if not ok then msg:reply(500, err) end
end

function on_http(req)
  local r, err = tm.request{ method = "MESSAGE", uri = "sip:bob@" .. UP:sub(5), body = "hi", auth = CRED }
  if not r then return req:reply(502, err) end
  req:reply(200, json.encode({ status = r.status, user = r.headers["x-auth"] }))
end
