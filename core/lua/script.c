#include "lua/script.h"
#include "transport/hostport.h"
#include <lunasip/coro.h>
#include "log.h"
#include <lunasip/lua.h>
#include <lunasip/transport.h>
#include "stats.h"
#include "loop.h"
#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern const char lunasip_default_script[];

struct script *script_current;
static const script_open_fn *openers; /* script_set_openers */

void script_set_openers(const script_open_fn *list)
{
    openers = list;
}

struct script_timer {
    struct script_timer *next;
    struct script *s;
    struct event *ev;
    int fnref;       /* registry reference to the Lua function */
    int repeat;      /* sip.every */
    unsigned long id;/* handle given to Lua */
    struct coro *tick; /* sip.every: the tick still running, whose end clears this */
};

static void timer_free(struct script_timer *t)
{
    if (t->tick)
        coro_set_done(t->tick, NULL, NULL);
    for (struct script_timer **p = &t->s->timers; *p; p = &(*p)->next)
        if (*p == t) {
            *p = t->next;
            break;
        }
    event_free(t->ev);
    luaL_unref(t->s->L, LUA_REGISTRYINDEX, t->fnref);
    free(t);
}

static int mem_enforced;
static time_t mem_logged;

int script_mem_enforce(int on)
{
    int was = mem_enforced;
    mem_enforced = on;
    return was;
}

/* lua_Alloc of every script state: counts its bytes and refuses growth past its ceiling. */
static void *script_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    struct script *s = ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        s->mem -= old;
        return NULL;
    }
    if (nsize > old && mem_enforced && s->mem_limit && s->mem - old + nsize > s->mem_limit) {
        if (time(NULL) != mem_logged) {
            mem_logged = time(NULL);
            log_warn("Lua memory ceiling reached (config.limits.lua_memory_mb = %zu): the allocation fails",
                     s->mem_limit >> 20);
        }
        return NULL;
    }
    void *p = realloc(ptr, nsize);
    if (p)
        s->mem = s->mem - old + nsize;
    return p;
}

struct script *script_ref(struct script *s)
{
    s->refs++;
    return s;
}

static void timer_free(struct script_timer *t);

static void script_free(struct script *s)
{
    while (s->timers)
        timer_free(s->timers);
    if (s->L) {
        lua_close(s->L);
        stats_dec(STAT_LUA_STATES);
    }
    for (int i = 0; i < s->nlisten; i++)
        free(s->listen[i]);
    for (int i = 0; i < s->nunits; i++)
        free(s->units[i]);
    free(s->listen);
    free(s->units);
    free(s->http_listen);
    free(s->http_token);
    script_tls_free(&s->tls);
    script_tls_free(&s->http_tls);
    for (int i = 0; i < s->nws_origins; i++)
        free(s->ws_origins[i]);
    free(s->ws_origins);
    free(s->path);
    free(s);
}

void script_unref(struct script *s)
{
    if (s && --s->refs == 0)
        script_free(s);
}

static int traceback(lua_State *L)
{
    const char *m = lua_tostring(L, 1);
    luaL_traceback(L, L, m ? m : "(error object is not a string)", 1);
    return 1;
}

/* Collect a string list: a string or an array of strings. */
static int read_strings(lua_State *L, const char *what, char ***out, int *n, char *err, size_t errlen)
{
    if (lua_type(L, -1) == LUA_TSTRING) {
        *out = calloc(1, sizeof **out);
        (*out)[(*n)++] = strdup(lua_tostring(L, -1));
        return 0;
    }
    if (!lua_istable(L, -1)) {
        snprintf(err, errlen, "%s must be a string or a list of strings", what);
        return -1;
    }
    int len = (int)luaL_len(L, -1);
    *out = calloc((size_t)len + 1, sizeof **out);
    for (int i = 1; i <= len; i++) {
        lua_rawgeti(L, -1, i);
        if (lua_type(L, -1) != LUA_TSTRING) {
            snprintf(err, errlen, "%s[%d] must be a string", what, i);
            lua_pop(L, 1);
            return -1;
        }
        (*out)[(*n)++] = strdup(lua_tostring(L, -1));
        lua_pop(L, 1);
    }
    return 0;
}

