/* The route script: a Lua state loaded from a file (or the embedded default), its config table,
 * and the timers it started. A reload makes a new script; the old one lives on until its last
 * coroutine ends. Main loop only. */
#ifndef CORE_SCRIPT_H
#define CORE_SCRIPT_H
#include "log.h"
#include <lua.h>

struct script_timer;

struct script {
    lua_State *L;
    char *path;                 /* NULL for the embedded default */
    int refs;                   /* the current-script slot, live coroutines and timers */
    struct script_timer *timers;/* sip.after / sip.every timers (cancelled when retired) */
    /* from `config` */
    char **listen;              /* config.listen entries */
    int nlisten;
    int log_level;              /* -1 when config.log.level is absent */
    struct log_settings log;    /* the rest of config.log */
    double tcp_idle_timeout;    /* seconds, < 0 when absent */
    char **units;               /* names of config.units keys */
    int nunits;
    char *http_listen;          /* config.http.listen as "host:port", NULL: no HTTP server */
    char *http_token;           /* config.http.token, NULL: no auth */
    long http_max_body;         /* config.http.max_body in bytes, -1 when absent */
};

extern struct script *script_current;

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

/* Push the global route function name on L; returns 1 when it is a function (else pushes nothing). */
int script_route(lua_State *L, const char *name);

struct script *script_ref(struct script *s);
void script_unref(struct script *s);

/* Timers for sip.after / sip.every: fnref (a registry reference, owned by the timer from now on)
 * runs in a new coroutine after ms, once or every ms. Returns the timer's id. */
unsigned long script_timer_add(struct script *s, int fnref, long ms, int repeat);
/* Stop timer id of s; 1 when it was still pending. */
int script_timer_stop(struct script *s, unsigned long id);

#endif
