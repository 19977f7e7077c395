-- lunasip route for the soak runs (soak.sh): the stateful benchmark route (tm.relay,
-- Record-Route on INVITE) with the HTTP API on SOAK_HTTP (default 127.0.0.1:8089) for
-- /metrics (live transactions), /health and POST /api/reload.

config = {
  log   = { level = os.getenv("SOAK_LOG_LEVEL") or "warn" },
  units = { tm = {} },
  http  = { listen = os.getenv("SOAK_HTTP") or "127.0.0.1:8089" },
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
