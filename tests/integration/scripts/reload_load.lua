-- reload_under_load.sh: a stateful proxy whose every request route waits 30 ms before relaying
-- (so routes are in flight in the old script when a reload comes), relays INVITEs with an
-- on_reply callback (run in the state that relayed them), runs on_reply, and starts a poller in
-- on_start (stopped by each reload).
config = {
  log   = { level = "info" },
  units = { tm = { wait_timer = 500 } },
  http  = { listen = os.getenv("HTTP_LISTEN") },
}

function on_start()
  sip.every(20, function() sip.sleep(5) end)
end

function on_request(msg)
  if not msg:max_forwards() then
    if msg.method ~= "ACK" then msg:reply(483) end
    return
  end
  if msg.method ~= "ACK" then
    sip.sleep(30)
  end
  if msg:loose_route() then
    return tm.relay(msg)
  end
  local opts
  if msg.method == "INVITE" then
    msg:record_route()
    opts = { on_reply = function(m, reply) local _ = reply.status end }
  end
  tm.relay(msg, opts)
end

function on_reply(msg)
  local _ = msg.status
end
