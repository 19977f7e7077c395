-- route_headers.sh: header changes made by a route must reach the UAS, and
-- reply headers given as a table or a string must reach the UAC.
-- Listeners come from -l on the command line. Any failed check raises, which
-- turns into a 500 and fails the call.

local function user_of(uri)
  return uri:match("^sips?:([^@;>]+)@")
end

function on_request(msg)
  if not msg:max_forwards() then
    msg:reply(483)
    return
  end
  if msg:loose_route() then
    msg:forward()
    return
  end
  if msg.method == "OPTIONS" then
    local user = user_of(msg.ruri)
    if user == "table" then
      msg:reply(200, "OK", { ["X-Reply"] = "from-table" })
    elseif user == "string" then
      msg:reply(200, "Fine", "X-Reply: from-string\r\n")
    elseif user == "echo" then
      -- values as received: Authorization untouched, folded lines joined, list values counted
      msg:reply(200, "OK", { ["X-Auth"] = msg:header("Authorization"), ["X-Subject"] = msg:header("s"),
                             ["X-Vias"] = tostring(#msg:headers("Via")), ["X-Second-Via"] = msg:headers("v")[2] })
    else
      msg:reply(200)
    end
    return
  end
  if msg.method == "INVITE" then
    -- reads fold case
    assert(msg:header("subject") == "original", "Subject before: " .. tostring(msg:header("Subject")))
    assert(msg:header("X-REMOVE-ME") == "please", "X-Remove-Me before")
    msg:append_header("X-Lunasip", "yes")
    msg:set_header("Subject", "changed")
    local n = msg:remove_header("X-Remove-Me")
    assert(n == 1, "remove_header returned " .. tostring(n))
    -- changes are visible to the route at once
    assert(msg:header("x-lunasip") == "yes", "X-Lunasip after append")
    assert(msg:header("Subject") == "changed", "Subject after set")
    assert(#msg:headers("Subject") == 1, "one Subject after set")
    assert(msg:header("X-Remove-Me") == nil, "X-Remove-Me after remove")
    msg:record_route()
  end
  msg:forward()
end
