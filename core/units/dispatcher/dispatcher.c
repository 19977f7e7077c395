/* The dispatcher unit: parameters (config.units.dispatcher), the Lua table `dispatcher`, and
 * start/stop. Destination sets live in ds_list.c, selection in ds_select.c, probing and the HTTP
 * API in ds_probe.c. Main loop only.
 *
 * Probing needs tm: tm is bound in init (every unit is loaded before any init, so the order of
 * config.units does not matter) before the list is read, and without tm no destination ever
 * keeps the probing flag. */
#include "ds.h"
#include <lauxlib.h>
#include <lunasip/lua.h>
#include <lunasip/dispatcher.h>
#include <lunasip/proxy.h>
#include <lunasip/transport.h>
#include <lunasip/unit.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct ds_config ds_cfg;
const struct tm_api *ds_tm;

void ds_warn_no_tm(void)
{
    static int warned;
    if (warned++)
        return;
    ls_log(LS_LOG_WARN, DS_UNIT, "%s; probing flags are cleared and no OPTIONS are sent", ds_no_tm_reason);
}

/* ---- Lua ---- */

/* State argument: letters ("ip", "AP") or Kamailio's number. Raises on a bad value, and when it
 * asks for probing without tm (the error names tm). */
static int check_state(lua_State *L, int idx, const char *fn)
{
    int flags = 0;
    const char *s = lua_type(L, idx) == LUA_TNUMBER || lua_type(L, idx) == LUA_TSTRING ? lua_tostring(L, idx) : NULL;
    if (!s || ds_flags_parse(s, &flags) != 0)
        luaL_error(L, "dispatcher.%s: bad state '%s' (0-15, or letters A I D T P such as \"ip\")", fn, s ? s : "?");
    if ((flags & (DS_PROBING | DS_TRYING)) && !ds_tm)
        luaL_error(L, "dispatcher.%s: %s", fn, ds_no_tm_reason);
    return flags;
}

static struct sip_msg *check_request(lua_State *L, const char *fn)
{
    struct sip_msg *msg = lmsg_check(L, 1);
    if (!sipmsg_is_request(msg))
        luaL_error(L, "dispatcher.%s needs a request", fn);
    return msg;
}

/* dispatcher.select(msg, set, alg [, limit]) -> true | false */
static int l_select(lua_State *L)
{
    struct sip_msg *msg = check_request(L, "select");
    int set = (int)luaL_checkinteger(L, 2);
    luaL_checkany(L, 3);
    int alg = ds_alg_parse(L, 3);
    if (alg < 0)
        return luaL_error(L, "dispatcher.select: unknown algorithm '%s' (0 hash-callid, 1 hash-from, 2 hash-to, "
                          "3 hash-ruri, 4 round-robin, 8 priority, 9 weight)", luaL_tolstring(L, 3, NULL));
    lua_Integer limit = luaL_optinteger(L, 4, 0);
    luaL_argcheck(L, limit >= 0, 4, "limit must be 0 (none) or more");
    lua_pushboolean(L, ds_select(msg, ds_set_find(ds_current, set), alg, (int)limit));
    return 1;
}

/* dispatcher.next(msg) -> true | false */
static int l_next(lua_State *L)
{
    lua_pushboolean(L, ds_next(check_request(L, "next")));
    return 1;
}

/* dispatcher.mark(msg, state) -> true | false (the destination left the list meanwhile) */
static int l_mark(lua_State *L)
{
    struct sip_msg *msg = check_request(L, "mark");
    int flags = check_state(L, 2, "mark");
    const char *uri;
    int set = ds_current_of(msg, &uri);
    if (set < 0)
        return luaL_error(L, "dispatcher.mark: no destination was selected for this request (dispatcher.select)");
    struct ds_dest *d = ds_dest_find(ds_set_find(ds_current, set), uri);
    char err[256], f[8];
    if (!d || ds_set_flags(d, flags, err, sizeof err) != 0) {
        lua_pushboolean(L, 0);
        return 1;
    }
    ls_log(LS_LOG_INFO, DS_UNIT, "set %d %s: state %s (mark)", set, uri, ds_flags_str(d->flags, f));
    lua_pushboolean(L, 1);
    return 1;
}

