/* The receive-path hook chains (struct ls_unit's on_request, on_reply, on_route_end,
 * on_local_reply), run in hook order. The unit loader sets the chain; the receive path
 * (sip.c) and local replies (proxy.c) run it. Main loop only. */
#ifndef CORE_SIP_HOOK_H
#define CORE_SIP_HOOK_H
#include <lunasip/unit.h>

/* Units whose hooks run, in hook order (the array is copied; NULL/0 empties the chain). */
void sip_hook_set(const struct ls_unit *const *units, size_t n);

/* Each runs the units' hook in order until one returns other than LS_HOOK_NEXT, and returns
 * that result (LS_HOOK_NEXT when none handled the message). */
int sip_hook_request(struct sip_msg *msg);
int sip_hook_reply(struct sip_msg *msg);
int sip_hook_route_end(struct sip_msg *msg, int failed);
int sip_hook_local_reply(struct sip_msg *req, int code, const char *buf, size_t len);

#endif
