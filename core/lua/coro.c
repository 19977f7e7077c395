#include <lunasip/coro.h>
#include "log.h"
#include "lua/script.h"
#include "server.h"
#include <lunasip/msg.h>
#include "stats.h"
#include <event2/event.h>
#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

int coro_alive;
static struct coro *live; /* list of live coroutines */
int (*coro_request_can_wait)(struct coro *c);

struct coro *coro_of(lua_State *L)
{
    return *(struct coro **)lua_getextraspace(L);
}

struct coro *coro_new(struct script *s, enum coro_kind kind, struct sip_msg *msg)
{
    struct coro *c = calloc(1, sizeof *c);
    if (!c)
        abort();
    c->s = script_ref(s);
    c->kind = kind;
    c->msg = msg ? sipmsg_ref(msg) : NULL;
    c->L = lua_newthread(s->L);
    c->ref = luaL_ref(s->L, LUA_REGISTRYINDEX);
    *(struct coro **)lua_getextraspace(c->L) = c;
    coro_alive++;
    c->next = live;
    if (live)
        live->prev = c;
    live = c;
    return c;
}

static void coro_free(struct coro *c)
{
    *(struct coro **)lua_getextraspace(c->L) = NULL;
    luaL_unref(c->s->L, LUA_REGISTRYINDEX, c->ref);
    sipmsg_unref(c->msg);
    script_unref(c->s);
    if (c->prev)
        c->prev->next = c->next;
    else
        live = c->next;
    if (c->next)
        c->next->prev = c->prev;
    coro_alive--;
    free(c);
}

void coro_wait(struct coro *c, coro_cancel_fn cancel, void *wait_data)
{
    c->cancel_wait = cancel;
    c->wait_data = wait_data;
}

void coro_cancel(struct coro *c)
{
    if (c->cancel_wait)
        c->cancel_wait(c, c->wait_data);
    coro_free(c);
}

void coro_cancel_all(void)
{
    while (live)
        coro_cancel(live);
}

enum coro_status coro_resume(struct coro *c, lua_State *from, int nargs)
{
    int nres;
    c->cancel_wait = NULL;
    c->wait_data = NULL;
    c->running = 1;
    int rc = lua_resume(c->L, from, nargs, &nres);
    c->running = 0;
    if (rc == LUA_YIELD) {
        lua_pop(c->L, nres);
        if (!c->cancel_wait) {
            /* A bare coroutine.yield() in a route: nothing would ever resume it. */
            luaL_traceback(c->L, c->L, "routes may not yield directly (use sip.sleep)", 0);
            rc = LUA_ERRRUN;
        } else {
            return CORO_WAITING;
        }
    }
    enum coro_status st = CORO_DONE;
    const char *err = NULL;
    if (rc != LUA_OK) {
        st = CORO_ERROR;
        if (rc != LUA_YIELD) {
            const char *m = lua_tostring(c->L, -1);
            luaL_traceback(c->L, c->L, m ? m : "(error object is not a string)", 0);
        }
        err = lua_tostring(c->L, -1);
        ls_log(LS_LOG_ERROR, "lua", "%s", err ? err : "unknown error");
        stats_inc(STAT_ROUTE_ERRORS);
    }
    if (c->done)
        c->done(c, st, err);
    coro_free(c);
    return st;
}

static void sleep_fired(evutil_socket_t fd, short what, void *arg)
{
    struct coro *c = arg;
    event_free(c->wait_data);
    c->wait_data = NULL;
    c->cancel_wait = NULL;
    coro_resume(c, NULL, 0);
}

static void sleep_cancel(struct coro *c, void *ev)
{
    event_free(ev);
}

int coro_sleep(lua_State *L, lua_Integer ms)
{
    struct coro *c = coro_of(L);
    if (ms < 0)
        return luaL_error(L, "sip.sleep: negative time");
    if (!c || c->running == 0)
        return luaL_error(L, "sip.sleep can only be called in a route, timer or spawned coroutine");
    if (c->kind == CORO_REQUEST && !(coro_request_can_wait && coro_request_can_wait(c)))
        return luaL_error(L, "sip.sleep in a SIP request route needs the tm unit "
                             "(add tm to config.units) so that retransmissions are absorbed while it waits");
    struct event *ev = evtimer_new(server_base(), sleep_fired, c);
    struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };
    evtimer_add(ev, &tv);
    coro_wait(c, sleep_cancel, ev);
    return lua_yield(L, 0);
}
