-- The sending listener (tests/integration/dispatcher_socket.sh). Environment:
--   DS_LIST  the dispatcher list (absolute); DS_STRICT set: strict = true
--   TLS_DIR  set: config.tls from TLS_DIR/server.pem, server.key, ca.pem
-- Request headers: X-Socket: msg.socket = value; X-Set: dispatcher.select(msg, set, "priority");
-- X-Uac: URI: answer with the status of tm.request{ method = "OPTIONS", uri = URI, socket = X-Uac-Socket };
-- X-Report: answer "200 socket <msg.socket>" instead of relaying; X-RR: msg:record_route();
-- X-Stateless: msg:forward() instead of tm.relay.
config = {
  log = { level = "info" },
  units = {
    tm = { fr_timer = 4000 },
    dispatcher = { list = os.getenv("DS_LIST"), ping_interval = 1, ping_timeout = 500,
                   strict = os.getenv("DS_STRICT") ~= nil },
  },
}
local tls = os.getenv("TLS_DIR")
if tls then
  config.tls = { cert = tls .. "/server.pem", key = tls .. "/server.key", ca = tls .. "/ca.pem", verify = true }
end

function on_request(msg)
  if msg.method == "ACK" then return end
  if msg:header("X-Uac") then
    local r, err = tm.request{ method = "OPTIONS", uri = msg:header("X-Uac"), socket = msg:header("X-Uac-Socket") }
    return msg:reply(r and r.status or 500, r and r.reason or err)
  end
  if msg:header("X-Socket") then msg.socket = msg:header("X-Socket") end
  local set = tonumber(msg:header("X-Set") or "")
  if set and not dispatcher.select(msg, set, "priority") then return msg:reply(503) end
  if msg:header("X-Report") then return msg:reply(200, "socket " .. tostring(msg.socket)) end
  if msg:header("X-RR") then msg:record_route() end
  if msg:header("X-Stateless") then return msg:forward() end
  tm.relay(msg)
end
