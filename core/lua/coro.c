/* Route coroutines (include/lunasip/coro.h). */
#include <lunasip/coro.h>
#include "log.h"
#include "lua/script.h"
#include "loop.h"
#include <lunasip/msg.h>
#include "stats.h"
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/queue.h>
#include <string.h>
#include <time.h>

struct coro {
    struct script *s;
    lua_State *L;            /* the thread */
    int ref;                 /* registry reference that keeps the thread alive */
    enum coro_kind kind;
    struct sip_msg *msg;     /* message of a SIP route (reference held), or NULL */
    coro_done_fn done;
    void *data;              /* owner's data for done() */
    coro_cancel_fn cancel_wait; /* set while suspended */
    void *wait_data;
    int running;             /* inside lua_resume */
    int over;                /* past its CPU budget in this resume: every instruction raises */
    struct timespec started; /* thread CPU time at the start of this resume (estimated at the
                              * first budget check, tv_sec -1 before it) */
    struct timespec resumed; /* CLOCK_MONOTONIC at the start of this resume */
    LIST_ENTRY(coro) link;   /* all live coroutines */
};

int coro_budget_ms = 500;  /* config.limits.route_ms */

#define CORO_HOOK_COUNT 10000 /* VM instructions between two looks at the CPU clock */

static int alive;          /* coroutines not yet finished */
static LIST_HEAD(, coro) live = LIST_HEAD_INITIALIZER(live); /* live coroutines */
static coro_wait_guard_fn *guards; /* coro_wait_guard_add, in registration order */
static size_t nguards;

struct coro *coro_of(lua_State *L)
{
    return *(struct coro **)lua_getextraspace(L);
}

lua_State *coro_L(const struct coro *c) { return c->L; }
struct script *coro_script(const struct coro *c) { return c->s; }
enum coro_kind coro_kind(const struct coro *c) { return c->kind; }
struct sip_msg *coro_msg(const struct coro *c) { return c->msg; }
void *coro_data(const struct coro *c) { return c->data; }
int coro_count(void) { return alive; }
int coro_waiting(const struct coro *c) { return c->cancel_wait != NULL; }

void coro_cancel_detached(struct script *s)
{
    struct coro *c = LIST_FIRST(&live);
    while (c) {
        if (c->s == s && !c->running && (c->kind == CORO_SPAWN || c->kind == CORO_TIMER || c->kind == CORO_START)) {
            coro_cancel(c); /* its cancel hook may end others too: start over */
            c = LIST_FIRST(&live);
        } else {
            c = LIST_NEXT(c, link);
        }
    }
}

void coro_set_done(struct coro *c, coro_done_fn done, void *data)
{
    c->done = done;
    c->data = data;
}

int coro_wait_guard_add(coro_wait_guard_fn fn)
{
    coro_wait_guard_fn *g = realloc(guards, (nguards + 1) * sizeof *g);
    if (!g)
        return -1;
    guards = g;
    guards[nguards++] = fn;
    return 0;
}

void coro_wait_guard_remove(coro_wait_guard_fn fn)
{
    for (size_t i = 0; i < nguards; i++)
        if (guards[i] == fn) {
            memmove(guards + i, guards + i + 1, (nguards - i - 1) * sizeof *guards);
            if (--nguards == 0) {
                free(guards);
                guards = NULL;
            }
            return;
        }
}

struct coro *coro_can_wait(lua_State *L, const char *what, char *why, size_t whylen)
{
    struct coro *c = coro_of(L);
    if (!c || !c->running) {
        snprintf(why, whylen, "%s can only be called in a route, timer or spawned coroutine", what);
        return NULL;
    }
    if (!lua_isyieldable(L)) {
        snprintf(why, whylen, "%s cannot wait here: a C function (a metamethod, an iterator, a sort "
                              "comparator, ...) is between it and the route", what);
        return NULL;
    }
    if (c->kind != CORO_REQUEST)
        return c;
    const char *reason = NULL;
    for (size_t i = 0; i < nguards; i++)
        if ((reason = guards[i](c)) == NULL)
            return c;
    if (reason)
        snprintf(why, whylen, "%s: this request route cannot wait (%s)", what, reason);
    else
        snprintf(why, whylen, "%s in a SIP request route needs the tm unit (add tm to config.units) "
                              "so that retransmissions are absorbed while it waits", what);
    return NULL;
}

struct coro *coro_check_wait(lua_State *L, const char *what)
{
    char why[256];
    struct coro *c = coro_can_wait(L, what, why, sizeof why);
    if (!c)
        luaL_error(L, "%s", why);
    return c;
}

static long ms_between(const struct timespec *t0, const struct timespec *t1)
{
    return (long)(t1->tv_sec - t0->tv_sec) * 1000 + (t1->tv_nsec - t0->tv_nsec) / 1000000;
}

/* CPU milliseconds c used in this resume. The thread's CPU clock is a system call, so a resume
 * does not read it (most routes end before the first check): the first check takes it and
 * counts the time before it by the wall clock (a vDSO call at resume), which is never less. */
