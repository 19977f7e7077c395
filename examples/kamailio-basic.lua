-- examples/kamailio-basic.lua: Kamailio's own KEMI example (misc/examples/kemi/
-- kamailio-basic-kemi-lua.lua in the Kamailio tree) ported to lunasip, route for route, so the two
-- can be read side by side. docs/kamailio-migration.md maps each KSR.* call used there.
-- What lunasip does not have yet is left out and marked "not yet": pike flood detection, NAT
-- aliases for non-REGISTER requests, RTP relaying, accounting flags, branch routes.
--
--   lunasip -f examples/kamailio-basic.lua
--   phone: user alice, password alice-secret, registrar 127.0.0.1:5060 (realm: the From host)
--
-- Environment (optional): KB_SIP (default udp:127.0.0.1:5060).

config = {
  listen = { os.getenv("KB_SIP") or "udp:127.0.0.1:5060" },
  log    = { level = "info" },
  units  = { tm = {}, registrar = {}, auth = {} },
}

-- Kamailio's "subscriber" table: user -> password.
local subscribers = { alice = "alice-secret", bob = "bob-secret" }
-- Kamailio's permissions address table (allow_source_address(1)): sources trusted without auth.
local trusted = {}
-- Kamailio's htable "ipban" (filled by pike there; pike is not yet in lunasip).
local ipban = {}

local function has_ruri_user(msg)
  return msg.ruri:match("^sips?:[^@;]+@") ~= nil
end

local function from_host(msg)
  return msg.from:match("@([^:;>]+)") or msg.from:match("^sips?:([^:;>]+)")
end

-- ksr_onreply_manage: every reply of a relayed request (NAT handling is not yet here).
local function onreply_manage(_, reply)
  sip.log("debug", "incoming reply ", reply.status)
end

-- ksr_failure_manage: a negative final reply or a timeout (nothing more to do here, as there).
local function failure_manage(_, reply)
  if reply.status == 487 then return end   -- canceled
end

-- ksr_route_relay: stateful relay with the reply and failure handlers.
local function relay(msg)
  local opts = {}
  if msg.method == "INVITE" or msg.method == "SUBSCRIBE" or msg.method == "UPDATE" then
    opts.on_reply = onreply_manage
  end
  if msg.method == "INVITE" then opts.on_failure = failure_manage end
  local ok, err = tm.relay(msg, opts)
  if not ok then sip.log("warn", "relay: ", err) end   -- tm has answered 503 (sl_reply_error)
end

-- ksr_route_reqinit: per request initial checks. Returns true when the request is done.
local function reqinit(msg)
  if ipban[msg.src_ip] then
    sip.log("debug", "request from blocked IP - ", msg.method, " from ", msg.from, " (IP:", msg.src_ip, ")")
    return true
  end
  local ua = msg:header("User-Agent") or ""
  if ua:find("friendly-scanner", 1, true) or ua:find("sipcli", 1, true) then
    msg:reply(200, "OK")
    return true
  end
  if not msg:max_forwards() then
    msg:reply(483, "Too Many Hops")
    return true
  end
  if msg.method == "OPTIONS" and sip.is_myself(msg.ruri) and not has_ruri_user(msg) then
    msg:reply(200, "Keepalive")
    return true
  end
  -- sanity_check: the core refuses malformed requests before any route runs
  return false
end

-- ksr_route_withindlg: requests within a dialog (To tag). Returns true when done.
local function withindlg(msg)
  if not msg:in_dialog() then return false end
  if msg:loose_route() then
    if msg.method == "NOTIFY" then msg:record_route() end   -- RFC 6665
    relay(msg)
    return true
  end
  if msg.method == "ACK" then
    return true   -- an ACK to a negative reply is absorbed by tm; any other is discarded
  end
  msg:reply(404, "Not here")
  return true
end

-- ksr_route_auth: IP authorization and user authentication. Returns true when done.
local function route_auth(msg)
  if msg.method ~= "REGISTER" and trusted[msg.src_ip] then return false end
  if msg.method == "REGISTER" or sip.is_myself(msg.from) then
    local realm = from_host(msg)
    local user = auth.check(msg, realm, function(u) return subscribers[u] end)
    if not user then
      auth.challenge(msg, realm)
      return true
    end
    if msg.method ~= "REGISTER" and msg.method ~= "PUBLISH" then auth.consume(msg) end
  end
  -- not an open relay: a caller that is not ours may only call our users
  if not sip.is_myself(msg.from) and not sip.is_myself(msg.ruri) then
    msg:reply(403, "Not relaying")
    return true
  end
  return false
end

-- ksr_request_route
function on_request(msg)
  if reqinit(msg) then return end
  -- natdetect: for REGISTER done by registrar.save; for other requests not yet
  if msg.method == "CANCEL" then return relay(msg) end   -- tm matches CANCELs before the route
  if withindlg(msg) then return end
  -- retransmissions (t_precheck_trans, t_check_trans): absorbed by tm
  if route_auth(msg) then return end

  -- record routing for dialog forming requests; remove preloaded route headers
  msg:remove_header("Route")
  if msg.method == "INVITE" or msg.method == "SUBSCRIBE" then msg:record_route() end

  -- ksr_route_sipout: requests for other domains
  if not sip.is_myself(msg.ruri) then
    msg:append_header("P-Hint", "outbound")
    return relay(msg)
  end

  -- ksr_route_registrar
  if msg.method == "REGISTER" then
    local ok, err = registrar.save(msg)   -- answers the REGISTER either way
    if not ok then sip.log("info", "REGISTER refused: ", err) end
    return
  end

  if not has_ruri_user(msg) then
    return msg:reply(484, "Address Incomplete")
  end

  -- ksr_route_location
  if not registrar.lookup(msg) then
    return msg:reply(404, "Not Found")
  end
  relay(msg)
end

-- ksr_reply_route
function on_reply()
  sip.log("debug", "===== response - from lunasip lua script")
end
