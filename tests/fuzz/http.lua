-- fuzz_http_req: on_http reads every req field, including its SIP view, then answers.
local fields = { "method", "path", "query", "body", "src_ip", "src_port", "elapsed_ms", "ruri", "from", "to",
                 "call_id", "cseq", "from_tag", "to_tag", "cseq_method" }
function on_http(req)
  for _, f in ipairs(fields) do pcall(function() return req[f] end) end
  for _, h in ipairs({ "Host", "Content-Type", "From", "To", "Call-ID", "CSeq", "Via", "X-Unknown" }) do
    pcall(req.header, req, h)
    pcall(req.headers, req, h)
  end
  pcall(tostring, req)
  local ok, q = pcall(function() return req.query end)
  local status = ok and type(q) == "table" and tonumber(q.status) or 200
  pcall(req.reply, req, status, "fuzz", { ["X-Path"] = "p" })
end
