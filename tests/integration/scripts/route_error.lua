-- route_error.sh: a route that raises an error for R-URI user "throw"; the
-- server must answer 500, log the error with a traceback and keep running.

local function explode(msg)
  error("boom from route_error.lua for " .. msg.method)
end

function on_request(msg)
  if msg.method == "ACK" then  -- the ACK for our 500 needs nothing
    return
  end
  if msg.ruri:match("^sip:throw@") then
    explode(msg)
  end
  msg:reply(200)
end
