-- timer_not_early.sh: sip.sleep and sip.after measured from the moment they are called, while
-- the loop is busy (a tick that burns CPU every 7 ms, and each sample burns some CPU in its own
-- loop pass before it arms its timer). Log lines carry millisecond timestamps.
config = { log = { level = "info", timestamps = true } }

local function burn(ms)
  local stop = os.clock() + ms / 1000
  while os.clock() < stop do end
end

function on_start()
  sip.every(7, function() burn(5) end)
  sip.spawn(function()
    for i = 1, 40 do
      burn((i * 7) % 31)
      sip.log("info", "sleep ", i, " start")
      sip.sleep(50)
      sip.log("info", "sleep ", i, " end")
    end
    sip.log("info", "sleeps done")
  end)
  for i = 1, 30 do
    sip.after(i * 40, function()
      burn((i * 11) % 31)
      sip.log("info", "after ", i, " start")
      sip.after(50, function() sip.log("info", "after ", i, " end") end)
    end)
  end
end
