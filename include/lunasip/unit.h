/* The unit API: what a loadable unit (core/units/<name>/ -> <name>.so) exports, and the one
 * way any unit, tm included, joins the core.
 *
 * A unit defines one `struct ls_unit` and exports it with LS_UNIT_EXPORT(u). The core dlopen()s
 * every unit named in config.units (RTLD_NOW), checks ls_unit_abi before touching anything else,
 * and only when all are loaded calls init() on each, so a unit may bind another unit's typed
 * API (ls_unit_api) in its init whatever the order of config.units. Then, in hook order (below),
 * it joins each unit's hooks to the receive-path chains; after start() it registers the unit's
 * HTTP routes and metrics writer, and removes them again before stop(). Main loop only.
 *
 * Hook order: the units' hooks run by ascending `priority` (0 by default; negative runs
 * earlier), units of equal priority by name (strcmp), whatever the order of config.units. A
 * hook returns LS_HOOK_NEXT to let the next one (and in the end the core's default) handle the
 * message, or LS_HOOK_DONE when it handled it: the chain stops there. See docs/architecture.md
 * for where each chain sits on the path of a message. */
#ifndef LUNASIP_UNIT_H
#define LUNASIP_UNIT_H
#include <stddef.h>
#include <lunasip/abi.h> /* LS_UNIT_ABI, generated from the public headers at build time */
#include <lunasip/api.h>
#include <lunasip/hook.h>  /* enum ls_hook_result, hook types */
#include <lunasip/loop.h>  /* server_base(), timers */

LS_API_BEGIN
/* Only forward declarations: a unit needs no Lua, libevent or jansson headers for this one. */
struct lua_State;
struct luaL_Reg;
struct sip_msg;
struct coro;
struct evbuffer;
struct json_t;
struct ls_http_request;

/* An HTTP route of a unit (see ls_http_route in lunasip/http.h for matching). */
struct ls_unit_route {
    const char *method;        /* "GET", ..., or NULL for any method */
    const char *path_prefix;   /* under /api/, e.g. "/api/dispatcher" */
    int (*fn)(const struct ls_http_request *req, struct json_t **reply, void *arg); /* an
                                * ls_http_handler (lunasip/http.h); NULL ends the list */
    void *arg;
};

struct ls_unit {
    const char *name;
    /* Check parameters and set up. The config.units[name] table (or nil) is on top of L's stack
     * (a scratch Lua state: read values, keep no references). Return 0, or -1 with the reason. */
    int (*init)(struct lua_State *L, char *err, size_t errlen);
    /* Listeners are open and the loop exists: start timers, probes. Return 0 or -1 with the reason. */
    int (*start)(char *err, size_t errlen);
    /* At exit (the shutdown callback), before the loop is freed: release everything. */
    void (*stop)(void);
    /* Functions of the Lua table named after the unit (tm.relay, ...), registered in every script
     * state (at start and on each reload). NULL-terminated; may be NULL. */
    const struct luaL_Reg *lua;
    /* Typed API for other units, returned by ls_unit_api(name). May be NULL. */
    const void *api;

    /* ---- receive-path hooks (each may be NULL), in hook order ---- */
    int priority;
    /* A well-formed request (received/rport added), before the on_request route. DONE: it was
     * handled (a retransmission absorbed, a CANCEL answered): no route runs for it. */
    ls_msg_hook on_request;
    /* Every well-formed reply, before the stateless reply path. DONE: handled. */
    ls_msg_hook on_reply;
    /* The on_request route of msg ended (failed: it raised an error). DONE: the unit took the
     * request over; NEXT for all: the core's stateless ending (500 on error, else a drop). */
    ls_route_end_hook on_route_end;
    /* A local reply (msg:reply(), proxy_reply) to request req: code and its bytes buf/len (the
     * caller's, valid during the call). DONE when the unit sent it, FAILED when it took it but
     * could not send it, NEXT to let it go out statelessly. */
    ls_local_reply_hook on_local_reply;
    /* Whether a SIP request route may suspend now: a coro_wait_guard_fn (lunasip/coro.h). */
    const char *(*wait_guard)(struct coro *c);

    /* ---- HTTP, metrics, reload ---- */
    const struct ls_unit_route *http; /* routes, ending with fn == NULL; may be NULL */
    void (*metrics)(struct evbuffer *out, void *arg); /* an ls_metrics_writer (lunasip/http.h),
                                       * appended to GET /metrics; may be NULL */
    void *metrics_arg;
    /* The script was reloaded (SIGHUP, /api/reload) and its new state is current. May be NULL. */
    void (*reload)(void);
    /* Work in flight that a stopping server (SIGTERM) waits for, up to config.shutdown_grace
     * (tm: transactions still waiting for their final reply). May be NULL. */
    unsigned long (*in_flight)(void);
};

#define LS_UNIT_EXPORT(u)                                                  \
    __attribute__((visibility("default"))) const unsigned ls_unit_abi = LS_UNIT_ABI; \
    __attribute__((visibility("default"))) const struct ls_unit *ls_unit_exports = &(u);

/* The script file given with -f (or ./lunasip.lua), as given; NULL for the embedded default.
 * Units resolve relative paths in their parameters against its directory. */
const char *server_script_path(void);

/* The API pointer of loaded unit name, or NULL when it is not loaded. Valid from init() on. */
const void *ls_unit_api(const char *name);

LS_API_END
#endif
