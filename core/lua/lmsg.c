/* The `msg` object of SIP routes: fields, header access and the stateless proxy actions. */
#include <lunasip/lua.h>
#include "log.h"
#include <lunasip/branch.h>
#include "lua/script.h"
#include <lunasip/proxy.h>
#include "sip/route.h"
#include <lunasip/msg.h>
#include <lunasip/wire.h>
#include "stats.h"
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MSG_MT LMSG_MT


struct sip_msg *(*lmsg_req_twin)(lua_State *L, void *ud);

struct sip_msg *lmsg_check(lua_State *L, int idx)
{
    void *u = luaL_testudata(L, idx, MSG_MT);
    if (u)
        return *(struct sip_msg **)u;
    u = luaL_testudata(L, idx, LMSG_REQ_MT);
    if (!u)
        luaL_typeerror(L, idx, "msg");
    return *(struct sip_msg **)u ? *(struct sip_msg **)u : lmsg_req_twin(L, u);
}

void lmsg_push(lua_State *L, struct sip_msg *msg)
{
    struct sip_msg **u = lua_newuserdatauv(L, sizeof *u, 0);
    *u = sipmsg_ref(msg);
    luaL_setmetatable(L, MSG_MT);
}

static struct sip_msg *check_request(lua_State *L, const char *what)
{
    struct sip_msg *msg = lmsg_check(L, 1);
    if (!sipmsg_is_request(msg))
        luaL_error(L, "msg:%s() needs a request", what);
    return msg;
}

static int push_str(lua_State *L, struct sip_str v)
{
    if (v.s)
        lua_pushlstring(L, v.s, v.len);
    else
        lua_pushnil(L);
    return 1;
}

static int msg_gc(lua_State *L)
{
    struct sip_msg **u = luaL_checkudata(L, 1, MSG_MT);
    sipmsg_unref(*u);
    *u = NULL;
    return 0;
}

/* Field names lmsg_index answers (also stored as the metatable's "fields" list). */
static const char *const msg_fields[] = {
    "method", "ruri", "du", "socket", "status", "reason", "call_id", "cseq", "cseq_method", "from", "to",
    "from_tag", "to_tag", "src_ip", "src_port", "proto", "body", NULL,
};

/* Edit distance between a and b (both short names; longer ones count as far apart). */
static size_t name_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), row[64];
    if (la >= 64 || lb >= 64)
        return 64;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* Whether name is one of the ", "-separated names in list. */
static int listed(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; (p = strstr(p, name)) != NULL; p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == '\0' || p[n] == ','))
            return 1;
    return 0;
}

/* Appends to out (", "-separated) the names in the table at t (an array of names, or a
 * table keyed by name) within edit distance max of k. */
static void add_close(lua_State *L, int t, const char *k, size_t max, char *out, size_t size)
{
    lua_pushnil(L);
    while (lua_next(L, t)) {
        const char *name = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : lua_tostring(L, -1);
        size_t used = strlen(out);
        if (name && name_distance(k, name) <= max && used + strlen(name) + 3 < size && !listed(out, name))
            snprintf(out + used, size - used, "%s%s", used ? ", " : "", name);
        lua_pop(L, 1);
    }
}

/* Raises "<script:line:> msg.<k>: no such field or method (did you mean ...?)" for the
 * object at 1 (msg, or req for objects built on msg), suggesting the fields and methods of
 * its metatable and of msg's whose edit distance to k is small. Never returns. */
