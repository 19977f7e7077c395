-- lunasip example: trigger SIP requests over HTTP (a REST trigger).
--
--   POST /options  {"uri": "sip:alice@192.0.2.10:5060"}
--        sends an OPTIONS to uri and answers {"status": 200, "reason": "OK", "ms": 3.1}
--   POST /message  {"uri": "sip:bob@192.0.2.20", "text": "hello", "from": "sip:bot@example.com"}
--        sends a SIP MESSAGE (text/plain) and answers the same way
-- Optional in both: "from" (a SIP URI), "timeout" (ms). ms is the time tm.request took.
-- Without an answer in time the status is 408; a request that cannot be sent answers 502.
--
-- Each HTTP request runs in its own coroutine: tm.request suspends it until the SIP
-- transaction ends (final reply, or 408 on timeout) while the server goes on serving.
--
--   lunasip -f examples/rest-trigger.lua
--   curl -s -X POST -d '{"uri":"sip:127.0.0.1:5080"}' http://127.0.0.1:8080/options
--
-- Environment (optional): REST_HTTP (default 127.0.0.1:8080), REST_SIP (default
-- udp:127.0.0.1:5060), REST_TOKEN (a Bearer token for /api and /metrics).

config = {
  listen = { os.getenv("REST_SIP") or "udp:127.0.0.1:5060" },
  http   = { listen = os.getenv("REST_HTTP") or "127.0.0.1:8080", token = os.getenv("REST_TOKEN") },
  units  = { tm = { fr_timer = 5000 } },
}

local JSON = { ["Content-Type"] = "application/json" }

local function answer(req, status, t)
  return req:reply(status, json.encode(t), JSON)
end

-- The posted JSON object, or nil after answering 400.
local function posted(req)
  local t, err = json.decode(req.body)
  if type(t) ~= "table" then
    answer(req, 400, { error = "the body must be a JSON object: " .. tostring(err or t) })
    return nil
  end
  if type(t.uri) ~= "string" or not t.uri:match("^sips?:") then
    answer(req, 400, { error = "uri must be a SIP URI" })
    return nil
  end
  return t
end

-- Send one request through tm and answer with its outcome and how long it took.
local function trigger(req, r)
  local t0 = req.elapsed_ms
  local reply, err = tm.request(r)
  local ms = req.elapsed_ms - t0
  if not reply then
    return answer(req, 502, { error = err, ms = ms })
  end
  return answer(req, 200, { status = reply.status, reason = reply.reason, ms = ms })
end

function on_http(req)
  if req.method ~= "POST" then
    return answer(req, 405, { error = "use POST" })
  end
  if req.path == "/options" then
    local t = posted(req)
    if not t then return end
    return trigger(req, { method = "OPTIONS", uri = t.uri, from = t.from, timeout = math.tointeger(t.timeout) })
  elseif req.path == "/message" then
    local t = posted(req)
    if not t then return end
    if type(t.text) ~= "string" then
      return answer(req, 400, { error = "text must be a string" })
    end
    return trigger(req, { method = "MESSAGE", uri = t.uri, from = t.from, body = t.text,
                          content_type = "text/plain", timeout = math.tointeger(t.timeout) })
  end
  return answer(req, 404, { error = "no such path: " .. req.path })
end

function on_request(msg)
  if msg.method == "OPTIONS" and sip.is_myself(msg.ruri) then
    return msg:reply(200)
  end
  if msg.method ~= "ACK" then
    msg:reply(404)
  end
end
