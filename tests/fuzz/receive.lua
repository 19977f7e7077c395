-- fuzz_sip_receive: every msg field and header function on whatever parsed.
local fields = { "method", "ruri", "du", "status", "reason", "call_id", "cseq", "cseq_method", "from", "to",
                 "from_tag", "to_tag", "src_ip", "src_port", "proto", "body" }
local headers = { "Via", "v", "From", "f", "To", "t", "Contact", "m", "Route", "Record-Route", "Max-Forwards",
                  "Content-Type", "c", "Content-Length", "l", "CSeq", "Call-ID", "i", "X-Unknown", "" }

local function touch(msg)
  for _, f in ipairs(fields) do pcall(function() return msg[f] end) end
  for _, h in ipairs(headers) do
    pcall(msg.header, msg, h)
    pcall(msg.headers, msg, h)
  end
  pcall(msg.in_dialog, msg)
  pcall(tostring, msg)
end

local function edit(msg)
  pcall(msg.append_header, msg, "X-Fuzz", "1")
  pcall(msg.set_header, msg, "Subject", "fuzz")
  pcall(msg.remove_header, msg, "X-Unknown")
  pcall(msg.remove_header, msg, "Route")
  pcall(msg.loose_route, msg)
  pcall(msg.record_route, msg)
  pcall(function() msg.ruri = msg.ruri end)
  pcall(function() msg.du = msg:header("X-Du") end)
end

function on_request(msg)
  touch(msg)
  local ok, mf = pcall(msg.max_forwards, msg)
  edit(msg)
  touch(msg)
  local ok2, cid = pcall(function() return msg.call_id end)
  local pick = ok2 and cid and #cid % 4 or 0
  if ok and mf == false then
    pcall(msg.reply, msg, 483)
  elseif pick == 0 then
    pcall(msg.reply, msg, 200, "OK", { ["X-A"] = "b" }, "body")
  elseif pick == 1 then
    pcall(msg.forward, msg)
  elseif pick == 2 then
    pcall(msg.drop, msg)
  end -- 3: the route ends without an action
end

function on_reply(msg)
  touch(msg)
  edit(msg)
end
