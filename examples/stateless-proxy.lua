-- examples/stateless-proxy.lua: forwards every request statelessly to its Request-URI,
-- record-routes dialogs, follows Route headers, answers OPTIONS aimed at itself.
-- Run: lunasip -f examples/stateless-proxy.lua [-l udp:127.0.0.1:5060]

config = {
  listen = { "udp:127.0.0.1:5060", "tcp:127.0.0.1:5060" },
  log    = { level = "info" },
}

local dialog_creating = { INVITE = true, SUBSCRIBE = true, REFER = true }

function on_request(msg)
  if not msg:max_forwards() then
    return msg:reply(483)
  end
  if msg:in_dialog() then             -- in-dialog (To tag): our Record-Route decides the next hop
    if msg:loose_route() or not sip.is_myself(msg.ruri) then
      return msg:forward()
    end
    if msg.method ~= "ACK" then
      msg:reply(404)
    end
    return
  end
  msg:loose_route()                   -- initial request: drop a preloaded Route to us
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
  local ok, err = msg:forward()
  if not ok then
    sip.log("warn", "cannot forward ", msg.method, " to ", msg.ruri, ": ", err)
    msg:reply(502)
  end
end
