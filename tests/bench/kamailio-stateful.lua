-- Kamailio KEMI route for the stateful benchmark case (see kamailio-stateful.cfg).
-- Same logic as lunasip-stateful.lua: Max-Forwards check, loose routing, Record-Route on
-- INVITE, then t_relay (tm). CANCELs go to their INVITE's transaction; retransmissions are
-- absorbed by t_relay.

function ksr_request_route()
	if KSR.maxfwd.process_maxfwd(10) < 0 then
		KSR.sl.sl_send_reply(483, "Too Many Hops")
		return 1
	end
	if KSR.is_CANCEL() then
		if KSR.tm.t_check_trans() > 0 then
			KSR.tm.t_relay()
		end
		return 1
	end
	if KSR.rr.loose_route() > 0 then
		KSR.tm.t_relay()
		return 1
	end
	if KSR.is_INVITE() then
		KSR.rr.record_route()
	end
	if KSR.tm.t_relay() < 0 then
		KSR.sl.sl_reply_error()
	end
	return 1
end
