-- Dispatcher integration tests (tests/integration/dispatcher_*.sh). Environment:
--   HTTP_LISTEN  config.http.listen
--   DS_LIST      the list file (absolute)
--   DS_PARAMS    more dispatcher parameters as a Lua table body, e.g. "ping_interval = 1, probing_mode = 1"
--   DS_NO_TM     set: do not load tm
--   DS_ALG       algorithm for SIP requests (default round-robin); DS_SET (default 1)
--   DS_NO_RR     set: do not record-route, select a destination for every request (ACK and BYE too)
-- A SIP request with an X-Is-From header gets "200 is_from <dispatcher.is_from(msg)>".
-- HTTP routes (on_http, the request is SIP-shaped so dispatcher.select works on it):
--   /select?set=&alg=&n=&ruri=   select n times (default 1): {"du": last du or false, "counts": {du = n}};
--                                ruri: the R-URI to set first (for hash-ruri)
--   /state?set=&uri=&state= dispatcher.set_state through pcall: {"ok":..., "err":...}
--   /list, /reload         dispatcher.list(), dispatcher.reload() ({ok, err, bad_lines})
local params = { list = os.getenv("DS_LIST"), ping_interval = 0 }
local extra = os.getenv("DS_PARAMS")
if extra then
  for k, v in pairs(assert(load("return {" .. extra .. "}"))()) do params[k] = v end
end
local units = { dispatcher = params }
if not os.getenv("DS_NO_TM") then units.tm = { fr_inv_timer = 10000 } end

config = {
  http  = { listen = os.getenv("HTTP_LISTEN") },
  log   = { level = "info" },
  units = units,
}

local ALG = os.getenv("DS_ALG") or "round-robin"
local SET = tonumber(os.getenv("DS_SET") or "1")
local NO_RR = os.getenv("DS_NO_RR") ~= nil

local function failover(msg, reply)
  sip.log("info", "failure ", reply.status, " from ", msg.du)
  if reply.status >= 500 or reply.status == 408 then
    if dispatcher.next(msg) then
      sip.log("info", "failover to ", msg.du)
      tm.relay(msg, { on_failure = failover })
    end
  end
end

function on_request(msg)
  if not msg:max_forwards() then
    if msg.method ~= "ACK" then msg:reply(483) end
    return
  end
  if not NO_RR and msg:loose_route() then return tm.relay(msg) end
  if msg:header("X-Is-From") then return msg:reply(200, "is_from " .. tostring(dispatcher.is_from(msg))) end
  if sip.is_myself(msg.ruri) and msg.method == "OPTIONS" then return msg:reply(200) end
  if msg.method == "ACK" and not NO_RR then return tm.relay(msg) end
  if msg.method == "INVITE" and not NO_RR then msg:record_route() end
  if not dispatcher.select(msg, SET, ALG) then
    if msg.method ~= "ACK" then msg:reply(503, "No destination") end
    return
  end
  sip.log("info", msg.method, " ", msg.call_id, " -> ", msg.du)
  if msg.method == "ACK" then return tm.relay(msg) end
  local ok, err = tm.relay(msg, { on_failure = failover })
  if not ok then sip.log("warn", "relay: ", err) end
end

local function reply_json(req, status, t)
  return req:reply(status, json.encode(t), { ["Content-Type"] = "application/json" })
end

function on_http(req)
  local q = req.query
  if req.path == "/select" then
    if q.ruri then req.ruri = q.ruri end
    local counts, du = {}, false
    for _ = 1, tonumber(q.n or "1") do
      if dispatcher.select(req, tonumber(q.set or "1"), tonumber(q.alg) or q.alg or "round-robin") then
        du = req.du
        counts[du] = (counts[du] or 0) + 1
      else
        du = false
      end
    end
    local failover = {}
    if du and q.next then
      while dispatcher.next(req) do failover[#failover + 1] = req.du end
    end
    return reply_json(req, 200, { du = du, counts = counts, failover = failover })
  elseif req.path == "/state" then
    local ok, r1, r2 = pcall(dispatcher.set_state, tonumber(q.set), q.uri, q.state)
    return reply_json(req, 200, { ok = ok and r1 or false, err = ok and r2 or r1 })
  elseif req.path == "/list" then
    return reply_json(req, 200, dispatcher.list())
  elseif req.path == "/reload" then
    local ok, a, b = dispatcher.reload()
    return reply_json(req, 200, { ok = ok or false, err = not ok and a or nil, bad_lines = ok and a or b })
  end
  return req:reply(404, "no such route")
end
