-- tests/integration/tcp_limits.sh: small config.tcp caps; every request gets an 8 KB reply.
config = {
  listen = { "tcp:127.0.0.1:" .. os.getenv("PORT"), "udp:127.0.0.1:" .. os.getenv("PORT") },
  http = { listen = os.getenv("HTTP_LISTEN") },
  tcp = { max_connections = 5, max_output = tonumber(os.getenv("MAX_OUTPUT")),
          max_output_total = tonumber(os.getenv("MAX_TOTAL")) },
}
local body = string.rep("x", 8192)
function on_request(msg)
  if msg.method ~= "ACK" then msg:reply(200, nil, nil, body) end
end
