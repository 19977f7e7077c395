-- tests/integration/script_reload_state.sh: on_start spawns a poller; sip.every ticks that
-- last longer than the period. CHANGE (env) alters what a reload may not change.
local change = os.getenv("CHANGE_FILE")
local what = change and io.open(change) and io.open(change):read("l") or ""
config = {
  listen = { "udp:127.0.0.1:" .. (what == "listen" and "1" or os.getenv("PORT")) },
  http = { listen = what == "http" and "127.0.0.1:1" or os.getenv("HTTP_LISTEN") },
  units = what == "units" and { tm = {} } or {},
}

function on_start()
  sip.spawn(function()
    while true do
      sip.sleep(20)
    end
  end)
end

local running, max_running, ticks = 0, 0, 0
sip.every(30, function()
  ticks = ticks + 1
  running = running + 1
  if running > max_running then max_running = running end
  sip.sleep(100)
  running = running - 1
end)

function on_http(req)
  req:reply(200, string.format("ticks=%d max_running=%d", ticks, max_running))
end
