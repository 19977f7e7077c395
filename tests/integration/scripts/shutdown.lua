-- tests/integration/shutdown.sh: GRACE seconds of shutdown grace; X-Wait: ms makes a request
-- route wait before its 200; X-Relay: uri relays statefully; /slow?ms= an HTTP route that waits.
config = {
  listen = { "udp:127.0.0.1:" .. os.getenv("PORT") },
  http = { listen = os.getenv("HTTP_LISTEN") },
  units = { tm = {} },
  shutdown_grace = tonumber(os.getenv("GRACE")),
  dns = os.getenv("DNS_SERVER") and { servers = { os.getenv("DNS_SERVER") }, timeout = 5000, tries = 2 } or nil,
}
function on_request(msg)
  if msg.method == "ACK" then return end
  local relay = msg:header("X-Relay")
  if relay then
    msg.du = relay
    return tm.relay(msg)
  end
  local w = tonumber(msg:header("X-Wait"))
  if w then sip.sleep(w) end
  tm.reply(msg, 200)
end
function on_http(req)
  sip.sleep(tonumber(req.query.ms) or 1000)
  req:reply(200, "slow done")
end
