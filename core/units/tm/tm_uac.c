/* Local requests (we are the UAC): tm_api.request for units and tm.request for Lua, which suspends
 * the calling coroutine until the final reply. Main loop only. */
#include "tm_int.h"
#include <lauxlib.h>
#include <lunasip/lua.h>
#include <lunasip/proxy.h>
#include <lunasip/transport.h>
#include <lunasip/wire.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static unsigned long long uac_seq;

/* "sip:x@y" -> "<sip:x@y>"; values already in name-addr form are kept. */
static void name_addr(char *out, size_t len, const char *v)
{
    snprintf(out, len, strchr(v, '<') ? "%s" : "<%s>", v);
}

static struct sip_msg *build_request(const struct tm_uac_req *r, char *err, size_t errlen)
{
    size_t n;
    const struct listener *lst = r->socket ? r->socket : transport_listeners(&n);
    char host[300] = "127.0.0.1";
    if (r->socket || n)
        snprintf(host, sizeof host, "%s:%d", lst->host, lst->port);
    char from[1024], to[1024], def_from[400];
    snprintf(def_from, sizeof def_from, "sip:lunasip@%s", host);
    name_addr(from, sizeof from, r->from ? r->from : def_from);
    name_addr(to, sizeof to, r->to ? r->to : r->uri);
    uac_seq++;
    size_t blen = r->body ? r->body_len : 0;
    size_t cap = 2048 + strlen(r->uri) + strlen(from) + strlen(to) + (r->headers ? strlen(r->headers) : 0) + blen;
    char *buf = malloc(cap);
    int len = snprintf(buf, cap,
                       "%s %s SIP/2.0\r\nFrom: %s;tag=ls%llx\r\nTo: %s\r\nCall-ID: ls%llx.%lx@%s\r\n"
                       "CSeq: 1 %s\r\nMax-Forwards: 70\r\n",
                       r->method, r->uri, from, uac_seq ^ 0x5a5aULL, to, uac_seq, (long)time(NULL), host, r->method);
    if (!strcasecmp(r->method, "INVITE"))
        len += snprintf(buf + len, cap - (size_t)len, "Contact: <sip:lunasip@%s>\r\n", host);
    if (r->headers && *r->headers) {
        len += snprintf(buf + len, cap - (size_t)len, "%s", r->headers);
        if (buf[len - 1] != '\n')
            len += snprintf(buf + len, cap - (size_t)len, "\r\n");
    }
    if (blen)
        len += snprintf(buf + len, cap - (size_t)len, "Content-Type: %s\r\n",
                        r->content_type ? r->content_type
                                        : !strcasecmp(r->method, "INVITE") ? "application/sdp" : "text/plain");
    len += snprintf(buf + len, cap - (size_t)len, "Content-Length: %zu\r\n\r\n", blen);
    if (blen) {
        memcpy(buf + len, r->body, blen);
        len += (int)blen;
    }
    buf[len] = '\0';
    const char *why = NULL;
    struct sip_msg *msg = sipmsg_parse(buf, (size_t)len, NULL, &why);
    free(buf);
    if (!msg)
        snprintf(err, errlen, "cannot build the request (check method, uri, from, to, headers): %s",
                 why ? why : "parse error");
    return msg;
}

