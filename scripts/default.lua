-- lunasip embedded default: a small stateless SIP proxy on 127.0.0.1:5060.
-- Copy it to ./lunasip.lua (or pass -f) to change it.

config = {
  listen = { "udp:127.0.0.1:5060", "tcp:127.0.0.1:5060" },
  log    = { level = "info" },
}

local dialog_creating = { INVITE = true, SUBSCRIBE = true, REFER = true }

function on_request(msg)
  if not msg:max_forwards() then
    return msg:reply(483)
  end
  if msg:loose_route() then           -- in-dialog: Route headers decide the next hop
    return msg:forward()
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
  local ok, err = msg:forward()
  if not ok then
    sip.log("warn", "cannot forward ", msg.method, " to ", msg.ruri, ": ", err)
    msg:reply(502)
  end
end