/* Read the number field key of the table on top of L into *out (scaled by scale, e.g. seconds
 * to ms) when present; it must lie in [min, max]. what names the table in the error. */
static int read_number(lua_State *L, const char *what, const char *key, double min, double max,
                       double scale, int *out, char *err, size_t errlen)
{
    int rc = 0;
    if (lua_getfield(L, -1, key) != LUA_TNIL) {
        double v = lua_tonumber(L, -1);
        if (!lua_isnumber(L, -1) || v < min || v > max) {
            snprintf(err, errlen, "%s.%s must be a number from %g to %g", what, key, min, max);
            rc = -1;
        } else {
            *out = (int)(v * scale);
        }
    }
    lua_pop(L, 1);
    return rc;
}

/* config.http = { listen = "127.0.0.1:8080" | 8080, token = "...", max_body = bytes }; the
 * table is on top of L. */
static int read_http(struct script *s, lua_State *L, char *err, size_t errlen)
{
    if (!lua_istable(L, -1)) {
        snprintf(err, errlen, "config.http must be a table { listen = \"127.0.0.1:8080\", token = ... }");
        return -1;
    }
    int rc = -1, t = lua_getfield(L, -1, "listen");
    if (t == LUA_TSTRING || t == LUA_TNUMBER) {
        char host[128], why[256];
        int port;
        const char *spec = lua_tostring(L, -1);
        if (transport_parse_hostport(spec, host, sizeof host, &port, why, sizeof why) != 0) {
            snprintf(err, errlen, "config.http.listen: %s", why);
            goto out;
        }
        char buf[160];
        snprintf(buf, sizeof buf, strchr(host, ':') ? "[%s]:%d" : "%s:%d", host, port);
        s->http_listen = strdup(buf);
    } else if (t != LUA_TNIL) {
        snprintf(err, errlen, "config.http.listen must be \"host:port\" or a port number");
        goto out;
    }
    lua_pop(L, 1);
    t = lua_getfield(L, -1, "token");
    if (t == LUA_TSTRING && lua_rawlen(L, -1) > 0) {
        s->http_token = strdup(lua_tostring(L, -1));
    } else if (t == LUA_TBOOLEAN && !lua_toboolean(L, -1)) {
        if (s->http_listen && !transport_hostport_is_loopback(s->http_listen))
            log_warn("config.http.token = false: /api and /metrics on %s are open to anyone who can reach it",
                     s->http_listen);
    } else if (t != LUA_TNIL) {
        snprintf(err, errlen, "config.http.token must be a non-empty string (or false: no token)");
        goto out;
    } else if (s->http_listen && !transport_hostport_is_loopback(s->http_listen)) {
        snprintf(err, errlen, "config.http.listen = \"%s\" is not a loopback address: set config.http.token "
                              "(or token = false to serve /api and /metrics to anyone)", s->http_listen);
        goto out;
    }
    lua_pop(L, 1);
    t = lua_getfield(L, -1, "max_body");
    if (t != LUA_TNIL) {
        if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 0) {
            snprintf(err, errlen, "config.http.max_body must be a number of bytes");
            goto out;
        }
        s->http_max_body = (long)lua_tointeger(L, -1);
    }
    lua_pop(L, 1);
    if (lua_getfield(L, -1, "tls") != LUA_TNIL
        && script_read_tls(L, "config.http.tls", s->path, &s->http_tls, err, errlen) != 0)
        goto out;
    if (s->http_tls.set && !s->http_tls.cert) {
        snprintf(err, errlen, "config.http.tls needs cert and key");
        goto out;
    }
    lua_pop(L, 1);
    struct http_limits *hl = &s->http_limits;
    if (read_number(L, "config.http", "max_connections", 1, 1000000, 1, &hl->max_connections, err, errlen) ||
        read_number(L, "config.http", "max_routes", 1, 1000000, 1, &hl->max_routes, err, errlen) ||
        read_number(L, "config.http", "header_timeout", 0.01, 86400, 1000, &hl->header_timeout_ms, err, errlen) ||
        read_number(L, "config.http", "body_timeout", 0.01, 86400, 1000, &hl->body_timeout_ms, err, errlen) ||
        read_number(L, "config.http", "idle_timeout", 0.01, 86400, 1000, &hl->idle_timeout_ms, err, errlen))
        return -1;
    return 0;
