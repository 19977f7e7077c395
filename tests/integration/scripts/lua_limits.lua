-- tests/integration/route_*.sh (Lua routes cannot break the server). HTTP paths:
--   /sort /gsub /meta   sip.sleep where Lua cannot yield (comparator, gsub callback, __tostring)
--   /wrap               coroutine.wrap(function() sip.sleep(10) ... end)() suspends the route
--   /nested /generator  a wait two user coroutines deep; plain coroutine.yield still works
--   /toplevel           the error sip.sleep raised in the main chunk
--   /spin /spin_pcall   a route that never ends (also inside pcall loops)
--   /bigstring          a route that builds a string past config.limits.lua_memory_mb
config = {
  http = { listen = os.getenv("HTTP_LISTEN") },
  units = { tm = {} },
  limits = { route_ms = tonumber(os.getenv("ROUTE_MS")) or 200, lua_memory_mb = 64 },
}

local ok, toplevel_err = pcall(sip.sleep, 10)

function on_request(msg)
  if msg.method == "ACK" then return end
  if msg:header("X-Spin") then while true do end end
  tm.reply(msg, 200)
end

local routes = {}
routes["/sort"] = function(req)
  local t = { 3, 1, 2 }
  table.sort(t, function(a, b) sip.sleep(1) return a < b end)
end
routes["/gsub"] = function(req)
  return (string.gsub("abc", "%w", function(c) sip.sleep(1) return c end))
end
routes["/meta"] = function(req)
  return tostring(setmetatable({}, { __tostring = function() sip.sleep(1) return "x" end }))
end
routes["/wrap"] = function(req)
  local order = {}
  local f = coroutine.wrap(function(a)
    order[#order + 1] = "in:" .. a
    sip.sleep(50)
    order[#order + 1] = "slept"
    local b = coroutine.yield("y1")
    order[#order + 1] = "got:" .. b
    return "done"
  end)
  local r1 = f("a")
  order[#order + 1] = "first:" .. r1
  local r2 = f("b")
  order[#order + 1] = "second:" .. r2
  return table.concat(order, ",")
end
routes["/nested"] = function(req)
  local outer = coroutine.wrap(function()
    local inner = coroutine.wrap(function() sip.sleep(20); return "inner" end)
    local r = inner()
    sip.sleep(20)
    return r .. "+outer"
  end)
  return outer()
end
routes["/generator"] = function(req)
  local gen = coroutine.wrap(function() for i = 1, 3 do coroutine.yield(i) end end)
  return gen() .. gen() .. gen()
end
routes["/toplevel"] = function(req) return tostring(toplevel_err) end
routes["/spin"] = function(req) while true do end end
routes["/spin_pcall"] = function(req)
  while true do pcall(function() while true do end end) end
end
routes["/bigstring"] = function(req)
  local s = string.rep("x", 200 * 1024 * 1024)
  return #s
end
routes["/ok"] = function(req) return "ok" end

function on_http(req)
  local f = routes[req.path]
  if not f then return req:reply(404, "no route") end
  local v = f(req)
  req:reply(200, tostring(v))
end
