-- HTTP integration tests (tests/integration/http_*.sh). The tests set:
--   HTTP_LISTEN  config.http.listen ("127.0.0.1:PORT")
--   HTTP_TOKEN   config.http.token (optional)
--   WITH_TM      load the tm unit when set
--   ROUTE_TAG    a word the /version route answers (reload tests change it)
config = {
  http  = { listen = os.getenv("HTTP_LISTEN"), token = os.getenv("HTTP_TOKEN"), max_body = 65536 },
  units = os.getenv("WITH_TM") and { tm = {} } or nil,
}

local tag = os.getenv("ROUTE_TAG") or "v1"

function on_request(msg)
  if msg.method ~= "ACK" then msg:reply(200) end
end

threads_seen, threads_count = {}, 0   -- /thread (coro_reuse.sh); strong keys on purpose

local function reply_json(req, status, t)
  return req:reply(status, json.encode(t), { ["Content-Type"] = "application/json" })
end

function on_http(req)
  local p = req.path
  if p == "/test" then
    sip.sleep(tonumber(req.query.ms) or 100)
    return reply_json(req, 200, { call_id = req.call_id, from = req.from, to = req.to, cseq = req.cseq,
                                  from_tag = req.from_tag, ruri = req.ruri, via = req:header("Via"),
                                  method = req.method, x = req:header("X-Test") })
  elseif p == "/echo" then
    return reply_json(req, 200, { method = req.method, body = req.body, query = req.query,
                                  src_ip = req.src_ip, src_port = req.src_port,
                                  auth = req:header("Authorization") })
  elseif p == "/plain" then       -- reads no SIP field: the SIP view is never built
    return req:reply(200, table.concat({ req.method, req.path, req.query.k or "", req.body,
                                         req.src_ip, req.src_port }, " "))
  elseif p == "/view" then        -- a msg method first, then fields twice: one view, built once
    local dlg = req:in_dialog()
    return reply_json(req, 200, { in_dialog = dlg, a = req.call_id, b = req.call_id,
                                  h = req:header("Call-ID"), ruri = req.ruri })
  elseif p == "/late" then        -- the view is first read after the reply, once the client left
    req:reply(200, "early")
    sip.sleep(300)
    sip.log("info", "late view: ", req.call_id, " ", req.ruri, " ", req.src_ip)
    return
  elseif p == "/thread" then      -- how many distinct threads have run this route so far
    local co = coroutine.running()
    if not threads_seen[co] then
      threads_seen[co] = true
      threads_count = threads_count + 1
    end
    if req.query.fail then error("failing on purpose in /thread") end
    if req.query.ms then sip.sleep(tonumber(req.query.ms)) end
    return req:reply(200, tostring(threads_count))
  elseif p == "/error" then
    error("http route failure on purpose")
  elseif p == "/noreply" then
    return
  elseif p == "/slow" then
    sip.sleep(tonumber(req.query.ms) or 2000)
    sip.log("info", "slow route woke up")
    return req:reply(200, "late")
  elseif p == "/early" then
    req:reply(200, "early")      -- answered, but the route runs on
    sip.sleep(5000)
    return
  elseif p == "/units" then
    return req:reply(200, table.concat(sip.units(), ","))
  elseif p == "/version" then
    return req:reply(200, tag)
  elseif p == "/fetch" then
    -- http.request to url, answer "<status> <body>" or 502 with the error
    local r, err = http.request{ url = req.query.url, timeout = tonumber(req.query.timeout),
                                 method = req.query.method, body = req.query.body,
                                 headers = { ["X-From"] = "lunasip" } }
    if not r then return req:reply(502, err) end
    return req:reply(200, r.status .. " " .. r.body)
  end
  return req:reply(404, "no route for " .. p)
end

function on_start()
  -- http.request works outside on_http too: a timer and a spawned coroutine
  if os.getenv("FETCH_AT_START") then
    sip.after(10, function()
      local r, err = http.request{ url = os.getenv("FETCH_AT_START") }
      sip.log("info", "timer fetch: ", r and r.status or err)
    end)
    sip.spawn(function()
      local r, err = http.request{ url = os.getenv("FETCH_AT_START") }
      sip.log("info", "spawn fetch: ", r and r.status or err)
    end)
  end
end