static long cpu_ms_used(struct coro *c)
{
    struct timespec now;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    if (c->started.tv_sec < 0) {
        struct timespec wall;
        clock_gettime(CLOCK_MONOTONIC, &wall);
        long before = ms_between(&c->resumed, &wall);
        c->started = now;
        c->started.tv_sec -= before / 1000;
        c->started.tv_nsec -= (before % 1000) * 1000000;
        if (c->started.tv_nsec < 0) {
            c->started.tv_sec--;
            c->started.tv_nsec += 1000000000;
        }
    }
    return ms_between(&c->started, &now);
}

/* Count hook of every route thread (threads made by coroutine.create inherit it). Past the
 * budget it raises at every instruction from then on, so a pcall in the route cannot swallow
 * the error: the route ends. */
static void budget_hook(lua_State *L, lua_Debug *ar)
{
    struct coro *c = coro_of(L);
    if (!c || !c->running)
        return;
    if (!c->over && cpu_ms_used(c) < coro_budget_ms)
        return;
    if (!c->over) {
        c->over = 1;
        lua_sethook(c->L, budget_hook, LUA_MASKCOUNT, 1);
    }
    lua_sethook(L, budget_hook, LUA_MASKCOUNT, 1);
    luaL_error(L, "the route used more than its CPU budget of %d ms (config.limits.route_ms)", coro_budget_ms);
}

struct coro *coro_new(struct script *s, enum coro_kind kind, struct sip_msg *msg)
{
    struct coro *c = calloc(1, sizeof *c);
    if (!c)
        abort();
    c->s = script_ref(s);
    c->kind = kind;
    c->msg = msg ? sipmsg_ref(msg) : NULL;
    if (s->nidle > 0) { /* a thread whose route finished: no lua_newthread per route */
        s->nidle--;
        c->L = s->idle[s->nidle];
        c->ref = s->idle_ref[s->nidle];
        /* Keep the collector's pace as if a thread had been allocated: what a route leaves
         * behind (msg userdata pinning a C message much larger than itself) must not wait
         * for a collection that allocations alone would start much later. */
        lua_gc(s->L, LUA_GCSTEP, 1);
    } else {
        c->L = lua_newthread(s->L);
        c->ref = luaL_ref(s->L, LUA_REGISTRYINDEX);
    }
    *(struct coro **)lua_getextraspace(c->L) = c;
    lua_sethook(c->L, budget_hook, LUA_MASKCOUNT, CORO_HOOK_COUNT);
    alive++;
    LIST_INSERT_HEAD(&live, c, link);
    return c;
}

/* finished: the route returned (its thread can run the next one); else it failed or was
 * cancelled while suspended, and the thread is dropped. */
static void coro_free(struct coro *c, int finished)
{
    struct script *s = c->s;
    *(struct coro **)lua_getextraspace(c->L) = NULL;
    if (finished && s->nidle < SCRIPT_IDLE_THREADS && lua_status(c->L) == LUA_OK) {
        lua_settop(c->L, 0);
        s->idle[s->nidle] = c->L;
        s->idle_ref[s->nidle++] = c->ref;
    } else {
        luaL_unref(s->L, LUA_REGISTRYINDEX, c->ref);
    }
    sipmsg_unref(c->msg);
    script_unref(c->s);
    LIST_REMOVE(c, link);
    alive--;
    free(c);
}

void coro_wait(struct coro *c, coro_cancel_fn cancel, void *wait_data)
{
    if (c->cancel_wait) /* armed before, but an error (caught by a pcall) came instead of the yield */
        c->cancel_wait(c, c->wait_data);
    c->cancel_wait = cancel;
    c->wait_data = wait_data;
}

void coro_cancel(struct coro *c)
{
    if (c->cancel_wait)
        c->cancel_wait(c, c->wait_data);
    coro_free(c, 0);
}

void coro_cancel_all(void)
{
    while (!LIST_EMPTY(&live))
        coro_cancel(LIST_FIRST(&live));
}

enum coro_status coro_resume(struct coro *c, lua_State *from, int nargs)
{
    int nres;
    c->cancel_wait = NULL;
    c->wait_data = NULL;
    c->running = 1;
    c->over = 0;
    c->started.tv_sec = -1; /* read at the first budget check (cpu_ms_used) */
    clock_gettime(CLOCK_MONOTONIC, &c->resumed);
    int enforced = script_mem_enforce(1);
    int rc = lua_resume(c->L, from, nargs, &nres);
    script_mem_enforce(enforced);
    c->running = 0;
    if (c->over)
        lua_sethook(c->L, budget_hook, LUA_MASKCOUNT, CORO_HOOK_COUNT);
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
    if (c->cancel_wait) { /* it ended with a wait armed (e.g. an error after arming): undo it */
        c->cancel_wait(c, c->wait_data);
        c->cancel_wait = NULL;
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
    coro_free(c, st == CORO_DONE);
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
    if (ms < 0)
        return luaL_error(L, "sip.sleep: negative time");
    struct coro *c = coro_check_wait(L, "sip.sleep");
    struct event *ev = evtimer_new(server_base(), sleep_fired, c);
    loop_timer_arm_now(ev, (long)ms);
    coro_wait(c, sleep_cancel, ev);
    return lua_yield(L, 0);
}