out:
    lua_pop(L, 1);
    return rc;
}

/* config.log = { timestamps = bool, target = "stderr"|"syslog", facility = "daemon", socket = path }
 * (level is read by the caller); the table is on top of L. */
static int read_log(struct script *s, lua_State *L, char *err, size_t errlen)
{
    int t = lua_getfield(L, -1, "timestamps");
    if (t != LUA_TNIL && t != LUA_TBOOLEAN) {
        snprintf(err, errlen, "config.log.timestamps must be true or false");
        return -1;
    }
    s->log.timestamps = lua_toboolean(L, -1);
    lua_pop(L, 1);
    t = lua_getfield(L, -1, "target");
    const char *v = lua_tostring(L, -1);
    if (t != LUA_TNIL && (t != LUA_TSTRING || (strcmp(v, "stderr") != 0 && strcmp(v, "syslog") != 0))) {
        snprintf(err, errlen, "config.log.target must be \"stderr\" or \"syslog\"");
        return -1;
    }
    s->log.syslog = t != LUA_TNIL && strcmp(v, "syslog") == 0;
    lua_pop(L, 1);
    t = lua_getfield(L, -1, "facility");
    if (t != LUA_TNIL && (t != LUA_TSTRING || (s->log.facility = log_facility_from_name(lua_tostring(L, -1))) < 0)) {
        snprintf(err, errlen, "config.log.facility must be a syslog facility (daemon, user, local0 ... local7)");
        return -1;
    }
    lua_pop(L, 1);
    t = lua_getfield(L, -1, "socket");
    if (t != LUA_TNIL && (t != LUA_TSTRING || lua_rawlen(L, -1) >= sizeof s->log.socket)) {
        snprintf(err, errlen, "config.log.socket must be the path of the syslog socket");
        return -1;
    }
    if (t != LUA_TNIL)
        snprintf(s->log.socket, sizeof s->log.socket, "%s", lua_tostring(L, -1));
    lua_pop(L, 1);
    return 0;
}

/* config.dns = { servers = { "127.0.0.1:5353", ... } | "a,b", timeout = ms, tries = n }; the
 * table is on top of L. */
static int read_dns(struct script *s, lua_State *L, char *err, size_t errlen)
{
    if (!lua_istable(L, -1)) {
        snprintf(err, errlen, "config.dns must be a table { servers = { \"127.0.0.1:53\" } }");
        return -1;
    }
    int t = lua_getfield(L, -1, "servers");
    if (t == LUA_TSTRING) {
        snprintf(s->dns.servers, sizeof s->dns.servers, "%s", lua_tostring(L, -1));
    } else if (t == LUA_TTABLE) {
        size_t used = 0;
        for (lua_Integer i = 1; i <= (lua_Integer)lua_rawlen(L, -1); i++) {
            lua_rawgeti(L, -1, i);
            const char *v = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
            if (v)
                used += (size_t)snprintf(s->dns.servers + used, sizeof s->dns.servers - used, "%s%s", i > 1 ? "," : "", v);
            lua_pop(L, 1);
            if (!v || used >= sizeof s->dns.servers) {
                snprintf(err, errlen, "config.dns.servers must be a list of \"addr:port\" strings");
                return -1;
            }
        }
    } else if (t != LUA_TNIL) {
        snprintf(err, errlen, "config.dns.servers must be a list of \"addr:port\" strings");
        return -1;
    }
    lua_pop(L, 1);
    const char *num[] = { "timeout", "tries" };
    int *dst[] = { &s->dns.timeout_ms, &s->dns.tries };
    for (int i = 0; i < 2; i++) {
        t = lua_getfield(L, -1, num[i]);
        if (t != LUA_TNIL && !lua_isinteger(L, -1)) {
            snprintf(err, errlen, "config.dns.%s must be a whole number", num[i]);
            return -1;
        }
        if (t != LUA_TNIL)
            *dst[i] = lua_tointeger(L, -1) > 100000 ? 100000 : (int)lua_tointeger(L, -1);
        lua_pop(L, 1);
    }
    return resolve_check(&s->dns, err, errlen);
}

