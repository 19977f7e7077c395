-- bad_input.sh: answers every request aimed at it with 200 (483 on
-- Max-Forwards: 0), user "stats" with counters in the reason; a short TCP idle timeout so half-sent messages are cut off fast.
config = {
  tcp = { idle_timeout = 1 },
}

function on_request(msg)
  if msg.method == "ACK" then
    return
  end
  if not msg:max_forwards() then
    msg:reply(483)
    return
  end
  if msg.ruri:match("^sip:stats@") then   -- the counters bad input must bump
    local s = sip.stats()
    return msg:reply(200, "rx_bad=" .. s.rx_bad .. " rx_oversize=" .. s.rx_oversize)
  end
  msg:reply(200)
end
