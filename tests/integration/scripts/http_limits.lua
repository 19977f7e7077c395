-- tests/integration/http_limits.sh: small HTTP caps and timeouts.
config = {
  http = { listen = os.getenv("HTTP_LISTEN"), max_connections = 5, max_routes = 2,
           header_timeout = 1, body_timeout = 1, idle_timeout = 2 },
}

function on_http(req)
  if req.path == "/slow" then
    sip.sleep(tonumber(req.query.ms) or 1000)
  end
  req:reply(200, "done")
end
