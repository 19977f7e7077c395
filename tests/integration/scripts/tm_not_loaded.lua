-- tm_not_loaded.sh: no units; tm.relay must raise "the tm unit is not loaded".
function on_request(msg)
  tm.relay(msg)
end