/* The set (want, or any when want < 0) with a destination at msg's source address, or -1. */
static int is_from(const struct sip_msg *msg, int want)
{
    for (int i = 0; ds_current && i < ds_current->nsets; i++) {
        struct ds_set *s = &ds_current->sets[i];
        if (want >= 0 && s->id != want)
            continue;
        for (int j = 0; j < s->n; j++)
            if (s->d[j].has_addr && transport_addr_equal(&s->d[j].addr, &msg->src.addr.sa))
                return s->id;
    }
    return -1;
}

static unsigned resolve_gen;  /* bumped by each ds_resolve_all: older answers are ignored */
static int started;

struct resolve_job {
    unsigned gen;
    int set;
    char uri[];
};

static void dest_resolved(int err, const struct sockaddr_storage *sa, socklen_t salen, void *arg)
{
    struct resolve_job *job = arg;
    struct ds_dest *d = job->gen == resolve_gen ? ds_dest_find(ds_set_find(ds_current, job->set), job->uri) : NULL;
    if (d && !err && sa && salen <= sizeof d->addr) {
        memcpy(&d->addr, sa, salen);
        d->has_addr = 1;
    } else if (d) {
        ls_log(LS_LOG_WARN, DS_UNIT, "%s does not resolve: dispatcher.is_from will not match it", job->uri);
    }
    free(job);
}

void ds_resolve_all(void)
{
    resolve_gen++;
    for (int i = 0; started && ds_current && i < ds_current->nsets; i++)
        for (int j = 0; j < ds_current->sets[i].n; j++) {
            struct ds_dest *d = &ds_current->sets[i].d[j];
            char host[256], err[128];
            int port;
            enum sip_proto proto;
            if (d->has_addr || (d->flags & DS_NODNSARES) || proxy_uri_target(d->uri, host, sizeof host, &port, &proto, err, sizeof err) != 0)
                continue;
            size_t len = strlen(d->uri) + 1;
            struct resolve_job *job = malloc(sizeof *job + len);
            if (!job)
                return;
            job->gen = resolve_gen;
            job->set = ds_current->sets[i].id;
            memcpy(job->uri, d->uri, len);
            transport_resolve(host, port, dest_resolved, job); /* may call back at once */
        }
}

/* dispatcher.is_from(msg [, set]) -> set id | false: the message came from a destination's
 * address and port (of set, or of any set). */
static int l_is_from(lua_State *L)
{
    struct sip_msg *msg = lmsg_check(L, 1);
    int only = !lua_isnoneornil(L, 2);
    int want = only ? (int)luaL_checkinteger(L, 2) : -1;
    int set = only && want < 0 ? -1 : is_from(msg, want); /* set ids are never negative */
    if (set < 0)
        lua_pushboolean(L, 0);
    else
        lua_pushinteger(L, set);
    return 1;
}

static void push_json(lua_State *L, const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *k;
        json_t *e;
        lua_createtable(L, 0, (int)json_object_size(v));
        json_object_foreach((json_t *)v, k, e) {
            push_json(L, e);
            lua_setfield(L, -2, k);
        }
        break;
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *e;
        lua_createtable(L, (int)json_array_size(v), 0);
        json_array_foreach(v, i, e) {
            push_json(L, e);
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
        break;
    }
    case JSON_STRING: lua_pushstring(L, json_string_value(v)); break;
    case JSON_INTEGER: lua_pushinteger(L, (lua_Integer)json_integer_value(v)); break;
    case JSON_REAL: lua_pushnumber(L, json_real_value(v)); break;
    case JSON_TRUE: lua_pushboolean(L, 1); break;
    case JSON_FALSE: lua_pushboolean(L, 0); break;
    default: lua_pushnil(L); break;
    }
}

