/* Running the script's SIP routes, for units that start one themselves (the receive path's
 * hooks are struct ls_unit's on_request, on_reply, on_route_end). Main loop only. */
#ifndef LUNASIP_SIP_H
#define LUNASIP_SIP_H
#include <lunasip/coro.h>
#include <lunasip/msg.h>
#include <lunasip/api.h>

LS_API_BEGIN
/* Run route `name` (on_request, on_reply) for msg in a new coroutine of the current script;
 * done() runs when it ends. Returns 0 when the script has no such route. */
int sip_route_start(const char *name, enum coro_kind kind, struct sip_msg *msg, coro_done_fn done);

LS_API_END
#endif
