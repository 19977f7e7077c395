/* Route coroutines: one Lua thread per SIP request, SIP reply, HTTP request, timer tick or
 * sip.spawn. Main loop only. The model is HAProxy's hlua_ctx_resume(): one function resumes and
 * reports our own status; whoever suspends a coroutine registers how to cancel its wait.
 *
 * A function that suspends a route follows the same steps (STYLE.md): check its arguments; get
 * the coroutine with coro_check_wait() (raises when this context may not wait); arm the event
 * with a cancel hook (coro_wait); then `return lua_yield(L, 0)`. */
#ifndef LUNASIP_CORO_H
#define LUNASIP_CORO_H
#include <lua.h>
#include <stddef.h>
#include <lunasip/api.h>

LS_API_BEGIN
struct script;
struct sip_msg;

enum coro_kind { CORO_REQUEST, CORO_REPLY, CORO_START, CORO_TIMER, CORO_SPAWN, CORO_HTTP };
enum coro_status { CORO_DONE, CORO_WAITING, CORO_ERROR };

struct coro; /* opaque: use the accessors below */
/* Called once when the coroutine ends, before it is freed; err is the message with traceback. */
typedef void (*coro_done_fn)(struct coro *c, enum coro_status st, const char *err);
/* Undo a pending wait (free the timer, detach from a transaction, ...) when the coroutine is
 * cancelled while waiting. */
typedef void (*coro_cancel_fn)(struct coro *c, void *wait_data);

/* A new coroutine in script s (s and msg, when not NULL, are referenced until it ends); push
 * the function and its arguments on coro_L(c), then coro_resume. */
struct coro *coro_new(struct script *s, enum coro_kind kind, struct sip_msg *msg);

/* The coroutine's Lua thread, its script, its kind, and the message of a SIP route (or NULL). */
lua_State *coro_L(const struct coro *c);
struct script *coro_script(const struct coro *c);
enum coro_kind coro_kind(const struct coro *c);
struct sip_msg *coro_msg(const struct coro *c);

/* What to call when c ends (done may be NULL) and the owner's data it finds with coro_data(). */
void coro_set_done(struct coro *c, coro_done_fn done, void *data);
void *coro_data(const struct coro *c);

/* Resume c with nargs values on its stack. from: the Lua state calling (NULL from the loop).
 * On DONE or ERROR, done() has run and c is freed: do not touch it afterwards. */
enum coro_status coro_resume(struct coro *c, lua_State *from, int nargs);

/* The coroutine running L, or NULL (main chunk, on_start before threads, ...). */
struct coro *coro_of(lua_State *L);

/* Coroutines started and not yet finished. */
int coro_count(void);

/* Whether c armed a wait (coro_wait) since it was last resumed. */
int coro_waiting(const struct coro *c);

/* CPU milliseconds one resume of a route may use (config.limits.route_ms); past it the route
 * ends with an error that pcall cannot swallow. */
extern int coro_budget_ms;

/* Cancel the suspended coroutines of script s that no request waits for (sip.spawn, timer
 * ticks, on_start): done when s is replaced by a reload. */
void coro_cancel_detached(struct script *s);

/* The one "can the caller wait here" check, for every C function that suspends a route. The
 * coroutine running L when it may suspend now: L is a running route, timer or spawned
 * coroutine, lua_isyieldable(L) (no C call boundary such as a metamethod or a sort comparator
 * in between), and a SIP request route has what it needs to wait (see coro_wait_guard).
 * Otherwise NULL with the reason, naming what ("sip.sleep"), in why.
 * coro_check_wait raises that reason as a Lua error instead: call it before allocating anything
 * an error would leak. */
struct coro *coro_can_wait(lua_State *L, const char *what, char *why, size_t whylen);
struct coro *coro_check_wait(lua_State *L, const char *what);

/* Whether a SIP request route may suspend (a unit keeping transactions says yes while the
 * request's transaction exists, so retransmissions are absorbed while it waits). NULL: it may;
 * else the reason, e.g. "its transaction has ended". Without a guard request routes may not
 * wait; with several, one saying yes is enough. add returns 0, or -1 when out of memory. */
typedef const char *(*coro_wait_guard_fn)(struct coro *c);
int coro_wait_guard_add(coro_wait_guard_fn fn);
void coro_wait_guard_remove(coro_wait_guard_fn fn);

/* Record what to call if c is cancelled while suspended; call right before lua_yield. */
void coro_wait(struct coro *c, coro_cancel_fn cancel, void *wait_data);

/* Cancel a suspended coroutine: its wait is undone and it is freed without running done(). */
void coro_cancel(struct coro *c);

/* Cancel every suspended coroutine (at exit). */
void coro_cancel_all(void);

/* Suspend the calling route for ms milliseconds (sip.sleep). Raises a Lua error when the
 * context cannot wait. Use as `return coro_sleep(L, ms);` */
int coro_sleep(lua_State *L, lua_Integer ms);


LS_API_END
#endif
