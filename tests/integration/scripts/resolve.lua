-- Forwards every request to sip:localhost:$UAS_PORT: the name must be resolved (evdns, /etc/hosts)
-- before the request can go, without blocking the loop.
function on_request(msg)
  if not msg:max_forwards() then return msg:reply(483) end
  if msg:loose_route() then return msg:forward() end
  if msg.method == "OPTIONS" and sip.is_myself(msg.ruri) then return msg:reply(200) end
  local ok, err = msg:forward("sip:localhost:" .. os.getenv("UAS_PORT"))
  if not ok then msg:reply(502, err) end
end
