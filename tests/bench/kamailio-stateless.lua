-- Kamailio KEMI route for the stateless benchmark case (see kamailio-stateless.cfg).
-- Same logic as lunasip-stateless.lua: Max-Forwards check, then stateless
-- forward to the Request-URI. Replies are forwarded statelessly by the core
-- (no reply route needed).

function ksr_request_route()
	if KSR.maxfwd.process_maxfwd(10) < 0 then
		KSR.sl.sl_send_reply(483, "Too Many Hops")
		return 1
	end
	KSR.forward()
	return 1
end
