-- tests/integration/fd_limit.sh: default caps, SIP on TCP+UDP and HTTP.
config = {
  listen = { "tcp:127.0.0.1:" .. os.getenv("PORT"), "udp:127.0.0.1:" .. os.getenv("PORT") },
  http = { listen = os.getenv("HTTP_LISTEN") },
}
function on_request(msg)
  if msg.method ~= "ACK" then msg:reply(200) end
end
