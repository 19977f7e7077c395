/* The `msg` object of SIP routes: fields, header access and the stateless proxy actions. */
#include <lunasip/lua.h>
#include "log.h"
#include <lunasip/proxy.h>
#include "sip/route.h"
#include <lunasip/msg.h>
#include <lunasip/wire.h>
#include "stats.h"
#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MSG_MT LUA_MSG_MT

int (*lua_msg_reply_hook)(struct sip_msg *req, osip_message_t *reply); /* set by tm */

struct sip_msg *lua_msg_check(lua_State *L, int idx)
{
    void *u = luaL_testudata(L, idx, MSG_MT);
    if (!u)
        u = luaL_testudata(L, idx, LUA_HTTP_REQ_MT);
    if (!u)
        luaL_typeerror(L, idx, "msg");
    return *(struct sip_msg **)u;
}

void lua_msg_push(lua_State *L, struct sip_msg *msg)
{
    struct sip_msg **u = lua_newuserdatauv(L, sizeof *u, 0);
    *u = sipmsg_ref(msg);
    luaL_setmetatable(L, MSG_MT);
}

static struct sip_msg *check_request(lua_State *L, const char *what)
{
    struct sip_msg *msg = lua_msg_check(L, 1);
    if (!sipmsg_is_request(msg))
        luaL_error(L, "msg:%s() needs a request", what);
    return msg;
}

/* Push an osip-allocated string and free it; nil for NULL. */
static int push_osip_str(lua_State *L, char *s)
{
    if (s) {
        lua_pushstring(L, s);
        osip_free(s);
    } else {
        lua_pushnil(L);
    }
    return 1;
}

static int push_uri(lua_State *L, const osip_uri_t *uri)
{
    char *s = NULL;
    if (uri)
        osip_uri_to_str(uri, &s);
    return push_osip_str(L, s);
}

static int msg_gc(lua_State *L)
{
    struct sip_msg **u = luaL_checkudata(L, 1, MSG_MT);
    sipmsg_unref(*u);
    *u = NULL;
    return 0;
}

int lua_msg_index(lua_State *L)
{
    struct sip_msg *msg = lua_msg_check(L, 1);
    osip_message_t *m = msg->m;
    const char *k = luaL_checkstring(L, 2);
    /* methods first (the msg ones, also for objects built on msg) */
    if (luaL_getmetatable(L, MSG_MT) == LUA_TTABLE && lua_getfield(L, -1, "methods") == LUA_TTABLE &&
        lua_getfield(L, -1, k) != LUA_TNIL)
        return 1;
    if (!strcmp(k, "method")) {
        lua_pushstring(L, MSG_IS_REQUEST(m) ? m->sip_method : m->cseq ? m->cseq->method : NULL);
    } else if (!strcmp(k, "ruri")) {
        return push_uri(L, m->req_uri);
    } else if (!strcmp(k, "du")) {
        lua_pushstring(L, msg->du);
    } else if (!strcmp(k, "status")) {
        if (MSG_IS_RESPONSE(m))
            lua_pushinteger(L, m->status_code);
        else
            lua_pushnil(L);
    } else if (!strcmp(k, "reason")) {
        lua_pushstring(L, MSG_IS_RESPONSE(m) ? m->reason_phrase : NULL);
    } else if (!strcmp(k, "call_id")) {
        char *s = NULL;
        if (m->call_id)
            osip_call_id_to_str(m->call_id, &s);
        return push_osip_str(L, s);
    } else if (!strcmp(k, "cseq")) {
        if (m->cseq && m->cseq->number)
            lua_pushinteger(L, strtoll(m->cseq->number, NULL, 10));
        else
            lua_pushnil(L);
    } else if (!strcmp(k, "cseq_method")) {
        lua_pushstring(L, m->cseq ? m->cseq->method : NULL);
    } else if (!strcmp(k, "from") || !strcmp(k, "to")) {
        osip_from_t *h = k[0] == 'f' ? m->from : m->to;
        return push_uri(L, h ? h->url : NULL);
    } else if (!strcmp(k, "from_tag")) {
        lua_pushstring(L, sipmsg_tag(m->from));
    } else if (!strcmp(k, "to_tag")) {
        lua_pushstring(L, sipmsg_tag(m->to));
    } else if (!strcmp(k, "src_ip") || !strcmp(k, "src_port")) {
        char ip[64];
        int port;
        addr_ip_port(&msg->src.addr.sa, ip, sizeof ip, &port);
        if (k[4] == 'i')
            lua_pushstring(L, ip);
        else
            lua_pushinteger(L, port);
    } else if (!strcmp(k, "proto")) {
        lua_pushstring(L, msg->src.addr.proto == PROTO_TCP ? "tcp" : "udp");
    } else if (!strcmp(k, "body")) {
        char *tmp;
        size_t len = 0;
        const char *b = sipmsg_body(m, &tmp, &len);
        lua_pushlstring(L, b ? b : "", b ? len : 0);
        osip_free(tmp);
    } else {
        lua_pushnil(L);
    }
    return 1;
}

