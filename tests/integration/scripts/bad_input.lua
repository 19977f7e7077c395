-- bad_input.sh: answers every request aimed at it with 200 (483 on
-- Max-Forwards: 0); a short TCP idle timeout so half-sent messages are cut off fast.
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
  msg:reply(200)
end
