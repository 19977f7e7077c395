/* Route coroutines: one Lua thread per SIP request, SIP reply, HTTP request, timer tick or
 * sip.spawn. Main loop only. The model is HAProxy's hlua_ctx_resume(): one function resumes and
 * reports our own status; whoever suspends a coroutine registers how to cancel its wait. */
#ifndef LUNASIP_CORO_H
#define LUNASIP_CORO_H
#include <lua.h>

struct script;
struct sip_msg;
struct event;

enum coro_kind { CORO_REQUEST, CORO_REPLY, CORO_START, CORO_TIMER, CORO_SPAWN, CORO_HTTP };
enum coro_status { CORO_DONE, CORO_WAITING, CORO_ERROR };

struct coro;
/* Called once when the coroutine ends, before it is freed; err is the message with traceback. */
typedef void (*coro_done_fn)(struct coro *c, enum coro_status st, const char *err);
/* Undo a pending wait (free the timer, detach from a transaction, ...) when the coroutine is
 * cancelled while waiting. */
typedef void (*coro_cancel_fn)(struct coro *c, void *wait_data);

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
    struct coro *prev, *next;/* all live coroutines */
};

extern int coro_alive; /* coroutines not yet finished */

/* A new coroutine in script s; push the function and its arguments on c->L, then coro_resume. */
struct coro *coro_new(struct script *s, enum coro_kind kind, struct sip_msg *msg);

/* Resume c with nargs values on its stack. from: the Lua state calling (NULL from the loop).
 * On DONE or ERROR, done() has run and c is freed: do not touch it afterwards. */
enum coro_status coro_resume(struct coro *c, lua_State *from, int nargs);

/* The coroutine running L, or NULL (main chunk, on_start before threads, ...). */
struct coro *coro_of(lua_State *L);

/* Record what to call if c is cancelled while suspended; call right before lua_yield. */
void coro_wait(struct coro *c, coro_cancel_fn cancel, void *wait_data);

/* Cancel a suspended coroutine: its wait is undone and it is freed without running done(). */
void coro_cancel(struct coro *c);

/* Cancel every suspended coroutine (at exit). */
void coro_cancel_all(void);

/* Suspend the calling route for ms milliseconds (sip.sleep). Raises a Lua error when the
 * context cannot wait. Use as `return coro_sleep(L, ms);` */
int coro_sleep(lua_State *L, lua_Integer ms);

/* Keep a script (and so its Lua state, whose main thread is the registry's LUA_RIDX_MAINTHREAD)
 * alive while holding registry references in it, e.g. route callbacks kept across events. */
struct script *script_ref(struct script *s);
void script_unref(struct script *s);

/* Set by the tm unit: whether a SIP request route may suspend (its transaction exists). */
extern int (*coro_request_can_wait)(struct coro *c);

#endif
