/* The script's SIP routes (on_request, on_reply) in coroutines, and what happens when they end:
 * the Lua side of the receive path, which core/sip/sip.c calls up through sip_set_routes. */
#include <lunasip/coro.h>
#include <lunasip/lua.h>
#include <lunasip/proxy.h>
#include <lunasip/sip.h>
#include "log.h"
#include "lua/script.h"
#include "sip/hook.h"
#include "stats.h"

int sip_route_start(const char *name, enum coro_kind kind, struct sip_msg *msg, coro_done_fn done)
{
    if (!script_route(script_current->L, name)) /* raw: a strict _G cannot raise here */
        return 0;
    lua_pop(script_current->L, 1);
    struct coro *c = coro_new(script_current, kind, msg);
    script_route(coro_L(c), name);
    lmsg_push(coro_L(c), msg);
    coro_set_done(c, done, NULL);
    coro_resume(c, NULL, 1);
    return 1;
}

static void request_done(struct coro *c, enum coro_status st, const char *err)
{
    struct sip_msg *msg = coro_msg(c);
    int ack = sipmsg_method_is(msg, "ACK");
    if (sip_hook_route_end(msg, st == CORO_ERROR) != LS_HOOK_NEXT)
        return;
    if (st == CORO_ERROR) {
        if (!msg->replied && !ack && !msg->dropped)
            proxy_reply(msg, 500, "Server Internal Error", NULL, NULL, 0);
    } else if (!msg->replied && !msg->forwarded && !msg->dropped) {
        struct sip_str m = sipmsg_method(msg), id = sipmsg_call_id(msg);
        log_debug("%.*s %.*s dropped: the route neither replied nor forwarded", (int)m.len, m.s, (int)id.len, id.s);
        stats_inc(STAT_DROPPED);
    }
}

static void reply_done(struct coro *c, enum coro_status st, const char *err)
{
    if (!coro_msg(c)->dropped)
        proxy_forward_reply(coro_msg(c));
}

static int request_route(struct sip_msg *msg)
{
    return sip_route_start("on_request", CORO_REQUEST, msg, request_done);
}

static int reply_route(struct sip_msg *msg)
{
    return sip_route_start("on_reply", CORO_REPLY, msg, reply_done);
}

void sip_route_init(void)
{
    static const struct sip_routes r = { request_route, reply_route };
    sip_set_routes(&r);
}
