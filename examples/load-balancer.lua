-- lunasip example: a stateful load balancer with serial failover.
--
-- New requests are spread round-robin over set 1 of dispatcher.list (next to this script).
-- When a destination answers 5xx or does not answer (408), on_failure takes the next one
-- dispatcher.select kept for this request and relays again; a destination that timed out is
-- marked inactive+probing until its OPTIONS probes are answered again. Dialogs are
-- record-routed, so in-dialog requests follow the route set.
--
--   lunasip -f examples/load-balancer.lua
--   curl -s http://127.0.0.1:8080/api/dispatcher        # sets, states, probe latency
--
-- Environment (optional): LB_LIST (list file, default dispatcher.list beside this script),
-- LB_SIP (default udp:127.0.0.1:5060), LB_HTTP (default 127.0.0.1:8080),
-- LB_PING (probe interval in s, default 10; 0 turns probing off).

config = {
  listen = { os.getenv("LB_SIP") or "udp:127.0.0.1:5060" },
  http   = { listen = os.getenv("LB_HTTP") or "127.0.0.1:8080" },
  log    = { level = "info" },
  units  = {
    tm         = { fr_timer = 5000, fr_inv_timer = 60000 },
    dispatcher = { list = os.getenv("LB_LIST") or "dispatcher.list",
                   ping_interval = tonumber(os.getenv("LB_PING") or "10"),
                   probing_threshold = 2, inactive_threshold = 1 },
  },
}

local SET = 1

-- Relay statefully; a failure comes back to on_failure (below) while destinations remain.
local relay

local function on_failure(msg, reply)
  if reply.status ~= 408 and reply.status < 500 then
    return -- 4xx/6xx: the callee's answer, passed upstream as it is
  end
  sip.log("info", msg.du, " answered ", reply.status, " for ", msg.call_id)
  if reply.status == 408 then
    dispatcher.mark(msg, "ip") -- inactive until its probes are answered again
  end
  if dispatcher.next(msg) then
    sip.log("info", "failover to ", msg.du)
    relay(msg)
  end
end

relay = function(msg)
  local ok, err = tm.relay(msg, { on_failure = on_failure })
  if not ok then
    sip.log("warn", "cannot relay ", msg.method, " to ", msg.du or msg.ruri, ": ", err)
    msg:reply(502)
  end
end

function on_request(msg)
  if not msg:max_forwards() then
    if msg.method ~= "ACK" then msg:reply(483) end
    return
  end
  if msg:in_dialog() or msg.method == "ACK" then
    msg:loose_route()    -- in-dialog (To tag): our Record-Route decides the next hop
    return tm.relay(msg) -- (an ACK tm did not absorb goes on statelessly)
  end
  msg:loose_route()      -- initial request: drop a preloaded Route to us
  if msg.method == "OPTIONS" and sip.is_myself(msg.ruri) then
    return msg:reply(200)
  end
  if msg.method == "INVITE" then
    msg:record_route()
  end
  if not dispatcher.select(msg, SET, "round-robin") then
    return msg:reply(503, "No destination available")
  end
  relay(msg)
end
