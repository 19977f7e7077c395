-- The proxy of the corpus test (tests/integration/sip_corpus.sh): every request goes to the sink
-- at 127.0.0.1:SINK_PORT over the transport it came on, statelessly or (CORPUS_STATEFUL) via tm.
local stateful = os.getenv("CORPUS_STATEFUL") == "1"
local sink = "sip:127.0.0.1:" .. os.getenv("SINK_PORT")
config = { units = stateful and { tm = {} } or {} }

function on_request(msg)
  if not msg:max_forwards() then
    return msg:reply(483)
  end
  msg:loose_route()
  if msg.method == "INVITE" then
    msg:record_route()
  end
  msg.du = msg.proto == "tcp" and sink .. ";transport=tcp" or sink
  if stateful then
    tm.relay(msg)
  else
    msg:forward()
  end
end
