-- The sip core API outside request routes: timers, spawn, sleep, stats, units, log levels.
-- Everything it observes goes to the log (prefix "api:") for tests/integration/sip_api.sh.
config = { log = { level = "info" } }

local ticks = 0

local function now_ms()   -- wall clock in ms (blocking, fine for a test)
  local f = io.popen("date +%s%3N")
  local v = f:read("n")
  f:close()
  return v
end

-- timers set in the order 300, 100, 200, 0 ms fire in delay order, none before its delay.
-- Returns the time they were set. (libevent counts a delay from the time its loop iteration
-- began, so the clock is read before sip.sleep(0) starts a new iteration: now_ms() blocks.)
local function timer_order()
  local t0, fired = now_ms(), {}
  sip.sleep(0)
  for _, d in ipairs({ 300, 100, 200, 0 }) do
    sip.after(d, function()
      fired[#fired + 1] = d
      sip.log("info", "api: timer ", d, " after ", now_ms() - t0, " ms, order ", table.concat(fired, ","))
    end)
  end
  return t0
end

function on_start()
  sip.log("debug", "api: debug line")            -- hidden at info level
  sip.log("info", "api: start ", 1, " ", true, " ", nil)
  local t0 = os.clock()
  sip.sleep(50)                                   -- on_start may wait
  sip.log("info", "api: on_start slept")
  sip.after(100, function() sip.log("info", "api: after fired") end)
  local never = sip.after(200, function() sip.log("info", "api: cancelled timer fired") end)
  sip.log("info", "api: cancel=", tostring(never:cancel()), " again=", tostring(never:cancel()))
  local e0 = timer_order()
  local every
  every = sip.every(50, function()
    ticks = ticks + 1
    if ticks == 3 then
      every:cancel()
      sip.log("info", "api: every stopped after ", ticks, " ticks, ", now_ms() - e0, " ms")
    end
  end)
  sip.spawn(function(a, b)
    sip.log("info", "api: spawned with ", a, " and ", b)
    sip.sleep(30)
    sip.log("info", "api: spawned woke up")
    error("spawned failure")                      -- logged, counted, nothing else breaks
  end, "x", 42)
  sip.log("info", "api: spawn returned before the spawned coroutine woke up")
  local ok, err = pcall(sip.log, "loud", "x")
  sip.log("info", "api: bad level rejected: ", tostring(not ok), " ", tostring(err):match("unknown level") or "")
  local units = sip.units()
  sip.log("info", "api: units=", #units)
  local _ = t0
end

function on_request(msg)
  local s = sip.stats()
  msg:reply(200, "requests=" .. s.requests.OPTIONS .. " route_errors=" .. s.route_errors ..
                 " coroutines=" .. s.coroutines)
end
