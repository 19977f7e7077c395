-- RFC 3263 tests (tests/integration/dns_*.sh). Environment: DNS_SERVER ("127.0.0.1:PORT").
-- Every request is relayed statefully to its R-URI (names resolved through config.dns);
-- X-Stateless: forward statelessly instead.
config = {
  units = { tm = { fr_timer = 1000, fr_inv_timer = 5000 } },
  dns   = { servers = { os.getenv("DNS_SERVER") }, timeout = 500, tries = 1 },
}

function on_request(msg)
  if not msg:max_forwards() then return msg:reply(483) end
  if msg:header("X-Stateless") then return msg:forward() end
  local ok, err = tm.relay(msg)
  if not ok then sip.log("warn", "relay: ", err) end
end
