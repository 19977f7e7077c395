-- tests/integration/tm_cap.sh: at most 3 live transactions; each request's route waits 1.5 s.
config = {
  listen = { "udp:127.0.0.1:" .. os.getenv("PORT") },
  http = { listen = os.getenv("HTTP_LISTEN") },
  units = { tm = { max_transactions = 3, wait_timer = 100 } },
}
function on_request(msg)
  if msg.method == "ACK" then return end
  if msg:header("X-Wait") then sip.sleep(1500) end
  tm.reply(msg, 200)
end
