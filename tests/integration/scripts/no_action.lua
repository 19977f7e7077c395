-- route_no_action.sh: for R-URI user "silent" the route ends without replying
-- or forwarding, for "drop" it calls msg:drop(); both requests are dropped. User "stats":
-- 200 with the dropped counter in the reason.

function on_request(msg)
  if msg.ruri:match("^sip:silent@") then
    return
  end
  if msg.ruri:match("^sip:drop@") then
    msg:drop()
    return
  end
  if msg.ruri:match("^sip:stats@") then
    return msg:reply(200, "dropped=" .. sip.stats().dropped)
  end
  msg:reply(200)
end
