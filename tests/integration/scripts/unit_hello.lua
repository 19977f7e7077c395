-- unit_hello.sh: the hello example unit (examples/units/hello) next to tm.
--   HTTP_LISTEN  config.http.listen
config = {
  http  = { listen = os.getenv("HTTP_LISTEN") },
  units = { tm = {}, hello = { greeting = "Howdy" } },
}

function on_request(msg)
  if msg.method == "ACK" then return end
  -- sip:hello@ never gets here: hello's request hook answers it first
  tm.reply(msg, 200, hello.greet(msg.ruri:match("^sip:([^@]+)@") or "stranger"))
end
