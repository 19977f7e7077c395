-- unit_placeholder.sh: no unit is loaded; every unit in the unit directory has the same
-- placeholder table, whose functions raise "the <name> unit is not loaded".
function on_request(msg)
  if msg.method == "ACK" then return end
  local user = msg.ruri:match("^sip:([^@]+)@")
  if user == "dispatcher" then
    dispatcher.select(msg, 1, "round-robin")
  elseif user == "hello" then
    hello.greet("x")
  elseif user == "tm" then
    tm.stats()
  end
  msg:reply(200, "no unit needed")
end
