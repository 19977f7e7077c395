-- Stateful proxy for the tm_*.sh tests. Environment:
--   TM_FR_TIMER, TM_FR_INV_TIMER, TM_WAIT_TIMER  tm parameters (ms)
--   TM_ALT     failover destination URI (R-URI user "failover")
--   TM_SLEEP   ms the route sleeps first (R-URI user "sleep", default 200)
-- tm.stats() is logged whenever the number of live transactions changes.

local function env_ms(name, default)
  return math.tointeger(tonumber(os.getenv(name) or "")) or default
end

config = {
  log   = { level = "info" },
  units = { tm = { fr_timer = env_ms("TM_FR_TIMER", 30000),
                   fr_inv_timer = env_ms("TM_FR_INV_TIMER", 120000),
                   wait_timer = env_ms("TM_WAIT_TIMER", 5000) } },
}

local function relay(msg, opts)
  local ok, err = tm.relay(msg, opts)
  if not ok then
    sip.log("warn", "cannot relay ", msg.method, ": ", err)
    if msg.method ~= "ACK" then
      msg:reply(502)
    end
  end
  return ok
end

local function failover(msg, reply)
  sip.log("info", "on_failure: ", msg.method, " got ", reply.status, " ", reply.reason)
  msg.du = os.getenv("TM_ALT")
  local ok, err = tm.relay(msg)
  sip.log("info", "on_failure: relayed again to ", msg.du, ": ", tostring(ok), " ", tostring(err))
end

function on_request(msg)
  if not msg:max_forwards() then
    if msg.method ~= "ACK" then msg:reply(483) end
    return
  end
  if msg:loose_route() then
    return relay(msg)
  end
  if sip.is_myself(msg.ruri) then
    if msg.method == "OPTIONS" then return msg:reply(200) end
    if msg.method ~= "ACK" then msg:reply(404) end
    return
  end
  local user = msg.ruri:match("^sip:([^@]+)@")
  if user == "sleep" and msg.method ~= "ACK" then
    sip.sleep(env_ms("TM_SLEEP", 200))
    sip.log("info", "slept before relaying ", msg.method)
  end
  if msg.method == "INVITE" then
    msg:record_route()
  end
  local opts
  if user == "failover" and msg.method == "INVITE" then
    opts = { on_failure = failover,
             on_reply = function(m, reply) sip.log("info", "on_reply: ", reply.status) end }
  end
  relay(msg, opts)
end

function on_reply(msg)
  sip.log("info", "reply route: ", msg.status, " ", msg.cseq_method, " ", msg.call_id)
end

function on_start()
  local last
  sip.every(100, function()
    local s = tm.stats()
    if s.active ~= last then
      last = s.active
      sip.log("info", "tm stats active=", s.active, " created=", s.created)
    end
  end)
end