/* dispatcher.list() -> { {id=, destinations={ {uri=, flags=, priority=, attrs=, latency_ms=}, ...} }, ... } */
static int l_list(lua_State *L)
{
    json_t *j = ds_list_json();
    push_json(L, json_object_get(j, "sets"));
    json_decref(j);
    return 1;
}

/* Set a destination's flags: 0, -1 when there is no such set or destination (err says which),
 * -2 when the flags are refused (err says why). */
static int set_state(int set, const char *uri, int flags, char *err, size_t errlen)
{
    struct ds_set *s = ds_set_find(ds_current, set);
    struct ds_dest *d = ds_dest_find(s, uri);
    char f[8];
    if (!d) {
        if (s)
            snprintf(err, errlen, "no destination %s in set %d", uri, set);
        else
            snprintf(err, errlen, "no set %d", set);
        return -1;
    }
    if (ds_set_flags(d, flags, err, errlen) != 0)
        return -2;
    ls_log(LS_LOG_INFO, DS_UNIT, "set %d %s: state %s (set_state)", set, uri, ds_flags_str(d->flags, f));
    return 0;
}

/* dispatcher.set_state(set, uri, state) -> true | nil, reason (unknown set or URI) */
static int l_set_state(lua_State *L)
{
    int set = (int)luaL_checkinteger(L, 1);
    const char *uri = luaL_checkstring(L, 2);
    int flags = check_state(L, 3, "set_state");
    char err[256];
    int rc = set_state(set, uri, flags, err, sizeof err);
    if (rc == -2)
        return luaL_error(L, "dispatcher.set_state: %s", err);
    return lsip_push_result(L, rc ? err : NULL);
}

/* Reload the list, logging the outcome; the bad lines are appended to bad. 0 or -1 with the reason. */
static int reload_list(json_t *bad, char *err, size_t errlen)
{
    if (ds_reload(bad, err, errlen) != 0) {
        ls_log(LS_LOG_ERROR, DS_UNIT, "reload failed, the old list stays: %s", err);
        return -1;
    }
    ls_log(LS_LOG_INFO, DS_UNIT, "list %s reloaded (%d sets, %zu lines skipped)", ds_cfg.list,
           ds_current->nsets, json_array_size(bad));
    return 0;
}

static int reload(char *err, size_t errlen)
{
    json_t *bad = json_array();
    int rc = reload_list(bad, err, errlen);
    json_decref(bad);
    return rc;
}

/* dispatcher.reload() -> true, bad_lines | nil, reason, bad_lines (the old sets stay). bad_lines
 * lists the bad lines as "file:line: reason" strings: skipped with a warning, or with strict the
 * line that refused the file. */