static int unknown_field(lua_State *L, const char *k)
{
    int is_req = luaL_testudata(L, 1, LMSG_REQ_MT) != NULL;
    size_t len = strlen(k), max = len < 4 ? 1 : len < 9 ? 2 : 3;
    char close[256] = "";
    const char *mts[] = { MSG_MT, is_req ? LMSG_REQ_MT : NULL };
    for (int i = 0; i < 2 && mts[i]; i++) {
        luaL_getmetatable(L, mts[i]);
        for (int j = 0; j < 2; j++) {
            if (lua_getfield(L, -1, j ? "methods" : "fields") == LUA_TTABLE)
                add_close(L, lua_gettop(L), k, max, close, sizeof close);
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    luaL_where(L, 1); /* the script line that read the field */
    lua_pushfstring(L, "%s.%s: no such field or method%s%s%s", is_req ? "req" : "msg", k,
                    *close ? " (did you mean " : "", close, *close ? "?)" : "");
    lua_concat(L, 2);
    return lua_error(L);
}

int lmsg_index(lua_State *L)
{
    const char *k = luaL_checkstring(L, 2);
    /* methods first (the msg ones, also for objects built on msg): a method checks its msg
     * argument when it is called */
    if (luaL_getmetatable(L, MSG_MT) == LUA_TTABLE && lua_getfield(L, -1, "methods") == LUA_TTABLE &&
        lua_getfield(L, -1, k) != LUA_TNIL)
        return 1;
    lua_settop(L, 2);
    struct sip_msg *msg = lmsg_check(L, 1);
    int req = sipmsg_is_request(msg);
    if (!strcmp(k, "method")) {
        return push_str(L, sipmsg_method(msg));
    } else if (!strcmp(k, "ruri")) {
        return push_str(L, sipmsg_ruri(msg));
    } else if (!strcmp(k, "du")) {
        lua_pushstring(L, msg->du);
    } else if (!strcmp(k, "socket")) {
        char b[80];
        lua_pushstring(L, msg->socket ? transport_listener_str(msg->socket, b, sizeof b) : NULL);
    } else if (!strcmp(k, "status")) {
        if (!req)
            lua_pushinteger(L, sipmsg_status(msg));
        else
            lua_pushnil(L);
    } else if (!strcmp(k, "reason")) {
        return push_str(L, sipmsg_reason(msg));
    } else if (!strcmp(k, "call_id")) {
        return push_str(L, sipmsg_call_id(msg));
    } else if (!strcmp(k, "cseq")) {
        uint32_t n;
        if (sipmsg_cseq(msg, &n, NULL) == 0)
            lua_pushinteger(L, n);
        else
            lua_pushnil(L);
    } else if (!strcmp(k, "cseq_method")) {
        struct sip_str m = { NULL, 0 };
        sipmsg_cseq(msg, NULL, &m);
        return push_str(L, m);
    } else if (!strcmp(k, "from")) {
        return push_str(L, sipmsg_from_uri(msg));
    } else if (!strcmp(k, "to")) {
        return push_str(L, sipmsg_to_uri(msg));
    } else if (!strcmp(k, "from_tag")) {
        return push_str(L, sipmsg_from_tag(msg));
    } else if (!strcmp(k, "to_tag")) {
        return push_str(L, sipmsg_to_tag(msg));
    } else if (!strcmp(k, "src_ip") || !strcmp(k, "src_port")) {
        char ip[64];
        int port;
        addr_ip_port(&msg->src.addr.sa, ip, sizeof ip, &port);
        if (k[4] == 'i')
            lua_pushstring(L, ip);
        else
            lua_pushinteger(L, port);
    } else if (!strcmp(k, "proto")) {
        lua_pushstring(L, transport_proto_name(msg->src.addr.proto));
    } else if (!strcmp(k, "body")) {
        struct sip_str b = sipmsg_body(msg);
        lua_pushlstring(L, b.s ? b.s : "", b.len);
    } else {
        return unknown_field(L, k);
    }
    return 1;
}

int lmsg_newindex(lua_State *L)
{
    struct sip_msg *msg = lmsg_check(L, 1);
    const char *k = luaL_checkstring(L, 2);
    if (!strcmp(k, "ruri")) {
        const char *v = luaL_checkstring(L, 3);
        struct sip_uri u;
        if (!sipmsg_is_request(msg))
            return luaL_error(L, "msg.ruri: replies have no Request-URI");
        if (sip_uri_parse(v, strlen(v), &u) != 0 || !u.host.len || sipmsg_set_ruri(msg, v) != 0)
            return luaL_error(L, "msg.ruri: bad URI '%s'", v);
    } else if (!strcmp(k, "du")) {
        const char *v = luaL_optstring(L, 3, NULL);
        char host[256], err[256];
        int port;
        enum sip_proto proto;
        if (v && proxy_uri_target(v, host, sizeof host, &port, &proto, err, sizeof err) != 0)
            return luaL_error(L, "msg.du: %s", err);
        free(msg->du);
        msg->du = v ? strdup(v) : NULL;
    } else if (!strcmp(k, "socket")) {
        const char *v = luaL_optstring(L, 3, NULL);
        char err[256];
        const struct listener *lst = v ? transport_listener_find(v, err, sizeof err) : NULL;
        if (!sipmsg_is_request(msg))
            return luaL_error(L, "msg.socket: replies go back by their Via");
        if (v && !lst)
            return luaL_error(L, "msg.socket: %s", err);
        msg->socket = lst;
    } else {
        return luaL_error(L, "msg.%s is read-only", k);
    }
    return 0;
}

/* A header name is a token; a value may not break the message with CR or LF. */
static const char *check_name(lua_State *L, int idx)
{
    size_t len;
    const char *n = luaL_checklstring(L, idx, &len);
    if (!ls_wire_header_name(n, len))
        luaL_error(L, "bad header name '%s'", n);
    return n;
}

static const char *check_value(lua_State *L, int idx)
{
    size_t len;
    const char *v = luaL_checklstring(L, idx, &len);
    if (!ls_wire_header_value(v, len))
        luaL_error(L, "header value may not contain CR or LF");
    return v;
}

static int msg_header(lua_State *L)
{
    struct sip_msg *msg = lmsg_check(L, 1);
    return push_str(L, sipmsg_header(msg, check_name(L, 2), 0));
}

static int msg_headers(lua_State *L)
{
    struct sip_msg *msg = lmsg_check(L, 1);
    struct sip_hdr_iter it;
    struct sip_str v;
    lua_newtable(L);
    sipmsg_iter_init(&it, msg, check_name(L, 2));
    for (int i = 1; sipmsg_iter_next(&it, &v); i++) {
        lua_pushlstring(L, v.s, v.len);
        lua_rawseti(L, -2, i);
    }
    return 1;
}

static int msg_append_header(lua_State *L)
{
    struct sip_msg *msg = lmsg_check(L, 1);
    const char *n = check_name(L, 2), *v = check_value(L, 3);
    if (sipmsg_header_append(msg, n, v) != 0)
        return luaL_error(L, "cannot add header %s: '%s' (bad value, or a header routes may not change)", n, v);
    return 0;
}

static int msg_set_header(lua_State *L)
{
    struct sip_msg *msg = lmsg_check(L, 1);
    const char *n = check_name(L, 2), *v = check_value(L, 3);
    if (sipmsg_header_remove(msg, n) < 0 || sipmsg_header_append(msg, n, v) != 0)
        return luaL_error(L, "cannot set header %s: '%s' (bad value, or a header routes may not change)", n, v);
    return 0;
}

static int msg_remove_header(lua_State *L)
{
    struct sip_msg *msg = lmsg_check(L, 1);
    const char *n = check_name(L, 2);
    int removed = sipmsg_header_remove(msg, n);
    if (removed < 0)
        return luaL_error(L, "header %s may not be removed", n);
    lua_pushinteger(L, removed);
    return 1;
}

/* One reply header line "Name: value\r\n" into b, checked like msg:append_header's. */
static void add_line(lua_State *L, int acc, const char *name, size_t nlen, const char *value, int *has_ct)
{
    char n[128], tmp[128];
    if (!nlen || nlen >= sizeof n || memchr(name, ':', nlen) || strpbrk(value, "\r\n"))
        luaL_error(L, "bad reply header '%s'", name);
    memcpy(n, name, nlen);
    n[nlen] = '\0';
    if (strcspn(n, " \t\r\n") != nlen || !strcasecmp(n, "Content-Length") || !strcasecmp(n, "l"))
        luaL_error(L, "bad reply header '%s'", n);
    const char *full = sipmsg_header_name(n, tmp, sizeof tmp);
    if (!strcmp(full, "Content-Type"))
        *has_ct = 1;
    lua_pushfstring(L, "%s: %s\r\n", full, value);
    lua_rawseti(L, acc, (lua_Integer)lua_rawlen(L, acc) + 1);
}

/* Reply headers given as {Name = value}, {"Name: value", ...} or "Name: value\r\n...", one
 * line each appended to the array at acc. (Not straight into a luaL_Buffer: lua_next keeps a
 * key and a value above it, and a buffer that grows then takes the value's slot for its box.) */
static void add_headers(lua_State *L, int idx, int acc, int *has_ct)
{
    if (lua_isnoneornil(L, idx))
        return;
    if (lua_type(L, idx) == LUA_TSTRING) {
        const char *s = lua_tostring(L, idx);
        while (*s) {
            size_t l = strcspn(s, "\r\n");
            const char *colon = memchr(s, ':', l);
            if (colon) {
                char v[1024];
                const char *vs = colon + 1 + strspn(colon + 1, " \t");
                size_t vl = l - (size_t)(vs - s);
                if (vl >= sizeof v)
                    luaL_error(L, "reply header too long");
                memcpy(v, vs, vl);
                v[vl] = '\0';
                size_t nl = (size_t)(colon - s);
                while (nl && (s[nl - 1] == ' ' || s[nl - 1] == '\t'))
                    nl--;
                add_line(L, acc, s, nl, v, has_ct);
            }
            s += l;
            s += strspn(s, "\r\n");
        }
        return;
    }
    luaL_checktype(L, idx, LUA_TTABLE);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (lua_type(L, -2) == LUA_TSTRING) {
            size_t nl;
            const char *n = lua_tolstring(L, -2, &nl);
            add_line(L, acc, n, nl, check_value(L, -1), has_ct);
        } else {
            add_headers(L, lua_gettop(L), acc, has_ct);
        }
        lua_pop(L, 1);
    }
}

/* msg:reply(code [, reason [, headers [, body]]]) */
static int msg_reply(lua_State *L)
{
    struct sip_msg *msg = check_request(L, "reply");
    lua_Integer code = luaL_checkinteger(L, 2);
    const char *reason = luaL_optstring(L, 3, NULL);
    size_t blen = 0;
    const char *body = luaL_optlstring(L, 5, NULL, &blen);
    luaL_argcheck(L, code >= 100 && code <= 699, 2, "status code must be 100-699");
    if (reason && strpbrk(reason, "\r\n"))
        return luaL_error(L, "reason may not contain CR or LF");
    lua_settop(L, 5);
    if (sipmsg_method_is(msg, "ACK"))
        return luaL_error(L, "an ACK cannot be answered");
    if (msg->replied)
        return luaL_error(L, "this request already has a final reply");
    int has_ct = 0;
    lua_newtable(L); /* 6: the header lines */
    add_headers(L, 4, 6, &has_ct);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (lua_Integer i = 1, n = (lua_Integer)lua_rawlen(L, 6); i <= n; i++) {
        lua_rawgeti(L, 6, i);
        luaL_addvalue(&b);
    }
    if (blen && !has_ct)
        luaL_addstring(&b, "Content-Type: text/plain\r\n");
    luaL_pushresult(&b);
    const char *hdrs = lua_tostring(L, -1);
    int rc = proxy_reply(msg, (int)code, reason, *hdrs ? hdrs : NULL, body, blen);
    lua_pushboolean(L, rc == 0);
    return 1;
}

static int msg_forward(lua_State *L)
{
    struct sip_msg *msg = check_request(L, "forward");
    const char *uri = luaL_optstring(L, 2, NULL);
    char err[256];
    return lsip_push_result(L, proxy_forward(msg, uri, err, sizeof err) == 0 ? NULL : err);
}

static int msg_record_route(lua_State *L)
{
    check_request(L, "record_route")->rr_wanted = 1;
    lua_pushboolean(L, 1);
    return 1;
}

static int msg_loose_route(lua_State *L)
{
    struct sip_msg *msg = check_request(L, "loose_route");
    char *next = NULL;
    int rc = route_loose(msg, transport_is_local, &next);
    if (rc < 0)
        return luaL_error(L, "msg:loose_route(): unusable Route header");
    if (next) {
        free(msg->du);
        msg->du = next;
    }
    lua_pushboolean(L, rc == 1);
    return 1;
}

/* msg:append_branch(uri [, q]): one more destination for tm.relay (parallel forking). */
static int msg_append_branch(lua_State *L)
{
    struct sip_msg *msg = check_request(L, "append_branch");
    const char *uri = luaL_checkstring(L, 2);
    lua_Number q = luaL_optnumber(L, 3, -1);
    luaL_argcheck(L, q == -1 || (q >= 0 && q <= 1), 3, "q must be between 0 and 1");
    struct sip_uri u;
    if (sip_uri_parse(uri, strlen(uri), &u) != 0 || !u.host.len)
        return luaL_error(L, "msg:append_branch(): bad SIP URI '%s'", uri);
    if (sip_branch_add(msg, uri, NULL, NULL, q < 0 ? -1 : (int)(q * 1000 + 0.5)) != 0)
        return luaL_error(L, "msg:append_branch(): too many branches (%d)", SIP_MAX_BRANCHES);
    lua_pushboolean(L, 1);
    return 1;
}

/* msg:in_dialog(): true when the request has a To tag. */
static int msg_in_dialog(lua_State *L)
{
    struct sip_msg *msg = check_request(L, "in_dialog");
    lua_pushboolean(L, sipmsg_to_tag(msg).s != NULL);
    return 1;
}

static int msg_max_forwards(lua_State *L)
{
    int mf = proxy_max_forwards(check_request(L, "max_forwards"));
    if (mf == 0)
        lua_pushboolean(L, 0);
    else
        lua_pushinteger(L, mf);
    return 1;
}

static int msg_drop(lua_State *L)
{
    struct sip_msg *msg = lmsg_check(L, 1);
    if (!msg->dropped)
        stats_inc(STAT_DROPPED);
    msg->dropped = 1;
    return 0;
}

int lmsg_tostring(lua_State *L)
{
    struct sip_msg *msg = lmsg_check(L, 1);
    char *s;
    size_t len;
    if (sipmsg_print(msg, &s, &len) != 0)
        return luaL_error(L, "cannot print message");
    lua_pushlstring(L, s, len);
    free(s);
    return 1;
}

void lmsg_open(lua_State *L)
{
    static const luaL_Reg methods[] = {
        { "header", msg_header },           { "headers", msg_headers },
        { "append_header", msg_append_header }, { "set_header", msg_set_header },
        { "remove_header", msg_remove_header }, { "reply", msg_reply },
        { "forward", msg_forward },         { "record_route", msg_record_route },
        { "loose_route", msg_loose_route }, { "max_forwards", msg_max_forwards },
        { "drop", msg_drop },               { "in_dialog", msg_in_dialog },
        { "append_branch", msg_append_branch },
        { NULL, NULL },
    };
    static const luaL_Reg meta[] = {
        { "__index", lmsg_index }, { "__newindex", lmsg_newindex },
        { "__gc", msg_gc },           { "__tostring", lmsg_tostring },
        { NULL, NULL },
    };
    luaL_newmetatable(L, MSG_MT);
    luaL_setfuncs(L, meta, 0);
    luaL_newlib(L, methods);
    lua_setfield(L, -2, "methods");
    lmsg_set_fields(L, msg_fields);
    lua_pop(L, 1);
}

void lmsg_set_fields(lua_State *L, const char *const *names)
{
    lua_newtable(L);
    for (int i = 0; names[i]; i++) {
        lua_pushstring(L, names[i]);
        lua_rawseti(L, -2, i + 1);
    }
    lua_setfield(L, -2, "fields");
}