int lua_msg_newindex(lua_State *L)
{
    struct sip_msg *msg = lua_msg_check(L, 1);
    const char *k = luaL_checkstring(L, 2);
    if (!strcmp(k, "ruri")) {
        const char *v = luaL_checkstring(L, 3);
        osip_uri_t *u;
        if (!MSG_IS_REQUEST(msg->m))
            return luaL_error(L, "msg.ruri: replies have no Request-URI");
        if (osip_uri_init(&u) != 0 || osip_uri_parse(u, v) != 0 || !u->host) {
            osip_uri_free(u);
            return luaL_error(L, "msg.ruri: bad URI '%s'", v);
        }
        osip_uri_free(msg->m->req_uri);
        msg->m->req_uri = u;
        osip_message_force_update(msg->m);
    } else if (!strcmp(k, "du")) {
        const char *v = luaL_optstring(L, 3, NULL);
        char host[256], err[256];
        int port;
        enum sip_proto proto;
        if (v && proxy_uri_target(v, host, sizeof host, &port, &proto, err, sizeof err) != 0)
            return luaL_error(L, "msg.du: %s", err);
        free(msg->du);
        msg->du = v ? strdup(v) : NULL;
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
    struct sip_msg *msg = lua_msg_check(L, 1);
    char *v;
    if (sipmsg_header_get(msg->m, check_name(L, 2), 0, &v) != 0)
        return lua_pushnil(L), 1;
    lua_pushstring(L, v);
    free(v);
    return 1;
}

static int msg_headers(lua_State *L)
{
    struct sip_msg *msg = lua_msg_check(L, 1);
    const char *name = check_name(L, 2);
    char *v;
    lua_newtable(L);
    for (int i = 0; sipmsg_header_get(msg->m, name, i, &v) == 0; i++) {
        lua_pushstring(L, v);
        free(v);
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

static int msg_append_header(lua_State *L)
{
    struct sip_msg *msg = lua_msg_check(L, 1);
    const char *n = check_name(L, 2), *v = check_value(L, 3);
    if (sipmsg_header_append(msg->m, n, v) != 0)
        return luaL_error(L, "cannot add header %s: '%s' (bad value, or a header routes may not change)", n, v);
    return 0;
}

static int msg_set_header(lua_State *L)
{
    struct sip_msg *msg = lua_msg_check(L, 1);
    const char *n = check_name(L, 2), *v = check_value(L, 3);
    if (sipmsg_header_remove(msg->m, n) < 0 || sipmsg_header_append(msg->m, n, v) != 0)
        return luaL_error(L, "cannot set header %s: '%s' (bad value, or a header routes may not change)", n, v);
    return 0;
}

static int msg_remove_header(lua_State *L)
{
    struct sip_msg *msg = lua_msg_check(L, 1);
    const char *n = check_name(L, 2);
    int removed = sipmsg_header_remove(msg->m, n);
    if (removed < 0)
        return luaL_error(L, "header %s may not be removed", n);
    lua_pushinteger(L, removed);
    return 1;
}

/* Add reply headers given as {Name = value}, {"Name: value", ...} or "Name: value\r\n...". */
static void add_headers(lua_State *L, int idx, osip_message_t *r)
{
    if (lua_isnoneornil(L, idx))
        return;
    if (lua_type(L, idx) == LUA_TSTRING) {
        char *copy = strdup(lua_tostring(L, idx)), *save = NULL;
        for (char *line = strtok_r(copy, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save)) {
            char *colon = strchr(line, ':');
            if (!colon)
                continue;
            *colon = '\0';
            const char *v = colon + 1 + strspn(colon + 1, " \t");
            if (sipmsg_header_append(r, line, v) != 0) {
                lua_pushfstring(L, "bad reply header '%s'", line);
                free(copy);
                lua_error(L);
            }
        }
        free(copy);
        return;
    }
    luaL_checktype(L, idx, LUA_TTABLE);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (lua_type(L, -2) == LUA_TSTRING) {
            if (sipmsg_header_append(r, check_name(L, -2), check_value(L, -1)) != 0)
                luaL_error(L, "bad reply header '%s'", lua_tostring(L, -2));
        } else {
            lua_pushvalue(L, -1);
            add_headers(L, lua_gettop(L), r);
            lua_pop(L, 1);
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
    lua_settop(L, 5); /* arguments in fixed slots; the reply's holder goes above them */
    if (!strcmp(msg->m->sip_method, "ACK"))
        return luaL_error(L, "an ACK cannot be answered");
    if (msg->replied)
        return luaL_error(L, "this request already has a final reply");
    osip_message_t *r = proxy_build_reply(msg, (int)code, reason);
    if (!r)
        return luaL_error(L, "cannot build the reply");
    /* lua errors below must not leak r: keep it in a to-be-freed slot */
    struct sip_msg *holder = sipmsg_wrap(r);
    lua_msg_push(L, holder);
    sipmsg_unref(holder);
    add_headers(L, 4, r);
    if (body && blen && sipmsg_set_body(r, body, blen, r->content_type ? NULL : "text/plain") != 0)
        return luaL_error(L, "cannot set the reply body");
    holder->m = NULL;
    if (code >= 200)
        msg->replied = 1;
    int rc = lua_msg_reply_hook && msg->tx ? lua_msg_reply_hook(msg, r) : proxy_send_reply(msg, r);
    lua_pushboolean(L, rc == 0);
    return 1;
}

int lua_push_result(lua_State *L, const char *err)
{
    if (!err) {
        lua_pushboolean(L, 1);
        return 1;
    }
    lua_pushnil(L);
    lua_pushstring(L, err);
    return 2;
}

static int msg_forward(lua_State *L)
{
    struct sip_msg *msg = check_request(L, "forward");
    const char *uri = luaL_optstring(L, 2, NULL);
    char err[256];
    return lua_push_result(L, proxy_forward(msg, uri, err, sizeof err) == 0 ? NULL : err);
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
    int rc = route_loose(msg->m, transport_is_local, &next);
    if (rc < 0)
        return luaL_error(L, "msg:loose_route(): unusable Route header");
    if (next) {
        free(msg->du);
        msg->du = strdup(next);
        osip_free(next);
    }
    lua_pushboolean(L, rc == 1);
    return 1;
}

/* msg:in_dialog(): true when the request has a To tag. */
static int msg_in_dialog(lua_State *L)
{
    struct sip_msg *msg = check_request(L, "in_dialog");
    lua_pushboolean(L, sipmsg_tag(msg->m->to) != NULL);
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
    struct sip_msg *msg = lua_msg_check(L, 1);
    if (!msg->dropped)
        stats_inc(STAT_DROPPED);
    msg->dropped = 1;
    return 0;
}

int lua_msg_tostring(lua_State *L)
{
    struct sip_msg *msg = lua_msg_check(L, 1);
    char *s;
    size_t len;
    if (sipmsg_print(msg->m, &s, &len) != 0)
        return luaL_error(L, "cannot print message");
    lua_pushlstring(L, s, len);
    osip_free(s);
    return 1;
}

void lua_msg_open(lua_State *L)
{
    static const luaL_Reg methods[] = {
        { "header", msg_header },           { "headers", msg_headers },
        { "append_header", msg_append_header }, { "set_header", msg_set_header },
        { "remove_header", msg_remove_header }, { "reply", msg_reply },
        { "forward", msg_forward },         { "record_route", msg_record_route },
        { "loose_route", msg_loose_route }, { "max_forwards", msg_max_forwards },
        { "drop", msg_drop },               { "in_dialog", msg_in_dialog },
        { NULL, NULL },
    };
    static const luaL_Reg meta[] = {
        { "__index", lua_msg_index }, { "__newindex", lua_msg_newindex },
        { "__gc", msg_gc },           { "__tostring", lua_msg_tostring },
        { NULL, NULL },
    };
    luaL_newmetatable(L, MSG_MT);
    luaL_setfuncs(L, meta, 0);
    luaL_newlib(L, methods);
    lua_setfield(L, -2, "methods");
    lua_pop(L, 1);
}
