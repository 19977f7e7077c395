-- coro_end_armed.sh: coroutines that end (or are cancelled) while a wait is armed.
--   on_start: a spawned coroutine waits inside a user coroutine (`pending`) whose to-be-closed
--     guard runs Lua code, and sip.sleep, when the coroutine is closed; a reload cancels the
--     spawned coroutine (its wait is undone). Another spawned coroutine waits in tm.request for
--     SINK_URI (nothing answers): the reload cancels the old one, whose transaction then times
--     out with nobody to resume; the new script's one gets its 408.
--   R-URI user "close-pending": sleeps (across the reload the test sends), then closes `pending`
--     in this (old) script's state: the guard runs in a coroutine whose route is gone.
--   "victim": keeps its own thread in a global and sleeps 1500 ms; "intruder": tries to resume and
--     close it, and to resume a user coroutine that waits for another route's event.
config = { log = { level = "info" }, units = { tm = {} } }

local function busy(n)
  local x = 0
  for i = 1, n do x = x + i end
  return x
end

function on_start()
  sip.spawn(function()
    pending = coroutine.create(function()
      local guard <close> = setmetatable({}, { __close = function()
        busy(100000) -- past the CPU budget hook's count (it looks at the coroutine running it)
        local ok, err = pcall(sip.sleep, 1)
        sip.log("info", "guard closed: ", tostring(ok), " ", tostring(err))
      end })
      sip.sleep(60000)
    end)
    coroutine.resume(pending)
  end)
  sip.spawn(function()
    local r, err = tm.request{ method = "OPTIONS", uri = os.getenv("SINK_URI"), timeout = 1500 }
    sip.log("info", "uac reply ", r and r.status or err)
  end)
end

function on_request(msg)
  if msg.method == "ACK" then return end
  local user = msg.ruri:match("^sip:([^@]+)@")
  if user == "close-pending" then
    sip.sleep(1500)
    local ok, err = coroutine.close(pending)
    sip.log("info", "pending closed: ", tostring(ok), " ", tostring(err))
    return msg:reply(200, "Closed")
  elseif user == "victim" then
    victim = coroutine.running()
    waiter = coroutine.create(function() sip.sleep(1500) end)
    sip.log("info", "victim waits")
    coroutine.resume(waiter)
    sip.log("info", "victim woke")
    return msg:reply(200, "Woke")
  elseif user == "intruder" then
    local r1, e1 = coroutine.resume(victim)
    local r2, e2 = pcall(coroutine.close, victim)
    local r3, e3 = coroutine.resume(waiter)
    sip.log("info", "intruder: resume ", tostring(r1), " (", tostring(e1), "), close ", tostring(r2),
            " (", tostring(e2), "), resume waiter ", tostring(r3), " (", tostring(e3), ")")
    return msg:reply(200, "Tried")
  end
  msg:reply(404)
end
