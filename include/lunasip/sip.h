/* Hooks into the SIP receive path (core/sip.c), for the tm unit. Main loop only. */
#ifndef LUNASIP_SIP_H
#define LUNASIP_SIP_H
#include <lunasip/coro.h>
#include <lunasip/msg.h>

/* Called for every well-formed request after received/rport were added, before on_request.
 * Return 1 when the request was handled (a retransmission absorbed, a CANCEL answered, ...):
 * then no route runs for it. */
extern int (*sip_request_hook)(struct sip_msg *msg);
/* Called for every reply before the stateless reply path. Return 1 when handled. */
extern int (*sip_reply_hook)(struct sip_msg *msg);

/* Called when the on_request route of a request that has a transaction (msg->tx) ends, instead
 * of the stateless handling: failed is 1 when the route raised an error. */
extern void (*sip_route_done_hook)(struct sip_msg *msg, int failed);

/* Run route `name` (on_request, on_reply) for msg in a new coroutine of the current script;
 * done() runs when it ends. Returns 0 when the script has no such route. */
int sip_route_start(const char *name, enum coro_kind kind, struct sip_msg *msg, coro_done_fn done);

#endif
