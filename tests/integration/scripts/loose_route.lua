-- Shows what msg:loose_route() and msg:in_dialog() did: every request is answered 200 with
-- headers giving the result, the R-URI, msg.du and the Route headers left
-- (tests/integration/proxy_loose_route.sh).
config = { log = { level = "info" } }

function on_request(msg)
  local lr = msg:loose_route()
  local routes = msg:headers("Route")
  msg:reply(200, nil, {
    ["X-Loose"] = tostring(lr),
    ["X-In-Dialog"] = tostring(msg:in_dialog()),
    ["X-Ruri"] = msg.ruri,
    ["X-Du"] = msg.du or "none",
    ["X-Routes"] = #routes > 0 and table.concat(routes, " , ") or "none",
  })
end
