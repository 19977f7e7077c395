/* The receive-path hook chains (struct ls_unit's on_request, on_reply, on_route_end,
 * on_local_reply). The unit loader adds each unit's hooks in hook order; the receive path
 * (sip.c) and local replies (proxy.c) run them. Main loop only. */
#ifndef CORE_SIP_HOOK_H
#define CORE_SIP_HOOK_H
#include <lunasip/hook.h>

/* The script's routes, called up by the receive path after the hooks; set by the Lua layer
 * (core/lua/sip_route.c). Each returns 0 when the script has no such route: a request is then
 * dropped, a reply forwarded statelessly. */
struct sip_routes {
    int (*request)(struct sip_msg *msg);
    int (*reply)(struct sip_msg *msg);
};
void sip_set_routes(const struct sip_routes *r);
/* Set when the server stops: new requests get 503 with Retry-After (after the units' on_request
 * hooks, so retransmissions and CANCELs of transactions in flight are still handled). */
extern int sip_draining;

/* One unit's hooks (each may be NULL). */
struct sip_hooks {
    ls_msg_hook on_request, on_reply;
    ls_route_end_hook on_route_end;
    ls_local_reply_hook on_local_reply;
};

/* Append h to the chains (copied); 0, or -1 when out of memory. clear empties them. */
int sip_hook_add(const struct sip_hooks *h);
void sip_hook_clear(void);

/* Each runs the hooks in order until one returns other than LS_HOOK_NEXT, and returns that
 * result (LS_HOOK_NEXT when none handled the message). */
int sip_hook_request(struct sip_msg *msg);
int sip_hook_reply(struct sip_msg *msg);
int sip_hook_route_end(struct sip_msg *msg, int failed);
int sip_hook_local_reply(struct sip_msg *req, int code, const char *buf, size_t len);

#endif