static int read_config(struct script *s, char *err, size_t errlen)
{
    lua_State *L = s->L;
    int rc = -1;
    lua_getglobal(L, "config");
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return 0;
    }
    if (!lua_istable(L, -1)) {
        snprintf(err, errlen, "config must be a table");
        goto out;
    }
    if (lua_getfield(L, -1, "listen") != LUA_TNIL &&
        read_strings(L, "config.listen", &s->listen, &s->nlisten, err, errlen) != 0)
        goto out;
    lua_pop(L, 1);
    if (read_number(L, "config", "shutdown_grace", 0, 3600, 1000, &s->shutdown_grace_ms, err, errlen) != 0)
        goto out;
    if (lua_getfield(L, -1, "limits") == LUA_TTABLE) {
        int mb = (int)(s->mem_limit >> 20);
        if (read_number(L, "config.limits", "route_ms", 1, 3600000, 1, &s->route_ms, err, errlen) ||
            read_number(L, "config.limits", "lua_memory_mb", 1, 1 << 20, 1, &mb, err, errlen))
            goto out;
        s->mem_limit = (size_t)mb << 20;
    } else if (!lua_isnil(L, -1)) {
        snprintf(err, errlen, "config.limits must be a table { route_ms = 500, lua_memory_mb = 256 }");
        goto out;
    }
    lua_pop(L, 1);
    if (lua_getfield(L, -1, "log") == LUA_TTABLE) {
        if (lua_getfield(L, -1, "level") != LUA_TNIL) {
            const char *name = lua_tostring(L, -1);
            if (!name || (s->log_level = log_level_from_name(name)) < 0) {
                snprintf(err, errlen, "config.log.level must be one of error, warn, info, debug");
                goto out;
            }
        }
        lua_pop(L, 1);
        if (read_log(s, L, err, errlen) != 0)
            goto out;
    }
    lua_pop(L, 1);
    if (lua_getfield(L, -1, "tcp") == LUA_TTABLE) {
        if (lua_getfield(L, -1, "idle_timeout") != LUA_TNIL) {
            s->tcp_idle_timeout = lua_tonumber(L, -1);
            if (!lua_isnumber(L, -1) || s->tcp_idle_timeout <= 0) {
                snprintf(err, errlen, "config.tcp.idle_timeout must be a positive number of seconds");
                goto out;
            }
        }
        lua_pop(L, 1);
        if (read_number(L, "config.tcp", "max_connections", 1, 1000000, 1, &s->tcp_max_connections, err, errlen) ||
            read_number(L, "config.tcp", "max_output", 65536, 1 << 30, 1, &s->tcp_max_output, err, errlen) ||
            read_number(L, "config.tcp", "max_output_total", 65536, 1 << 30, 1, &s->tcp_max_output_total, err, errlen))
            goto out;
    }
    lua_pop(L, 1);
    if (lua_getfield(L, -1, "http") != LUA_TNIL && read_http(s, L, err, errlen) != 0)
        goto out;
    lua_pop(L, 1);
    if (lua_getfield(L, -1, "tls") != LUA_TNIL && script_read_tls(L, "config.tls", s->path, &s->tls, err, errlen) != 0)
        goto out;
    lua_pop(L, 1);
    if (lua_getfield(L, -1, "websocket") != LUA_TNIL && script_read_websocket(s, L, err, errlen) != 0)
        goto out;
    lua_pop(L, 1);
    if (lua_getfield(L, -1, "dns") != LUA_TNIL && read_dns(s, L, err, errlen) != 0)
        goto out;
    lua_pop(L, 1);
    int t = lua_getfield(L, -1, "units");
    if (t == LUA_TTABLE) {
        lua_pushnil(L);
        while (lua_next(L, -2)) {
            lua_pop(L, 1);
            if (lua_type(L, -1) != LUA_TSTRING) {
                snprintf(err, errlen, "config.units keys must be unit names");
                lua_pop(L, 1);
                goto out;
            }
            s->units = realloc(s->units, (size_t)(s->nunits + 1) * sizeof *s->units);
            s->units[s->nunits++] = strdup(lua_tostring(L, -1));
        }
    } else if (t != LUA_TNIL) {
        snprintf(err, errlen, "config.units must be a table {name = {params}}");
        goto out;
    }
    lua_pop(L, 1);
    rc = 0;