struct tm_uac *tm_request(const struct tm_uac_req *r, tm_uac_fn done, void *arg, char *err, size_t errlen)
{
    if (!r->method || !*r->method || !r->uri || !*r->uri) {
        snprintf(err, errlen, "method and uri are required");
        return NULL;
    }
#define VALUE_OK(v) (!(v) || ls_wire_header_value((v), strlen(v)))
    const char *bad = !ls_wire_token(r->method, strlen(r->method)) ? "method"
                    : !ls_wire_uri(r->uri, strlen(r->uri)) ? "uri"
                    : r->dst && !ls_wire_uri(r->dst, strlen(r->dst)) ? "dst"
                    : !VALUE_OK(r->from) ? "from" : !VALUE_OK(r->to) ? "to"
                    : !VALUE_OK(r->content_type) ? "content_type" : NULL;
#undef VALUE_OK
    if (bad) {
        snprintf(err, errlen, "%s may not contain spaces or control characters", bad);
        return NULL;
    }
    if (!strcasecmp(r->method, "ACK") || !strcasecmp(r->method, "CANCEL")) {
        snprintf(err, errlen, "%s cannot be sent as a new request", r->method);
        return NULL;
    }
    if (tm_active >= (unsigned long)tm_cfg.max_transactions) {
        tm_refused++;
        snprintf(err, errlen, "%lu transactions live (tm max_transactions)", tm_active);
        return NULL;
    }
    struct sip_msg *msg = build_request(r, err, errlen);
    if (!msg)
        return NULL;
    msg->mf_done = 1;
    msg->socket = r->socket;
    if ((r->dst && !(msg->du = strdup(r->dst))) ||
        (r->auth_user && tm_auth_set(msg, r->auth_user, r->auth_password ? r->auth_password : "", r->timeout_ms,
                                     err, errlen) != 0)) {
        if (r->dst && !msg->du)
            snprintf(err, errlen, "out of memory");
        sipmsg_unref(msg);
        return NULL;
    }
    struct tm_tx *tx = tm_tx_new(msg, NULL, 0);
    sipmsg_unref(msg);
    if (!tx) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    tx->done = done;
    tx->done_arg = arg;
    if (tm_relay(tx, NULL, r->timeout_ms, err, errlen) != 0) { /* to msg->du (dst) or the uri */
        tx->done = NULL;
        tm_tx_release(tx);
        return NULL;
    }
    tm_debug("%s %s sent as a UAC", r->method, r->uri);
    return (struct tm_uac *)tx;
}

void tm_request_cancel(struct tm_uac *h)
{
    struct tm_tx *tx = (struct tm_tx *)h;
    tx->done = NULL;
    tx->done_arg = NULL;
}

/* Called once the local request has its final outcome (again for later finals: ignored). */
void tm_uac_finish(struct tm_tx *tx, struct tm_branch *br)
{
    if (tx->status)
        return; /* reported already */
    tm_uac_fn done = tx->done;
    void *arg = tx->done_arg;
    tx->done = NULL;
    tx->status = br ? br->status : 500;
    /* linger to absorb retransmitted final replies (and ACK negative INVITE ones) */
    ls_timer_arm(&tx->wait_ev, tm_cfg.wait_timer);
    tm_tx_trim_later(tx);
    char reason[256];
    if (!done)
        return;
    if (!br)
        done(0, "no reply", NULL, arg);
    else if (br->local_reply && br->status != 408)
        done(0, br->why ? br->why : "", NULL, arg);
    else if (br->local_reply)
        done(408, "Request Timeout", NULL, arg);
    else
        done(br->status, sip_str_copy(sipmsg_reason(br->reply), reason, sizeof reason), br->reply, arg);
}

/* ---- Lua: tm.request{...} ---- */

