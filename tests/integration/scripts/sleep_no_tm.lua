-- route_sleep_no_tm.sh: tm is not loaded, so sip.sleep in a request route
-- must raise an error that names tm (the server answers 500).

function on_request(msg)
  if msg.method == "ACK" then
    return
  end
  if msg.ruri:match("^sip:sleep@") then
    sip.sleep(10)
    msg:reply(200, "Slept")  -- never reached without tm
    return
  end
  msg:reply(200)
end
