-- lunasip embedded default: a small stateful SIP proxy on 127.0.0.1:5060 (tm unit loaded).
-- Copy it to ./lunasip.lua (or pass -f) to change it.

config = {
  listen = { "udp:127.0.0.1:5060", "tcp:127.0.0.1:5060" },
  http   = { listen = "127.0.0.1:8080" },
  log    = { level = "info" },
  units  = { tm = {} },
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
  if msg:in_dialog() then             -- in-dialog (To tag): our Record-Route decides the next hop
    if msg:loose_route() or not sip.is_myself(msg.ruri) then
      return relay(msg)
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
  relay(msg)
end
