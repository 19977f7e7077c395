/* The registrar unit: REGISTER processing per RFC 3261 §10.3 (with Path, RFC 3327, and
 * +sip.instance/reg-id, RFC 5626), lookup of the bindings of an AOR for routing (the best one
 * becomes the R-URI, the others branches for parallel forking), parameters and the Lua
 * functions registrar.save/lookup/bindings/remove. Main loop only. */
#include "reg.h"
#include <event2/event.h>
#include <lauxlib.h>
#include <lunasip/branch.h>
#include <lunasip/log.h>
#include <lunasip/lua.h>
#include <lunasip/unit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct reg_config reg_cfg;
const struct tm_api *reg_tm;
unsigned long reg_accepted, reg_refused;
static struct event *expire_ev;

static struct sip_msg *check_request(lua_State *L, const char *fn)
{
    struct sip_msg *msg = lmsg_check(L, 1);
    if (!*reg_msg_method(msg))
        luaL_error(L, "registrar.%s needs a request", fn);
    return msg;
}

/* msg:reply(code, reason, headers) through Lua (tm's transaction when there is one). */
static void reply(lua_State *L, int code, const char *reason, const char *headers)
{
    lua_getfield(L, 1, "reply");
    lua_pushvalue(L, 1);
    lua_pushinteger(L, code);
    lua_pushstring(L, reason);
    lua_pushstring(L, headers);
    lua_call(L, 4, 0);
}

/* Answer a refused REGISTER; returns nil, reason to the route. */
static int refuse(lua_State *L, const char *aor, int code, const char *reason, const char *headers)
{
    reg_refused++;
    ls_log(LS_LOG_INFO, REG_UNIT, "REGISTER %s refused: %d %s", aor, code, reason);
    reply(L, code, reason, headers);
    lua_pushnil(L);
    lua_pushfstring(L, "%d %s", code, reason);
    return 2;
}

static long remaining_s(const struct reg_binding *b, uint64_t now)
{
    return b->expires_ms > now ? (long)((b->expires_ms - now + 500) / 1000) : 0;
}

/* "Contact: <uri>;expires=N[;q=0.x][;+sip.instance="..";reg-id=N]\r\n" for every binding of a. */
static void contacts_lines(luaL_Buffer *buf, const struct reg_aor *a, uint64_t now)
{
    for (const struct reg_binding *b = a ? a->bindings : NULL; b; b = b->next) {
        char line[1024];
        int n = snprintf(line, sizeof line, "Contact: <%s>;expires=%ld", b->contact, remaining_s(b, now));
        if (b->q >= 0 && n < (int)sizeof line)
            n += snprintf(line + n, sizeof line - (size_t)n, ";q=%d.%03d", b->q / 1000, b->q % 1000);
        if (b->instance && n < (int)sizeof line)
            n += snprintf(line + n, sizeof line - (size_t)n, ";+sip.instance=\"%s\"", b->instance);
        if (b->reg_id && n < (int)sizeof line)
            n += snprintf(line + n, sizeof line - (size_t)n, ";reg-id=%d", b->reg_id);
        if (n < (int)sizeof line - 2) {
            luaL_addstring(buf, line);
            luaL_addstring(buf, "\r\n");
        }
    }
}

