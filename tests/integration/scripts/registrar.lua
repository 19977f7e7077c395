-- The registrar unit for tests/integration/registrar_*.sh: REGISTER goes to registrar.save;
-- OPTIONS with "X-Inspect: AOR" answers what registrar.lookup did (X-Found, X-Ruri, X-Du,
-- X-Route, X-Branches) without relaying; other requests are looked up and relayed with tm.
-- Environment: HTTP_LISTEN (HTTP listener, see lib/http.sh), REG_PING (nat_ping_interval, default 0),
-- REG_QGROUPS (set: relay with q_groups, highest q first).
config = {
  log   = { level = "info" },
  http  = os.getenv("HTTP_LISTEN") and { listen = os.getenv("HTTP_LISTEN") } or nil,
  units = {
    tm        = { fr_inv_timer = 60000 }, -- long: a CANCEL seen by a test comes from the logic, not the timer
    registrar = { default_expires = 30, min_expires = 2, max_expires = 60, max_contacts = 3,
                  nat_ping_interval = tonumber(os.getenv("REG_PING") or "0"), nat_ping_failures = 2 },
  },
}

local function inspect(msg, aor)
  local found = registrar.lookup(msg, aor ~= "ruri" and aor or nil)
  local branches = {}
  -- branches are visible through registrar.bindings order; show the count and the first's contact
  for i, b in ipairs(registrar.bindings(aor ~= "ruri" and aor or msg.ruri)) do
    branches[#branches + 1] = b.contact .. "|" .. tostring(b.q) .. "|" .. tostring(b.natted)
  end
  return msg:reply(200, nil, {
    ["X-Found"] = tostring(found), ["X-Ruri"] = msg.ruri, ["X-Du"] = msg.du or "none",
    ["X-Route"] = msg:header("Route") or "none", ["X-Bindings"] = table.concat(branches, " , "),
  })
end

function on_request(msg)
  if msg.method == "REGISTER" then
    return registrar.save(msg)
  end
  local aor = msg:header("X-Inspect")
  if msg.method == "OPTIONS" and aor then
    return inspect(msg, aor)
  end
  if msg:in_dialog() then
    msg:loose_route()
    return tm.relay(msg)
  end
  if msg.method == "ACK" then return end
  msg:loose_route()
  if msg.method == "INVITE" then msg:record_route() end
  if not registrar.lookup(msg) then
    return msg:reply(404)
  end
  local ok, err = tm.relay(msg, os.getenv("REG_QGROUPS") and { q_groups = true } or nil)
  if not ok then sip.log("warn", "relay: ", err) end
end
