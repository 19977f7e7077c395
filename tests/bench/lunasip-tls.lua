-- lunasip route for the TLS benchmark (tests/bench/tls.sh): the stateful case's route
-- (Max-Forwards, loose routing, Record-Route on INVITE, tm.relay) behind a tls: listener.
-- Started as: lunasip -q -f lunasip-tls.lua -l udp:127.0.0.1:P -l tls:127.0.0.1:P+1
-- (tls.sh writes certs/ beside a copy of this script).

config = {
  log   = { level = "error" },
  tls   = { cert = "certs/server.pem", key = "certs/server.key", ca = "certs/ca.pem" },
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
