-- examples/pbx.lua: a lab PBX in one script. Phones register with a user name and password
-- (digest authentication), then call each other by user name: every registered device of the
-- callee rings (parallel forking), the first to answer takes the call. Unknown users get 404,
-- users without a registered device 480. Only authenticated users may call, here or elsewhere.
-- Dialogs are record-routed, so ACK, re-INVITE and BYE pass through the PBX too.
--
--   lunasip -f examples/pbx.lua
--   phone: user alice, password alice-secret, domain/registrar 127.0.0.1:5060; dial "bob"
--   curl -s http://127.0.0.1:8080/api/registrar      # who is registered where
--
-- Environment (optional): PBX_SIP (default udp:127.0.0.1:5060), PBX_TCP (a TCP listener too),
-- PBX_WSS (a WebSocket listener for browser phones, e.g. wss:0.0.0.0:8443, with PBX_TLS_CERT and
-- PBX_TLS_KEY, PEM files), PBX_HTTP (default 127.0.0.1:8080), PBX_REALM (default "lab"),
-- PBX_USERS (a file of "user password" lines, # comments; default: the table below).

local listen = { os.getenv("PBX_SIP") or "udp:127.0.0.1:5060" }
for _, name in ipairs{ "PBX_TCP", "PBX_WSS" } do
  if os.getenv(name) then listen[#listen + 1] = os.getenv(name) end
end

config = {
  listen = listen,
  tls    = os.getenv("PBX_TLS_CERT") and { cert = os.getenv("PBX_TLS_CERT"), key = os.getenv("PBX_TLS_KEY") },
  http   = { listen = os.getenv("PBX_HTTP") or "127.0.0.1:8080" },
  log    = { level = "info" },
  units  = {
    tm        = {},
    auth      = {},                                         -- nonces live 300 s
    registrar = { default_expires = 600, max_contacts = 5,
                  nat_ping_interval = 30 },                 -- keeps NAT pinholes open
  },
}

local REALM = os.getenv("PBX_REALM") or "lab"

-- user -> password. Read once at start; a reload (SIGHUP) reads the file again.
local users = { alice = "alice-secret", bob = "bob-secret", carol = "carol-secret" }
local file = os.getenv("PBX_USERS")
if file then
  users = {}
  for line in io.lines(file) do
    local user, password = line:match("^%s*([^#%s]+)%s+(%S+)")
    if user then users[user] = password end
  end
end

-- The user part of a SIP URI ("sip:bob@10.0.0.1:5060" -> "bob"), or nil.
local function user_of(uri)
  return uri and uri:match("^sips?:([^@;:>]+)@")
end

-- Stateful relay; a failure to send is answered 502 (an ACK is just dropped).
local function relay(msg)
  local ok, err = tm.relay(msg)
  if not ok then
    sip.log("warn", "cannot relay ", msg.method, " to ", msg.du or msg.ruri, ": ", err)
    if msg.method ~= "ACK" then msg:reply(502) end
  end
end

function on_request(msg)
  if not msg:max_forwards() then
    if msg.method ~= "ACK" then msg:reply(483) end
    return
  end
  -- 1. In-dialog requests (To tag) follow the route set we recorded.
  if msg:in_dialog() then
    if msg:loose_route() or msg.method == "ACK" then return relay(msg) end
    return msg:reply(404)
  end
  if msg.method == "ACK" then return end          -- a stray ACK: nothing to do
  msg:loose_route()                               -- drop a preloaded Route to us (outbound proxy)
  local local_ruri = sip.is_myself(msg.ruri)
  if msg.method == "OPTIONS" and local_ruri and not user_of(msg.ruri) then
    return msg:reply(200)                         -- keepalives and monitoring
  end

  -- 2. Everything else must come from one of our users: 401 (REGISTER) / 407 challenge.
  local user, why = auth.check(msg, REALM, function(u) return users[u] end)
  if not user then
    if why ~= "no credentials" then sip.log("info", msg.method, " from ", msg.src_ip, ": ", why) end
    return auth.challenge(msg, REALM)
  end
  auth.consume(msg)                               -- our credentials stop here

  -- 3. Registrations: a user registers her own devices only.
  if msg.method == "REGISTER" then
    if user_of(msg.to) ~= user then return msg:reply(403, "Not your AOR") end
    return registrar.save(msg)
  end
  if user_of(msg.from) ~= user then return msg:reply(403, "From is not you") end

  -- 4. Calls and messages to our users ring every registered device.
  if msg.method == "INVITE" or msg.method == "SUBSCRIBE" then msg:record_route() end
  if local_ruri then
    local callee = user_of(msg.ruri)
    if not callee or not users[callee] then return msg:reply(404) end
    if not registrar.lookup(msg) then return msg:reply(480) end
    return relay(msg)
  end
  -- 5. Other domains: authenticated users only (checked above).
  relay(msg)
end
