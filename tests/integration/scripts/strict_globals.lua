-- tests/integration/route_protected_calls.sh: a strict-mode _G (reading an unknown global
-- raises) and, with BAD_CONFIG set, a config table whose __index raises.
config = {
  http = { listen = os.getenv("HTTP_LISTEN") },
}
if os.getenv("BAD_CONFIG") then
  setmetatable(config, { __index = function(t, k) error("config has no " .. k) end })
end

function on_request(msg)
  if msg.method ~= "ACK" then msg:reply(200) end
end

function on_http(req)
  req:reply(200, "strict ok")
end

-- strict mode last: every later lookup of an undefined global raises
setmetatable(_G, { __index = function(_, k) error("undefined global " .. tostring(k), 2) end,
                   __newindex = function(_, k) error("assignment to undeclared global " .. tostring(k), 2) end })
