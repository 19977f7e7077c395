-- tests/integration/script_units_first.sh: the main chunk uses the units' functions.
local relay = tm.relay
local select = dispatcher.select
assert(type(relay) == "function" and type(select) == "function", "units not loaded before the main chunk")
config = {
  units = { tm = {}, dispatcher = { list = os.getenv("DS_LIST"), ping_interval = 0 } },
}
function on_request(msg)
  if msg.method == "ACK" then return end
  if msg.method == "OPTIONS" then return tm.reply(msg, 200) end
  if select(msg, 1, "round-robin") then return relay(msg) end
  msg:reply(503)
end