out:
    lua_settop(L, 0);
    return rc;
}

/* read_config() runs in protected mode: a config table (or _G) whose metamethods raise gives a
 * load error, not a panic. */
struct config_call {
    struct script *s;
    char *err;
    size_t errlen;
    int rc;
};

static int read_config_protected(lua_State *L)
{
    struct config_call *cc = lua_touserdata(L, 1);
    lua_settop(L, 0);
    cc->rc = read_config(cc->s, cc->err, cc->errlen);
    return 0;
}

static int script_panic(lua_State *L)
{
    log_error("Lua panic (unprotected error): %s", lua_tostring(L, -1) ? lua_tostring(L, -1) : "?");
    abort();
}

/* The main chunk gets the same CPU budget as one route resume, ten times over (config.limits is
 * not read yet): a script whose top level never ends fails to load instead of hanging. */
static struct timespec chunk_started;

static void chunk_hook(lua_State *L, lua_Debug *ar)
{
    struct timespec now;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    long ms = (long)(now.tv_sec - chunk_started.tv_sec) * 1000 + (now.tv_nsec - chunk_started.tv_nsec) / 1000000;
    if (ms > 10L * coro_budget_ms) {
        lua_sethook(L, chunk_hook, LUA_MASKCOUNT, 1);
        luaL_error(L, "the script's main chunk used more than %ld ms of CPU", 10L * coro_budget_ms);
    }
}

struct script *script_load(const char *path, char *err, size_t errlen)
{
    struct script *s = calloc(1, sizeof *s);
    s->refs = 1;
    s->log_level = -1;
    s->log = LOG_SETTINGS_DEFAULT;
    s->dns = RESOLVE_SETTINGS_DEFAULT;
    s->tcp_idle_timeout = -1;
    s->http_max_body = -1;
    s->http_limits = (struct http_limits)HTTP_LIMITS_DEFAULT;
    s->shutdown_grace_ms = 5000;
    s->tcp_max_connections = TCP_DEFAULT_MAX_CONNECTIONS;
    s->tcp_max_output = TCP_DEFAULT_MAX_OUTPUT;
    s->tcp_max_output_total = TCP_DEFAULT_MAX_OUTPUT_TOTAL;
    s->path = path ? strdup(path) : NULL;
    s->route_ms = 500;
    s->mem_limit = (size_t)256 << 20;
    s->L = lua_newstate(script_alloc, s);
    if (s->L) {
        stats_inc(STAT_LUA_STATES);
        *(struct coro **)lua_getextraspace(s->L) = NULL; /* copied into every coroutine.create thread */
        lua_atpanic(s->L, script_panic);
    }
    if (!s->L) {
        snprintf(err, errlen, "cannot create a Lua state");
        script_free(s);
        return NULL;
    }
    luaL_openlibs(s->L);
    lco_open(s->L);
    lua_pushlightuserdata(s->L, s);
    lua_setfield(s->L, LUA_REGISTRYINDEX, "lunasip.script");
    for (const script_open_fn *open = openers; open && *open; open++)
        (*open)(s->L);
    lua_pushcfunction(s->L, traceback);
    int rc = path ? luaL_loadfilex(s->L, path, "t")
                  : luaL_loadbufferx(s->L, lunasip_default_script, strlen(lunasip_default_script),
                                     "=default.lua", "t");
    if (rc == LUA_OK) {
        int enforced = script_mem_enforce(1);
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &chunk_started);
        lua_sethook(s->L, chunk_hook, LUA_MASKCOUNT, 10000);
        rc = lua_pcall(s->L, 0, 0, 1);
        lua_sethook(s->L, NULL, 0, 0);
        script_mem_enforce(enforced);
    }
    if (rc != LUA_OK) {
        snprintf(err, errlen, "%s", lua_tostring(s->L, -1) ? lua_tostring(s->L, -1) : "cannot load script");
        script_free(s);
        return NULL;
    }
    lua_settop(s->L, 0);
    struct config_call cc = { s, err, errlen, -1 };
    lua_pushcfunction(s->L, read_config_protected);
    lua_pushlightuserdata(s->L, &cc);
    if (lua_pcall(s->L, 1, 0, 0) != LUA_OK) {
        snprintf(err, errlen, "reading config: %s", lua_tostring(s->L, -1) ? lua_tostring(s->L, -1) : "error");
        cc.rc = -1;
    }
    lua_settop(s->L, 0);
    if (cc.rc != 0) {
        script_free(s);
        return NULL;
    }
    if (!script_route(s->L, "on_request"))
        log_warn("%s defines no on_request function: SIP requests will be dropped", path ? path : "default.lua");
    else
        lua_pop(s->L, 1);
    return s;
}