/* The binding of a that contact c updates: same instance (and reg-id), else the same URI. */
static struct reg_binding *match(struct reg_aor *a, const struct reg_contact *c)
{
    for (struct reg_binding *b = a ? a->bindings : NULL; b; b = b->next) {
        if (c->instance && b->instance) {
            if (!strcmp(c->instance, b->instance) && c->reg_id == b->reg_id)
                return b;
        } else if (!c->instance && !b->instance && reg_uri_equal(b->contact, c->uri)) {
            return b;
        }
    }
    return NULL;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* Update (or fill) b from contact c of msg, with e seconds to live. */
static void binding_set(struct reg_binding *b, struct sip_msg *msg, const struct reg_contact *c, long e,
                        const char *path, uint64_t now)
{
    free(b->contact);
    free(b->instance);
    free(b->call_id);
    free(b->path);
    free(b->user_agent);
    b->contact = strdup(c->uri);
    b->instance = dup_or_null(c->instance);
    b->reg_id = c->reg_id;
    b->call_id = strdup(reg_msg_call_id(msg));
    b->cseq = reg_msg_cseq(msg);
    b->path = dup_or_null(path);
    b->user_agent = reg_msg_user_agent(msg);
    b->q = c->q;
    b->expires_ms = now + (uint64_t)e * 1000;
    b->updated_ms = now;
    b->ping_failures = 0;
    reg_msg_source(msg, &b->src, &b->conn_id);
    char ip[64];
    int port;
    addr_ip_port(&b->src.sa, ip, sizeof ip, &port);
    snprintf(b->received, sizeof b->received, "sip:%s%s%s:%d%s%s", strchr(ip, ':') ? "[" : "", ip,
             strchr(ip, ':') ? "]" : "", port, b->src.proto == PROTO_UDP ? "" : ";transport=",
             b->src.proto == PROTO_UDP ? "" : transport_proto_name(b->src.proto));
    b->natted = !path && reg_uri_natted(c->uri, &b->src);
}

/* registrar.save(msg [, {aor=}]) -> true (200 sent) | nil, "code reason" (that answer sent). */
static int l_save(lua_State *L)
{
    struct sip_msg *msg = check_request(L, "save");
    if (strcmp(reg_msg_method(msg), "REGISTER") != 0)
        return luaL_error(L, "registrar.save needs a REGISTER (got %s)", reg_msg_method(msg));
    char aor[256];
    const char *aor_opt = NULL;
    if (!lua_isnoneornil(L, 2)) {
        luaL_checktype(L, 2, LUA_TTABLE);
        if (lua_getfield(L, 2, "aor") == LUA_TSTRING)
            aor_opt = lua_tostring(L, -1);
        lua_pop(L, 1);
    }
    lua_settop(L, 1);
    if ((aor_opt ? reg_aor_from_uri(aor_opt, aor, sizeof aor) : reg_msg_to_aor(msg, aor, sizeof aor)) != 0)
        return refuse(L, "?", 400, "Bad AOR (the To URI needs a user part)", NULL);
    struct reg_contact cs[REG_MAX_CONTACTS_MSG];
    int star, n = reg_msg_contacts(msg, cs, REG_MAX_CONTACTS_MSG, &star);
    if (n < 0)
        return refuse(L, aor, 400, "Bad Contact", NULL);
    long hexp = reg_msg_expires(msg);
    const char *call_id = reg_msg_call_id(msg);
    unsigned long cseq = reg_msg_cseq(msg);
    uint64_t now = reg_now_ms();
    struct reg_aor *a = reg_aor_find(aor);
    char *path = NULL;
    const char *why = NULL;
    int code = 0;
    char hdr[64] = "";
    if (star) {
        if (n > 0 || hexp != 0) {
            code = 400, why = "Bad Request (Contact: * needs Expires: 0 and no other Contact)";
        } else {
            for (struct reg_binding *b = a ? a->bindings : NULL; b && !code; b = b->next)
                if (!strcmp(b->call_id, call_id) && cseq <= b->cseq)
                    code = 500, why = "Out of order CSeq";
            if (!code && a) {
                ls_log(LS_LOG_INFO, REG_UNIT, "%s: all %d bindings removed (Contact: *)", aor, a->n);
                reg_remove(aor, NULL);
                a = NULL;
            }
        }
    } else {
        long exp[REG_MAX_CONTACTS_MSG];
        int count = a ? a->n : 0;
        for (int i = 0; i < n && !code; i++) {
            long e = cs[i].expires >= 0 ? cs[i].expires : hexp >= 0 ? hexp : reg_cfg.default_expires;
            if (e > 0 && e < reg_cfg.min_expires) {
                code = 423, why = "Interval Too Brief";
                snprintf(hdr, sizeof hdr, "Min-Expires: %ld\r\n", reg_cfg.min_expires);
                break;
            }
            exp[i] = e > reg_cfg.max_expires ? reg_cfg.max_expires : e;
            struct reg_binding *b = match(a, &cs[i]);
            if (b && !strcmp(b->call_id, call_id) && cseq <= b->cseq)
                code = 500, why = "Out of order CSeq";
            count += b ? (exp[i] == 0 ? -1 : 0) : (exp[i] > 0 ? 1 : 0);
        }
        if (!code && count > reg_cfg.max_contacts)
            code = 503, why = "Too Many Registered Contacts";
        if (!code && count > 0 && !a && !(a = reg_aor_get(aor)))
            code = 503, why = "Registrar Full";
        if (!code && n > 0 && a) {
            path = reg_msg_path(msg);
            for (int i = 0; i < n; i++) {
                struct reg_binding *b = match(a, &cs[i]);
                if (exp[i] == 0) {
                    if (b) {
                        reg_unlink(a, b);
                        reg_binding_free(b);
                    }
                    continue;
                }
                if (b)
                    reg_unlink(a, b);
                else if (!(b = calloc(1, sizeof *b)))
                    continue;
                binding_set(b, msg, &cs[i], exp[i], path, now);
                reg_insert(a, b);
            }
            ls_log(LS_LOG_INFO, REG_UNIT, "%s: %d binding(s) after REGISTER from %s", aor, a->n, a->bindings ?
                   a->bindings->received : "-");
            reg_aor_drop_if_empty(a);
            a = reg_aor_find(aor);
        }
    }
    reg_contacts_free(cs, n);
    if (code) {
        free(path);
        return refuse(L, aor, code, why, hdr[0] ? hdr : NULL);
    }
    luaL_Buffer buf;
    luaL_buffinit(L, &buf);
    contacts_lines(&buf, a, now);
    if (path) {
        luaL_addstring(&buf, "Path: ");
        luaL_addstring(&buf, path);
        luaL_addstring(&buf, "\r\n");
        free(path);
    }
    luaL_pushresult(&buf);
    const char *lines = lua_tostring(L, -1);
    reg_accepted++;
    reply(L, 200, NULL, *lines ? lines : NULL);
    lua_pushboolean(L, 1);
    return 1;
}

/* The AOR named by argument idx (a URI or a user name), or of the request's R-URI. */
static void aor_arg(lua_State *L, int idx, struct sip_msg *msg, char *aor, size_t len)
{
    if (!lua_isnoneornil(L, idx)) {
        if (reg_aor_from_uri(luaL_checkstring(L, idx), aor, len) != 0)
            luaL_error(L, "registrar: bad AOR '%s'", lua_tostring(L, idx));
    } else if (!msg || reg_msg_ruri_aor(msg, aor, len) != 0) {
        aor[0] = '\0';
    }
}

/* registrar.lookup(msg [, aor]) -> true (R-URI set to the best binding, others as branches) |
 * false (no binding). */
static int l_lookup(lua_State *L)
{
    struct sip_msg *msg = check_request(L, "lookup");
    char aor[256];
    aor_arg(L, 2, msg, aor, sizeof aor);
    struct reg_aor *a = aor[0] ? reg_aor_find(aor) : NULL;
    uint64_t now = reg_now_ms();
    const struct reg_binding *best = NULL;
    for (const struct reg_binding *b = a ? a->bindings : NULL; b && !best; b = b->next)
        if (b->expires_ms > now)
            best = b;
    if (!best) {
        lua_pushboolean(L, 0);
        return 1;
    }
    sip_branches_clear(msg);
    sip_branches_set_ruri_q(msg, best->q);
    if (reg_msg_target(msg, best) != 0)
        return luaL_error(L, "registrar.lookup: cannot set the R-URI to %s", best->contact);
    for (const struct reg_binding *b = best->next; b; b = b->next) {
        if (b->expires_ms <= now)
            continue;
        char *first = b->path ? reg_path_first_uri(b->path) : NULL;
        if (sip_branch_add(msg, b->contact, first ? first : b->natted ? b->received : NULL, b->path, b->q) != 0)
            ls_log(LS_LOG_WARN, REG_UNIT, "%s: binding %s left out: too many branches", aor, b->contact);
        free(first);
    }
    lua_pushboolean(L, 1);
    return 1;
}

/* registrar.bindings(aor) -> list of {contact=, expires=, q=, received=, natted=, path=, instance=,
 * reg_id=, call_id=, cseq=, user_agent=} */
static int l_bindings(lua_State *L)
{
    char aor[256];
    aor_arg(L, 1, NULL, aor, sizeof aor);
    struct reg_aor *a = reg_aor_find(aor);
    uint64_t now = reg_now_ms();
    lua_newtable(L);
    int i = 0;
    for (const struct reg_binding *b = a ? a->bindings : NULL; b; b = b->next) {
        if (b->expires_ms <= now)
            continue;
        lua_createtable(L, 0, 11);
        lua_pushstring(L, b->contact);
        lua_setfield(L, -2, "contact");
        lua_pushinteger(L, remaining_s(b, now));
        lua_setfield(L, -2, "expires");
        if (b->q >= 0) {
            lua_pushnumber(L, b->q / 1000.0);
            lua_setfield(L, -2, "q");
        }
        lua_pushstring(L, b->received);
        lua_setfield(L, -2, "received");
        lua_pushboolean(L, b->natted);
        lua_setfield(L, -2, "natted");
        lua_pushstring(L, b->path);
        lua_setfield(L, -2, "path");
        lua_pushstring(L, b->instance);
        lua_setfield(L, -2, "instance");
        if (b->reg_id) {
            lua_pushinteger(L, b->reg_id);
            lua_setfield(L, -2, "reg_id");
        }
        lua_pushstring(L, b->call_id);
        lua_setfield(L, -2, "call_id");
        lua_pushinteger(L, (lua_Integer)b->cseq);
        lua_setfield(L, -2, "cseq");
        lua_pushstring(L, b->user_agent);
        lua_setfield(L, -2, "user_agent");
        lua_rawseti(L, -2, ++i);
    }
    return 1;
}

/* registrar.remove(aor [, contact]) -> number of bindings removed */
static int l_remove(lua_State *L)
{
    char aor[256];
    aor_arg(L, 1, NULL, aor, sizeof aor);
    const char *contact = luaL_optstring(L, 2, NULL);
    int n = reg_remove(aor, contact);
    if (n)
        ls_log(LS_LOG_INFO, REG_UNIT, "%s: %d binding(s) removed by the script", aor, n);
    lua_pushinteger(L, n);
    return 1;
}

static const luaL_Reg lua_fns[] = {
    { "save", l_save },     { "lookup", l_lookup }, { "bindings", l_bindings },
    { "remove", l_remove }, { NULL, NULL },
};

/* ---- unit ---- */

static void expire_tick(evutil_socket_t fd, short what, void *arg)
{
    reg_expire();
}

static int reg_init(lua_State *L, char *err, size_t errlen)
{
    static const struct { const char *name; long *v; long def, min, max; } params[] = {
        { "default_expires", &reg_cfg.default_expires, 3600, 1, 31536000 },
        { "min_expires", &reg_cfg.min_expires, 60, 0, 31536000 },
        { "max_expires", &reg_cfg.max_expires, 7200, 1, 31536000 },
        { "max_aors", &reg_cfg.max_aors, 100000, 1, 100000000 },
        { "nat_ping_interval", &reg_cfg.nat_ping_interval, 0, 0, 86400 },
    };
    const size_t np = sizeof params / sizeof params[0];
    for (size_t i = 0; i < np; i++)
        *params[i].v = params[i].def;
    reg_cfg.max_contacts = 10;
    reg_cfg.nat_ping_failures = 3;
    reg_cfg.use_domain = 0;
    if (!lua_isnil(L, -1) && !lua_istable(L, -1)) {
        snprintf(err, errlen, "parameters must be a table, e.g. { default_expires = 3600 }");
        return -1;
    }
    if (lua_istable(L, -1)) {
        lua_pushnil(L);
        while (lua_next(L, -2)) {
            const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "(not a name)";
            size_t i = 0;
            while (i < np && strcmp(params[i].name, k) != 0)
                i++;
            if (!strcmp(k, "use_domain")) {
                if (!lua_isboolean(L, -1)) {
                    snprintf(err, errlen, "use_domain must be true or false");
                    return -1;
                }
                reg_cfg.use_domain = lua_toboolean(L, -1);
            } else if (!strcmp(k, "max_contacts") || !strcmp(k, "nat_ping_failures")) {
                if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 || lua_tointeger(L, -1) > 1000) {
                    snprintf(err, errlen, "%s must be a whole number from 1 to 1000", k);
                    return -1;
                }
                *(k[0] == 'm' ? &reg_cfg.max_contacts : &reg_cfg.nat_ping_failures) = (int)lua_tointeger(L, -1);
            } else if (i < np) {
                if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < params[i].min ||
                    lua_tointeger(L, -1) > params[i].max) {
                    snprintf(err, errlen, "%s must be a whole number from %ld to %ld", k, params[i].min, params[i].max);
                    return -1;
                }
                *params[i].v = (long)lua_tointeger(L, -1);
            } else {
                snprintf(err, errlen,
                         "unknown parameter '%s' (known: default_expires, min_expires, max_expires, max_contacts, "
                         "max_aors, use_domain, nat_ping_interval, nat_ping_failures)",
                         k);
                return -1;
            }
            lua_pop(L, 1);
        }
    }
    if (reg_cfg.min_expires > reg_cfg.max_expires) {
        snprintf(err, errlen, "min_expires (%ld) is above max_expires (%ld)", reg_cfg.min_expires, reg_cfg.max_expires);
        return -1;
    }
    reg_tm = tm_load_api();
    if (reg_cfg.nat_ping_interval > 0 && !reg_tm) {
        snprintf(err, errlen, "nat_ping_interval needs the tm unit: add tm = {} to config.units");
        return -1;
    }
    return 0;
}

static int reg_start(char *err, size_t errlen)
{
    expire_ev = event_new(server_base(), -1, EV_PERSIST, expire_tick, NULL);
    struct timeval tv = { 1, 0 };
    if (!expire_ev || event_add(expire_ev, &tv) != 0) {
        snprintf(err, errlen, "cannot arm the expiry timer");
        return -1;
    }
    if (reg_http_start(err, errlen) != 0)
        return -1;
    reg_ping_start();
    return 0;
}

static void reg_stop(void)
{
    reg_ping_stop();
    reg_http_stop();
    if (expire_ev)
        event_free(expire_ev);
    expire_ev = NULL;
    if (reg_accepted || reg_refused)
        ls_log(LS_LOG_INFO, REG_UNIT, "stopped: %lu registrations accepted, %lu refused, %lu bindings at exit",
               reg_accepted, reg_refused, reg_nbindings);
    reg_store_clear();
}

static const struct ls_unit registrar_unit = {
    .name = REG_UNIT,
    .init = reg_init,
    .start = reg_start,
    .stop = reg_stop,
    .lua = lua_fns,
};

LS_UNIT_EXPORT(registrar_unit)