static int l_reload(lua_State *L)
{
    char err[512];
    json_t *bad = json_array();
    int rc = reload_list(bad, err, sizeof err);
    if (rc != 0) {
        lua_pushnil(L);
        lua_pushstring(L, err);
    } else {
        lua_pushboolean(L, 1);
    }
    lua_createtable(L, (int)json_array_size(bad), 0);
    for (size_t i = 0; i < json_array_size(bad); i++) {
        lua_pushstring(L, json_string_value(json_array_get(bad, i)));
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    json_decref(bad);
    return rc != 0 ? 3 : 2;
}

static const luaL_Reg lua_fns[] = {
    { "select", l_select }, { "next", l_next }, { "mark", l_mark }, { "is_from", l_is_from },
    { "list", l_list }, { "set_state", l_set_state }, { "reload", l_reload }, { NULL, NULL },
};

/* ---- typed API (include/lunasip/dispatcher.h) ---- */

static int api_select(struct sip_msg *msg, int set, enum dispatcher_alg alg, int limit)
{
    return sipmsg_is_request(msg) && limit >= 0 ? ds_select(msg, ds_set_find(ds_current, set), (int)alg, limit) : 0;
}

static int api_set_state(int set, const char *uri, const char *state, char *err, size_t errlen)
{
    int flags = 0;
    if (!state || ds_flags_parse(state, &flags) != 0) {
        snprintf(err, errlen, "bad state '%s' (0-15, or letters A I D T P such as \"ip\")", state ? state : "");
        return -1;
    }
    return set_state(set, uri, flags, err, errlen) ? -1 : 0;
}

static const struct dispatcher_api api = {
    .select = api_select,
    .next = ds_next,
    .current = ds_current_of,
    .is_from = is_from,
    .set_state = api_set_state,
    .reload = reload,
};

/* ---- parameters ---- */

static const char known_params[] = "list, ping_interval, ping_method, ping_from, ping_reply_codes, "
                                   "probing_threshold, inactive_threshold, probing_mode, ping_timeout, strict";

/* A relative list path is taken from the script's directory (the cwd for the embedded script). */
static char *resolve_path(const char *p)
{
    const char *script = server_script_path();
    const char *slash = script ? strrchr(script, '/') : NULL;
    if (p[0] == '/' || !slash)
        return strdup(p);
    size_t dl = (size_t)(slash - script) + 1, len = dl + strlen(p) + 1;
    char *out = malloc(len);
    snprintf(out, len, "%.*s%s", (int)dl, script, p);
    return out;
}

static int int_param(lua_State *L, const char *k, long min, long max, long *out, char *err, size_t errlen)
{
    if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < min || lua_tointeger(L, -1) > max) {
        snprintf(err, errlen, "parameter %s must be a whole number from %ld to %ld", k, min, max);
        return -1;
    }
    *out = (long)lua_tointeger(L, -1);
    return 0;
}

static int codes_param(lua_State *L, char *err, size_t errlen)
{
    if (lua_type(L, -1) == LUA_TSTRING)
        return ds_codes_parse(lua_tostring(L, -1), &ds_cfg.reply_codes, err, errlen);
    memset(&ds_cfg.reply_codes, 0, sizeof ds_cfg.reply_codes);
    if (lua_istable(L, -1)) {
        lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
        for (lua_Integer i = 1; i <= n; i++) {
            lua_rawgeti(L, -1, i);
            int ok = lua_isinteger(L, -1) && ds_codes_add(&ds_cfg.reply_codes, (int)lua_tointeger(L, -1)) == 0;
            lua_pop(L, 1);
            if (!ok)
                break;
            if (i == n)
                return 0;
        }
    }
    snprintf(err, errlen, "parameter ping_reply_codes must be a list of codes such as {200, 403} or a string "
                          "such as \"class=2;code=403\"");
    return -1;
}

static int one_param(lua_State *L, const char *k, char *err, size_t errlen)
{
    long v;
    const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
    if (!strcmp(k, "list") || !strcmp(k, "ping_method") || !strcmp(k, "ping_from")) {
        if (!s || !*s || strpbrk(s, "\r\n") || (!strcmp(k, "ping_method") && strpbrk(s, " \t:")) ||
            (!strcmp(k, "ping_from") && strncmp(s, "sip:", 4) && strncmp(s, "sips:", 5))) {
            snprintf(err, errlen, "parameter %s must be a %s", k,
                     !strcmp(k, "list") ? "file name" : !strcmp(k, "ping_method") ? "SIP method" : "sip: URI");
            return -1;
        }
        char **dst = !strcmp(k, "list") ? &ds_cfg.list : !strcmp(k, "ping_method") ? &ds_cfg.ping_method : &ds_cfg.ping_from;
        free(*dst);
        *dst = !strcmp(k, "list") ? resolve_path(s) : strdup(s);
        return 0;
    }
    if (!strcmp(k, "ping_reply_codes"))
        return codes_param(L, err, errlen);
    if (!strcmp(k, "ping_interval"))
        return int_param(L, k, 0, 86400, &ds_cfg.ping_interval, err, errlen);
    if (!strcmp(k, "ping_timeout"))
        return int_param(L, k, 1, 3600000, &ds_cfg.ping_timeout, err, errlen);
    if (!strcmp(k, "strict")) {
        if (!lua_isboolean(L, -1)) {
            snprintf(err, errlen, "parameter strict must be true or false");
            return -1;
        }
        ds_cfg.strict = lua_toboolean(L, -1);
        return 0;
    }
    if (!strcmp(k, "probing_mode"))
        return int_param(L, k, 0, 1, &v, err, errlen) ? -1 : (ds_cfg.probing_mode = (int)v, 0);
    if (!strcmp(k, "probing_threshold"))
        return int_param(L, k, 1, 1000, &v, err, errlen) ? -1 : (ds_cfg.probing_threshold = (int)v, 0);
    if (!strcmp(k, "inactive_threshold"))
        return int_param(L, k, 1, 1000, &v, err, errlen) ? -1 : (ds_cfg.inactive_threshold = (int)v, 0);
    snprintf(err, errlen, "unknown parameter '%s' (known: %s)", k, known_params);
    return -1;
}