/* t[key] without metamethods, t on top of L; pushes the value and returns its type. */
static int script_rawget_str(lua_State *L, const char *key)
{
    lua_pushstring(L, key);
    return lua_rawget(L, -2);
}

void script_push_unit_params(struct script *s, const char *name)
{
    lua_State *L = s->L;
    int top = lua_gettop(L);
    lua_pushnil(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
    if (script_rawget_str(L, "config") == LUA_TTABLE && script_rawget_str(L, "units") == LUA_TTABLE) {
        script_rawget_str(L, name);
        lua_replace(L, top + 1);
    }
    lua_settop(L, top + 1);
}

struct script *script_of(lua_State *L)
{
    lua_getfield(L, LUA_REGISTRYINDEX, "lunasip.script");
    struct script *s = lua_touserdata(L, -1);
    lua_pop(L, 1);
    return s;
}

int script_route(lua_State *L, const char *name)
{
    lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
    int t = script_rawget_str(L, name);
    lua_remove(L, -2);
    if (t == LUA_TFUNCTION)
        return 1;
    lua_pop(L, 1);
    return 0;
}

void script_activate(struct script *s)
{
    struct script *old = script_current;
    script_current = s;
    if (!old)
        return;
    while (old->timers)
        timer_free(old->timers);
    coro_cancel_detached(old); /* its spawned loops and timer ticks stop; requests in flight go on */
    script_unref(old); /* its state closes when no coroutine runs in it any more */
}

static void tick_done(struct coro *c, enum coro_status st, const char *err)
{
    struct script_timer *t = coro_data(c);
    t->tick = NULL;
}

static void timer_fired(evutil_socket_t fd, short what, void *arg)
{
    struct script_timer *t = arg;
    struct script *s = t->s;
    if (t->tick) {
        log_debug("sip.every: the previous tick still runs, this one is skipped");
        return;
    }
    struct coro *c = coro_new(s, CORO_TIMER, NULL);
    lua_rawgeti(coro_L(c), LUA_REGISTRYINDEX, t->fnref);
    if (!t->repeat) {
        timer_free(t);
    } else {
        t->tick = c;
        coro_set_done(c, tick_done, t);
    }
    coro_resume(c, NULL, 0);
}

unsigned long script_timer_add(struct script *s, int fnref, long ms, int repeat)
{
    static unsigned long next_id;
    struct script_timer *t = calloc(1, sizeof *t);
    t->s = s;
    t->fnref = fnref;
    t->repeat = repeat;
    t->id = ++next_id;
    t->ev = event_new(server_base(), -1, repeat ? EV_PERSIST : 0, timer_fired, t);
    loop_timer_arm_now(t->ev, ms);
    t->next = s->timers;
    s->timers = t;
    return t->id;
}

int script_timer_stop(struct script *s, unsigned long id)
{
    for (struct script_timer *t = s->timers; t; t = t->next)
        if (t->id == id) {
            timer_free(t);
            return 1;
        }
    return 0;
}
