-- Kamailio KEMI handlers for the http benchmark case (see kamailio-http.cfg).
-- Same work as lunasip-http.lua: answer every HTTP request with 200 "ok".

function ksr_request_route()
	KSR.sl.sl_send_reply(404, "Not here")
	return 1
end

function ksr_xhttp_event(evname)
	KSR.xhttp.xhttp_reply(200, "OK", "text/plain", "ok")
	return 1
end