static void config_free(void)
{
    free(ds_cfg.list);
    free(ds_cfg.ping_method);
    free(ds_cfg.ping_from);
    memset(&ds_cfg, 0, sizeof ds_cfg);
}

/* ---- unit ---- */

static int ds_init(lua_State *L, char *err, size_t errlen)
{
    /* Bind tm before reading anything: its presence decides whether probing flags may exist. */
    ds_tm = tm_load_api();
    config_free();
    ds_cfg = (struct ds_config){ .ping_interval = 10, .ping_method = strdup("OPTIONS"),
                                 .ping_from = strdup("sip:dispatcher@localhost"), .probing_threshold = 1,
                                 .inactive_threshold = 1, .probing_mode = 0, .ping_timeout = 1000 };
    ds_cfg.reply_codes.classes = 1u << 2;
    if (!lua_istable(L, -1)) {
        snprintf(err, errlen, "parameters must be a table with at least list, e.g. { list = \"dispatcher.list\" }");
        return -1;
    }
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "(not a name)";
        if (one_param(L, k, err, errlen) != 0) {
            lua_pop(L, 2);
            return -1;
        }
        lua_pop(L, 1);
    }
    if (!ds_cfg.list) {
        snprintf(err, errlen, "parameter list (the destination list file) is required");
        return -1;
    }
    if (!ds_tm && ds_cfg.ping_interval > 0)
        ds_warn_no_tm();
    ds_list_free(ds_current);
    ds_current = NULL;
    json_t *bad = json_array();
    int rc = ds_reload(bad, err, errlen);
    json_decref(bad);
    return rc;
}

static int ds_start(char *err, size_t errlen)
{
    if (ds_probe_start(err, errlen) != 0)
        return -1;
    started = 1;
    ds_resolve_all();
    int n = 0;
    for (int i = 0; i < ds_current->nsets; i++)
        n += ds_current->sets[i].n;
    ls_log(LS_LOG_INFO, DS_UNIT, "%d sets, %d destinations from %s; probing %s", ds_current->nsets, n, ds_cfg.list,
           !ds_cfg.ping_interval ? "off (ping_interval = 0)" : !ds_tm ? "off (no tm)" : "on");
    return 0;
}

static void ds_stop(void)
{
    started = 0;
    resolve_gen++;
    ds_probe_stop();
    ds_list_free(ds_current);
    ds_current = NULL;
    config_free();
    ds_tm = NULL;
}

static const struct ls_unit ds_unit = {
    .name = "dispatcher",
    .init = ds_init,
    .start = ds_start,
    .stop = ds_stop,
    .lua = lua_fns,
    .api = &api,
    .http = ds_http_routes,
    .metrics = ds_metrics_write,
};

LS_UNIT_EXPORT(ds_unit)
