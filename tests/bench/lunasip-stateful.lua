-- lunasip route for the stateful benchmark case (see README.md).
-- Started by run.sh as: lunasip -q -f lunasip-stateful.lua -l udp:127.0.0.1:PORT
-- tm loaded: Max-Forwards check, loose routing, Record-Route on INVITE, tm.relay.

config = {
  log   = { level = "error" },
  units = { tm = {} },
}

function on_request(msg)
  if not msg:max_forwards() then
    if msg.method ~= "ACK" then
      msg:reply(483)
    end
    return
  end
  if msg:loose_route() then
    tm.relay(msg)
    return
  end
  if msg.method == "INVITE" then
    msg:record_route()
  end
  tm.relay(msg)
end
