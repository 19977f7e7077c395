-- examples/stateful-proxy.lua: a stateful proxy (tm). Every request is relayed to its
-- Request-URI; a new call that fails there (5xx, or no answer in time) is tried once more
-- on a backup destination when BACKUP names one. Dialogs are record-routed.
-- Run: BACKUP=sip:192.0.2.20:5060 lunasip -f examples/stateful-proxy.lua

config = {
  listen = { "udp:127.0.0.1:5060", "tcp:127.0.0.1:5060" },
  log    = { level = "info" },
  units  = { tm = { fr_timer = 30000, fr_inv_timer = 120000 } },
}

local backup = os.getenv("BACKUP")  -- nil: failures go upstream as they are

-- opts.on_failure runs in its own coroutine with the request and the best reply so far.
-- Relaying again without opts means a second failure goes upstream.
local function try_backup(msg, reply)
  if backup and (reply.status >= 500 or reply.status == 408) then
    sip.log("info", "call ", msg.call_id, " failed with ", reply.status, ", trying ", backup)
    msg.du = backup
    tm.relay(msg)
  end
end

function on_request(msg)
  if not msg:max_forwards() then
    if msg.method ~= "ACK" then msg:reply(483) end
    return
  end
  local opts
  if msg:in_dialog() then
    -- in-dialog (To tag): our Record-Route decides; an ACK for a 2xx goes on statelessly
    if not msg:loose_route() and sip.is_myself(msg.ruri) then
      if msg.method ~= "ACK" then msg:reply(404) end
      return
    end
  else
    msg:loose_route()                 -- initial request: drop a preloaded Route to us
    if sip.is_myself(msg.ruri) then
      if msg.method == "OPTIONS" then return msg:reply(200) end
      if msg.method ~= "ACK" then msg:reply(404) end
      return
    end
    if msg.method == "INVITE" then
      msg:record_route()
      opts = { on_failure = try_backup }
    end
  end
  local ok, err = tm.relay(msg, opts)
  if not ok then
    sip.log("warn", "cannot relay ", msg.method, " to ", msg.du or msg.ruri, ": ", err)
  end
end
