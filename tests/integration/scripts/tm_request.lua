-- tm_request.sh: tm.request as a UAC from on_start, a timer and sip.spawn. Environment:
--   TM_UAS     URI of a sipp UAS answering OPTIONS with 200 (and X-Uas: sipp)
--   TM_SILENT  URI where nothing answers

config = {
  units = { tm = { wait_timer = 300 } },
}

local function show(r, err)
  if not r then
    return "nil " .. tostring(err)
  end
  return string.format("%d %s x-uas=%s", r.status, r.reason, tostring(r.headers["x-uas"]))
end

function on_start()
  local r, err = tm.request{ method = "OPTIONS", uri = os.getenv("TM_UAS"), headers = { ["X-Probe"] = "yes" } }
  sip.log("info", "on_start tm.request: ", show(r, err))
  sip.spawn(function()  -- still waiting at exit: cancelled cleanly by the server's stop
    sip.log("info", "long tm.request returned: ", show(tm.request{ method = "OPTIONS", uri = os.getenv("TM_SILENT"), timeout = 60000 }))
  end)
  sip.after(10, function()
    sip.log("info", "timer tm.request: ", show(tm.request{ method = "OPTIONS", uri = os.getenv("TM_SILENT"), timeout = 400 }))
    sip.log("info", "bad tm.request: ", show(tm.request{ method = "OPTIONS", uri = "http://example.com/" }))
    sip.spawn(function()
      local cancelled = sip.after(1, function() end)
      cancelled:cancel()
      sip.log("info", "spawned tm.request: ", show(tm.request{ method = "MESSAGE", uri = os.getenv("TM_SILENT"), timeout = 200, body = "hi" }))
      sip.log("info", "tm.request done, tm stats active=", tm.stats().active)
    end)
  end)
end

function on_request(msg)
  if msg.method ~= "ACK" then msg:reply(404) end
end
