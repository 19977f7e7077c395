/* The route script: a Lua state loaded from a file (or the embedded default), its config table,
 * and the timers it started. A reload makes a new script; the old one lives on until its last
 * coroutine ends. Main loop only. */
#ifndef CORE_SCRIPT_H
#define CORE_SCRIPT_H
#include "log.h"
#include "transport/resolve.h"
#include <lua.h>
#include <stdio.h>
#include <lunasip/coro.h>
#include <lunasip/lua.h>

struct script_timer;

/* config.http connection caps and timeouts, applied by core/http (http_conn.c). */
#define HTTP_DEFAULT_MAX_CONNECTIONS 256
#define HTTP_DEFAULT_MAX_ROUTES 128
struct http_limits {
    int max_connections;   /* open connections; past it the longest waiting one is closed */
    int max_routes;        /* on_http routes running; more requests get 503 */
    int header_timeout_ms; /* first byte of a request to the end of its headers */
    int body_timeout_ms;   /* end of the headers to the end of the body */
    int idle_timeout_ms;   /* a connection waiting for its (next) request */
};
#define HTTP_LIMITS_DEFAULT { .max_connections = HTTP_DEFAULT_MAX_CONNECTIONS, .max_routes = HTTP_DEFAULT_MAX_ROUTES, \
                              .header_timeout_ms = 10000, .body_timeout_ms = 30000, .idle_timeout_ms = 60000 }
struct tls_settings;

/* config.tls or config.http.tls (paths resolved against the script's folder). */
struct script_tls {
    char *cert, *key, *ca;      /* NULL when absent */
    int verify;                 /* default true */
    int verify_client;          /* require a client certificate signed by ca (default false) */
    int min_version;            /* OpenSSL version number, 0: the default (TLS 1.2) */
    int set;                    /* the table was given */
};

struct script {
    lua_State *L;
    char *path;                 /* NULL for the embedded default */
    int refs;                   /* the current-script slot, live coroutines and timers */
    struct script_timer *timers;/* sip.after / sip.every timers (cancelled when retired) */
    size_t mem, mem_limit;      /* bytes the Lua state holds; config.limits.lua_memory_mb */
    int route_ms;               /* config.limits.route_ms */
    /* from `config` */
    char **listen;              /* config.listen entries */
    int nlisten;
    int log_level;              /* -1 when config.log.level is absent */
    struct log_settings log;    /* the rest of config.log */
    struct resolve_settings dns;/* config.dns */
    double tcp_idle_timeout;    /* seconds, < 0 when absent */
    int shutdown_grace_ms;      /* config.shutdown_grace */
    int tcp_max_connections, tcp_max_output, tcp_max_output_total; /* config.tcp caps */
    char **units;               /* names of config.units keys */
    int nunits;
    char *http_listen;          /* config.http.listen as "host:port", NULL: no HTTP server */
    char *http_token;           /* config.http.token, NULL: no auth */
    long http_max_body;         /* config.http.max_body in bytes, -1 when absent */
    struct script_tls tls;      /* config.tls (SIP over TLS and WSS, the SIP TLS client) */
    struct script_tls http_tls; /* config.http.tls (HTTPS) */
    long ws_max_frame;          /* config.websocket.max_frame, 0 when absent */
    char **ws_origins;          /* config.websocket.origins */
    int nws_origins;
    /* Threads of routes that finished, kept for the next coroutine (core/lua/coro.c); they die
     * with L. */
#define SCRIPT_IDLE_THREADS 32
    lua_State *idle[SCRIPT_IDLE_THREADS];
    int idle_ref[SCRIPT_IDLE_THREADS]; /* their registry references */
    int nidle;
    struct http_limits http_limits; /* config.http connection caps and timeouts */
};

extern struct script *script_current;

/* Join the script's on_request/on_reply to the SIP receive path (sip_route.c); once, at start. */
void sip_route_init(void);

/* What registers a Lua binding (the msg object, the sip table, ...) in a new script state: one
 * <area>_open(L) per binding file. */
typedef void (*script_open_fn)(lua_State *L);
/* The one list of bindings every script state gets, in order, NULL-terminated; set by the
 * process before the first script_load (the list must stay valid). */
void script_set_openers(const script_open_fn *list);

/* Load path (NULL: the embedded default) into a new Lua state and read `config`.
 * Returns the script (one reference) or NULL with the reason in err. */
struct script *script_load(const char *path, char *err, size_t errlen);

/* Push config.units[name] (a table, or nil) on s->L. */
void script_push_unit_params(struct script *s, const char *name);

/* Make s the current script (takes its reference); the previous one is retired: its timers
 * stop, and its state closes when the last coroutine in it ends. */
void script_activate(struct script *s);

/* The script whose Lua state L (or a thread of it) is. */
struct script *script_of(lua_State *L);

/* While on (1), allocations past a state's config.limits.lua_memory_mb fail (a Lua "not enough
 * memory" error in the route); off outside Lua code, so C calls into the API never see it.
 * Returns the previous value. */
int script_mem_enforce(int on);

/* lco.c: coroutine.resume/wrap that let a user coroutine wait inside a route. */
void lco_open(lua_State *L);

/* Push the global route function name on L (a raw lookup: a metatable on _G cannot raise);
 * returns 1 when it is a function (else pushes nothing). */
int script_route(lua_State *L, const char *name);

/* Read the TLS table on top of L into tls (what names it in errors: "config.tls").
 * Returns 0, or -1 with the reason in err (tls keeps what it got: free it). script_tls.c */
int script_read_tls(lua_State *L, const char *what, const char *script_path, struct script_tls *tls, char *err,
                    size_t errlen);
void script_tls_free(struct script_tls *tls);
/* config.websocket = { max_frame = bytes, origins = { "https://..." } } on top of L. */
int script_read_websocket(struct script *s, lua_State *L, char *err, size_t errlen);
/* A view of tls as tls.c wants it (pointers into tls). */
void script_tls_settings(const struct script_tls *tls, struct tls_settings *out);

/* `lunasip -c` hints: calls to Kamailio's KSR.* (the lines and the migration guide), as
 * "warning: ..." lines on out (a script without on_request is warned about by script_load()).
 * Returns how many. */
int script_lint(struct script *s, FILE *out);

/* script_ref() and script_unref() are in lunasip/lua.h. */

/* Timers for sip.after / sip.every: fnref (a registry reference, owned by the timer from now on)
 * runs in a new coroutine after ms, once or every ms. Returns the timer's id. */
unsigned long script_timer_add(struct script *s, int fnref, long ms, int repeat);
/* Stop timer id of s; 1 when it was still pending. */
int script_timer_stop(struct script *s, unsigned long id);

struct sip_msg;
/* Set by core/http (http_req.c): lmsg_check() on an on_http req userdata whose SIP-shaped
 * twin is not built yet calls it with the userdata; it builds the twin or raises an error. */
extern struct sip_msg *(*lmsg_req_twin)(lua_State *L, void *ud);

#endif
