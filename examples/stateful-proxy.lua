-- examples/stateful-proxy.lua: relays every request statefully (tm) to its Request-URI,
-- record-routes dialogs, follows Route headers, answers OPTIONS aimed at itself.
-- Run: lunasip -f examples/stateful-proxy.lua [-l udp:127.0.0.1:5060]

config = {
  listen = { "udp:127.0.0.1:5060", "tcp:127.0.0.1:5060" },
  log    = { level = "info" },
  units  = { tm = { fr_timer = 30000, fr_inv_timer = 120000 } },
}

local dialog_creating = { INVITE = true, SUBSCRIBE = true, REFER = true }

-- Stateful relay; an ACK (for a 2xx) goes on statelessly, end to end.
local function relay(msg)
  local ok, err = tm.relay(msg)
  if not ok then
    sip.log("warn", "cannot relay ", msg.method, " to ", msg.du or msg.ruri, ": ", err)
    if msg.method ~= "ACK" then
      msg:reply(502)
    end
  end
end

function on_request(msg)
  if not msg:max_forwards() then
    if msg.method ~= "ACK" then
      msg:reply(483)
    end
    return
  end
  if msg:loose_route() then           -- in-dialog: Route headers decide the next hop
    return relay(msg)
  end
  if sip.is_myself(msg.ruri) then     -- aimed at us
    if msg.method == "OPTIONS" then
      return msg:reply(200, nil, { Allow = "INVITE, ACK, CANCEL, BYE, OPTIONS" })
    elseif msg.method ~= "ACK" then
      return msg:reply(404)
    end
    return
  end
  if dialog_creating[msg.method] then
    msg:record_route()
  end
  relay(msg)
end
