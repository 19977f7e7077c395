-- fuzz_lua_api: FUZZ is "<function byte><arg>\0<arg>\0..."; each call runs under pcall.
local function args()
  local t = {}
  for a in (FUZZ:sub(2) .. "\0"):gmatch("([^%z]*)%z") do
    t[#t + 1] = math.tointeger(tonumber(a)) or tonumber(a) or a
  end
  return t
end

local calls = {
  function(m, a) return m:header(a[1]) end,
  function(m, a) return m:headers(a[1]) end,
  function(m, a) return m:append_header(a[1], a[2]) end,
  function(m, a) return m:set_header(a[1], a[2]) end,
  function(m, a) return m:remove_header(a[1]) end,
  function(m, a) return m:reply(a[1], a[2], { [tostring(a[3])] = a[4] }, a[5]) end,
  function(m, a) return m:forward(a[1]) end,
  function(m, a) m.ruri = a[1]; return m.ruri end,
  function(m, a) m.du = a[1]; return m:forward() end,
  function(m, a) return m[a[1]] end,
  function(m, a) return m:max_forwards(), m:record_route(), m:loose_route() end,
  function(m, a) return sip.is_myself(a[1]) end,
  function(m, a) return sip.log(a[1], a[2], a[3]) end,
  function(m, a) return sip.sleep(a[1]) end,
  function(m, a) return sip.spawn(function(x) return x end, a[1]) end,
  function(m, a) return sip.after(math.type(a[1]) == "integer" and a[1] % 3 or a[1], function() end) end,
  function(m, a) return sip.units(), sip.stats() end,
  function(m, a) return tm.relay(m, a[1]) end,
  function(m, a) return m:reply(a[1]) end,
  function(m, a) return m:append_branch(a[1], a[2]) end,
}

function on_request(msg)
  if msg.method ~= "INVITE" or #FUZZ == 0 then return end
  local a = args()
  local n = FUZZ:byte(1)
  -- two calls: the one the input names, then the next one on the edited message
  pcall(calls[n % #calls + 1], msg, a)
  pcall(calls[(n // #calls) % #calls + 1], msg, a)
  pcall(tostring, msg)
end