/* headers: lower-case full names; repeated ones joined with ", " (the table is on top of L) */
static void add_header(void *arg, const char *name, struct sip_str value)
{
    lua_State *L = arg;
    char full[128];
    size_t i = 0;
    for (; name[i] && i + 1 < sizeof full; i++)
        full[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
    full[i] = '\0';
    if (lua_getfield(L, -1, full) == LUA_TSTRING) {
        lua_pushliteral(L, ", ");
        lua_pushlstring(L, value.s, value.len);
        lua_concat(L, 3);
    } else {
        lua_pop(L, 1);
        lua_pushlstring(L, value.s, value.len);
    }
    lua_setfield(L, -2, full);
}

static void push_reply_table(lua_State *L, int status, const char *reason, struct sip_msg *reply)
{
    lua_createtable(L, 0, 4);
    lua_pushinteger(L, status);
    lua_setfield(L, -2, "status");
    lua_pushstring(L, reason);
    lua_setfield(L, -2, "reason");
    lua_newtable(L);
    if (reply)
        sipmsg_header_each(reply, add_header, L);
    lua_setfield(L, -2, "headers");
    struct sip_str body = reply ? sipmsg_body(reply) : (struct sip_str){ "", 0 };
    lua_pushlstring(L, body.s ? body.s : "", body.len);
    lua_setfield(L, -2, "body");
}

static void uac_lua_done(int status, const char *reason, struct sip_msg *reply, void *arg)
{
    struct coro *c = arg;
    if (status == 0) {
        lua_pushnil(coro_L(c));
        lua_pushstring(coro_L(c), reason);
        coro_resume(c, NULL, 2);
        return;
    }
    push_reply_table(coro_L(c), status, reason, reply);
    coro_resume(c, NULL, 1);
}

static void uac_lua_cancel(struct coro *c, void *h)
{
    tm_request_cancel(h);
}

static const char *opt_string(lua_State *L, const char *field)
{
    int t = lua_getfield(L, 1, field);
    const char *v = NULL;
    if (t == LUA_TSTRING)
        v = lua_tostring(L, -1);
    else if (t != LUA_TNIL)
        luaL_error(L, "tm.request: '%s' must be a string", field);
    lua_pop(L, 1); /* the string stays referenced by the argument table */
    return v;
}

/* Headers given as {Name = value}, {"Name: value", ...} or a "Name: value\r\n..." string; the
 * result stays on the stack. */
static const char *headers_arg(lua_State *L)
{
    int t = lua_getfield(L, 1, "headers");
    if (t == LUA_TNIL) {
        lua_pop(L, 1);
        return NULL;
    }
    if (t == LUA_TSTRING)
        return lua_tostring(L, -1);
    if (t != LUA_TTABLE)
        luaL_error(L, "tm.request: 'headers' must be a table or a string");
    int tbl = lua_gettop(L);
    lua_pushliteral(L, "");
    int acc = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, tbl)) {
        const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
        const char *v = lua_tostring(L, -1);
        size_t vlen = 0;
        v = lua_tolstring(L, -1, &vlen);
        if (!v || !ls_wire_header_value(v, vlen) || (k && !ls_wire_header_name(k, lua_rawlen(L, -2))))
            luaL_error(L, "tm.request: bad header '%s'", k ? k : v ? v : "?");
        lua_pushvalue(L, acc);
        if (k)
            lua_pushfstring(L, "%s: %s\r\n", k, v);
        else
            lua_pushfstring(L, "%s\r\n", v);
        lua_concat(L, 2);
        lua_replace(L, acc);
        lua_pop(L, 1);
    }
    return lua_tostring(L, acc);
}

void tm_lua_auth_opt(lua_State *L, int idx, const char *fn, const char **user, const char **password)
{
    int t = lua_getfield(L, idx, "auth");
    if (t != LUA_TNIL) {
        if (t != LUA_TTABLE || lua_getfield(L, -1, "user") != LUA_TSTRING ||
            lua_getfield(L, -2, "password") != LUA_TSTRING)
            luaL_error(L, "%s: auth must be a table { user = \"...\", password = \"...\" }", fn);
        *user = lua_tostring(L, -2);     /* both stay referenced by the argument table */
        *password = lua_tostring(L, -1);
        lua_pop(L, 2);
    }
    lua_pop(L, 1);
}

int tm_lua_request(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    struct tm_uac_req r = { 0 };
    r.method = opt_string(L, "method");
    r.uri = opt_string(L, "uri");
    r.from = opt_string(L, "from");
    r.to = opt_string(L, "to");
    r.dst = opt_string(L, "dst");
    const char *sock = opt_string(L, "socket");
    char err[256];
    if (sock && !(r.socket = transport_listener_find(sock, err, sizeof err)))
        return luaL_error(L, "tm.request: socket: %s", err);
    luaL_argcheck(L, r.method && r.uri, 1, "method and uri are required");
    if (lua_getfield(L, 1, "body") == LUA_TSTRING)
        r.body = lua_tolstring(L, -1, &r.body_len);
    lua_pop(L, 1);
    if (lua_getfield(L, 1, "timeout") != LUA_TNIL) {
        if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) <= 0)
            return luaL_error(L, "tm.request: timeout must be a positive number of ms");
        r.timeout_ms = (long)lua_tointeger(L, -1);
    }
    lua_pop(L, 1);
    if (lua_getfield(L, 1, "content_type") == LUA_TSTRING)
        r.content_type = lua_tostring(L, -1);
    lua_pop(L, 1);
    tm_lua_auth_opt(L, 1, "tm.request", &r.auth_user, &r.auth_password);
    r.headers = headers_arg(L);
    struct coro *c = coro_check_wait(L, "tm.request");
    struct tm_uac *h = tm_request(&r, uac_lua_done, c, err, sizeof err);
    if (!h)
        return lsip_push_result(L, err);
    coro_wait(c, uac_lua_cancel, h);
    return lua_yield(L, 0);
}
