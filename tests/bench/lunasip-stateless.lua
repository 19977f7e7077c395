-- lunasip route for the stateless benchmark case (see README.md).
-- Started by run.sh as: lunasip -q -f lunasip-stateless.lua -l udp:127.0.0.1:PORT
-- Max-Forwards check, then stateless forward to the Request-URI. No units loaded.

config = {
  log = { level = "error" },
}

function on_request(msg)
  if not msg:max_forwards() then
    msg:reply(483)
    return
  end
  msg:forward()
end
