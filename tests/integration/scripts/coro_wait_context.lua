-- coro_wait_context.sh: functions that suspend a route refuse, with a Lua error naming them,
-- when a C function sits between them and the route (a sort comparator, a gsub callback),
-- instead of Lua's "attempt to yield across a C-call boundary"; the route goes on.

local function try(label, fn, ...)
  local ok, err = pcall(fn, ...)
  sip.log("info", "wait: ", label, " ok=", tostring(ok), " err=", tostring(err))
end

function on_start()
  sip.spawn(function()
    try("sort", table.sort, { 3, 1, 2 }, function(a, b) sip.sleep(1) return a < b end)
    try("gsub", string.gsub, "abc", "%w", function() http.request({ url = "http://127.0.0.1:9/" }) end)
    sip.sleep(1) -- directly in the coroutine: allowed
    sip.log("info", "wait: direct sleep done")
  end)
end

function on_request(msg)
  if msg.method ~= "ACK" then msg:reply(200) end
end
