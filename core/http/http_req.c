/* on_http routes: each HTTP request the built-in API does not serve runs the script's
 * on_http(req) in its own coroutine (CORO_HTTP). req is an object built on msg: behind it is
 * a complete SIP request (method = the HTTP method, the HTTP headers copied in, From/To/
 * Call-ID/CSeq/Via made up when the client sent none) so that everything written for SIP
 * messages works on it, and its own fields (path, query, body, reply) serve the HTTP side.
 *
 * Lifetime: struct http_req is refcounted: the server side holds one reference until the
 * route ends (or is cancelled because the client went away), each Lua userdata one more.
 * hr->req is the server's request while it can still be answered, NULL after req:reply, after
 * the automatic 500, or once the client closed the connection. Main loop only. */
#include "http/http.h"
#include <lunasip/coro.h>
#include <lunasip/lua.h>
#include <lunasip/msg.h>
#include <lunasip/wire.h>
#include <lunasip/transport.h>
#include "log.h"
#include "lua/script.h"
#include <lunasip/loop.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <event2/http.h>
#include <sys/queue.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

uint64_t http_route_runs;

struct http_header {
    const char *name, *value; /* in the request's own block */
};

struct http_req {
    int refs;                       /* server side + Lua userdata */
    struct http_request *req;       /* NULL once answered or the client went away */
    struct sip_msg *msg;            /* the SIP-shaped twin, built on first use (hr_twin), or NULL */
    struct coro *coro;              /* the route while it runs */
    char method[16];
    const char *path;               /* decoded */
    const char *query;              /* raw query string, or NULL */
    const char *body;               /* NUL-terminated */
    size_t body_len;
    int nhdrs;
    char src_ip[64];                /* the client, as noted at accept (numeric) */
    int src_port;
    struct timespec arrived;        /* CLOCK_MONOTONIC, for req.elapsed_ms */
    unsigned answered : 1;          /* a reply went out (req:reply or the automatic 500) */
    unsigned twin_failed : 1;       /* the twin could not be built (logged once) */
    LIST_ENTRY(http_req) running;   /* routes still running (for http_routes_cancel_all);
                                     * le_prev NULL when not in the list */
    struct http_header hdrs[];      /* the HTTP request headers as received; then, in the same
                                     * allocation, their text, the path, the query and the body */
};

/* The req userdata: the msg pointer first, so that lmsg_check works on it (it asks
 * http_req_twin() for it: NULL until the twin is built). */
struct req_ud {
    struct sip_msg *msg;
    struct http_req *hr;
};

static LIST_HEAD(, http_req) running = LIST_HEAD_INITIALIZER(running); /* requests whose route runs */
unsigned http_routes_running;    /* length of that list */

static void running_add(struct http_req *hr)
{
    http_routes_running++;
    LIST_INSERT_HEAD(&running, hr, running);
}

static void running_remove(struct http_req *hr)
{
    if (!hr->running.le_prev)
        return;
    http_routes_running--;
    LIST_REMOVE(hr, running);
    hr->running.le_prev = NULL;
}

static void hr_unref(struct http_req *hr)
{
    if (!hr || --hr->refs > 0)
        return;
    if (hr->msg) {
        hr->msg->http = NULL;
        sipmsg_unref(hr->msg);
    }
    free(hr);
}

/* ---- the SIP-shaped twin ---- */

/* 16 hex digits of randomness (libevent's ChaCha-based RNG). */
static void random_hex(char *out)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char b[8];
    evutil_secure_rng_get_bytes(b, sizeof b);
    for (int i = 0; i < 8; i++) {
        out[2 * i] = hex[b[i] >> 4];
        out[2 * i + 1] = hex[b[i] & 15];
    }
    out[16] = '\0';
}

static void host_port(const struct sockaddr_storage *sa, char *out, size_t len, char *ip, size_t iplen, int *port)
{
    addr_ip_port(sa, ip, iplen, port);
    snprintf(out, len, sa->ss_family == AF_INET6 ? "[%s]:%d" : "%s:%d", ip, *port);
}

/* The client's address from the numeric text noted at accept. Returns its length, 0
 * when it does not parse. */
static socklen_t peer_addr(const struct http_req *hr, struct sockaddr_storage *sa)
{
    struct sockaddr_in *in = (struct sockaddr_in *)sa;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)sa;
    memset(sa, 0, sizeof *sa);
    if (inet_pton(AF_INET, hr->src_ip, &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
        in->sin_port = htons((uint16_t)hr->src_port);
        return sizeof *in;
    }
    if (inet_pton(AF_INET6, hr->src_ip, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)hr->src_port);
        return sizeof *in6;
    }
    return 0;
}

/* Our side of the client's connection while it is open, else the HTTP listener's address. */
static int local_addr(const struct http_req *hr, struct sockaddr_storage *sa)
{
    if (hr->req && http_request_local(hr->req, sa) == 0)
        return 0;
    return http_bound_addr(sa);
}

/* Headers the twin takes from the HTTP request when they parse: everything but those that
 * describe the HTTP body or connection. */
static int skip_header(const char *name)
{
    static const char *skip[] = { "Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive" };
    for (size_t i = 0; i < sizeof skip / sizeof skip[0]; i++)
        if (!strcasecmp(name, skip[i]))
            return 1;
    return 0;
}

static struct sip_msg *twin_build(struct http_req *hr)
{
    char srv[96], cli[96], ip[64], cip[64], buf[512], rnd[17];
    int port, cport;
    const char *why;
    struct sockaddr_storage local, peer;
    socklen_t peerlen = peer_addr(hr, &peer);
    if (!peerlen || local_addr(hr, &local) != 0)
        return NULL;
    host_port(&local, srv, sizeof srv, ip, sizeof ip, &port);
    host_port(&peer, cli, sizeof cli, cip, sizeof cip, &cport);
    int n = snprintf(buf, sizeof buf, "%s sip:%s SIP/2.0\r\n\r\n", hr->method, srv);
    struct sip_msg *msg = sipmsg_parse(buf, (size_t)n, NULL, &why);
    if (!msg)
        return NULL;
    for (int i = 0; i < hr->nhdrs; i++)
        if (!skip_header(hr->hdrs[i].name))
            sipmsg_header_append(msg, hr->hdrs[i].name, hr->hdrs[i].value); /* kept only when it parses */
    if (!sipmsg_header(msg, "Via", 0).s) {
        random_hex(rnd);
        snprintf(buf, sizeof buf, "SIP/2.0/TCP %s;branch=z9hG4bKh%s;rport", cli, rnd);
        sipmsg_header_append(msg, "Via", buf);
    }
    if (!sipmsg_header(msg, "From", 0).s) {
        snprintf(buf, sizeof buf, "<sip:%s>", cli);
        sipmsg_header_append(msg, "From", buf);
    }
    struct sip_str from = sipmsg_header(msg, "From", 0);
    if (from.s && !sipmsg_from_tag(msg).s && from.len < sizeof buf - 40) {
        random_hex(rnd);
        snprintf(buf, sizeof buf, "%.*s;tag=%s", (int)from.len, from.s, rnd);
        sipmsg_header_replace_value(msg, "From", 0, buf);
    }
    if (!sipmsg_header(msg, "To", 0).s) {
        snprintf(buf, sizeof buf, "<sip:%s>", srv);
        sipmsg_header_append(msg, "To", buf);
    }
    if (!sipmsg_call_id(msg).s) {
        static unsigned long seq;
        random_hex(rnd);
        snprintf(buf, sizeof buf, "%s-%lx@%s", rnd, ++seq, ip);
        sipmsg_header_append(msg, "Call-ID", buf);
    }
    if (sipmsg_cseq(msg, NULL, NULL) != 0) {
        sipmsg_header_remove(msg, "CSeq");
        snprintf(buf, sizeof buf, "1 %s", hr->method);
        sipmsg_header_append(msg, "CSeq", buf);
    }
    if (!sipmsg_from_uri(msg).s || !sipmsg_to_uri(msg).s || !sipmsg_call_id(msg).s ||
        sipmsg_cseq(msg, NULL, NULL) != 0 || !sipmsg_header(msg, "Via", 0).s) {
        sipmsg_unref(msg);
        return NULL;
    }
    msg->src.addr.proto = PROTO_TCP;
    memcpy(&msg->src.addr.sa, &peer, peerlen);
    msg->src.addr.salen = peerlen;
    msg->http = hr;
    return msg;
}

/* The SIP-shaped twin of hr, built on first use (a route that reads no SIP field never pays
 * for it). NULL when it cannot be made (logged once). */
static struct sip_msg *hr_twin(struct http_req *hr)
{
    if (!hr->msg && !hr->twin_failed) {
        hr->msg = twin_build(hr);
        if (!hr->msg) {
            hr->twin_failed = 1;
            log_warn("http: cannot build the SIP view of %s %s", hr->method, hr->path);
        } else {
            log_debug("http: SIP view of %s %s built", hr->method, hr->path);
        }
    }
    return hr->msg;
}

/* lmsg_check() on a req userdata (lmsg_req_twin): its twin, built now if need be; raises
 * a Lua error when it cannot be made. */
static struct sip_msg *http_req_twin(lua_State *L, void *ud)
{
    struct req_ud *u = ud;
    if (!u->hr)
        return luaL_error(L, "req: this request object is gone"), NULL;
    if (!u->msg && !(u->msg = hr_twin(u->hr)))
        luaL_error(L, "req: cannot make a SIP view of this request");
    return u->msg;
}

/* Copy what a route may read after the request's bytes are gone (headers, path, query, body)
 * into the same allocation as hr: one allocation per request. */
static struct http_req *hr_new(struct http_request *req)
{
    const char *name, *value;
    size_t plen = strlen(req->path) + 1, qlen = req->query ? strlen(req->query) + 1 : 0, text = 0;
    int nhdrs = 0;
    for (; http_request_header_at(req, nhdrs, &name, &value); nhdrs++)
        text += strlen(name) + strlen(value) + 2;
    size_t hsize = (size_t)nhdrs * sizeof(struct http_header);
    struct http_req *hr = calloc(1, sizeof *hr + hsize + text + plen + qlen + req->body_len + 1);
    if (!hr)
        abort();
    hr->refs = 1;
    hr->req = req;
    clock_gettime(CLOCK_MONOTONIC, &hr->arrived);
    snprintf(hr->src_ip, sizeof hr->src_ip, "%s", req->src_ip);
    hr->src_port = req->src_port;
    snprintf(hr->method, sizeof hr->method, "%s", req->method);
    char *p = (char *)(hr->hdrs + nhdrs);
    for (; http_request_header_at(req, hr->nhdrs, &name, &value); hr->nhdrs++) {
        size_t kl = strlen(name) + 1, vl = strlen(value) + 1;
        hr->hdrs[hr->nhdrs].name = memcpy(p, name, kl);
        hr->hdrs[hr->nhdrs].value = memcpy(p + kl, value, vl);
        p += kl + vl;
    }
    hr->path = memcpy(p, req->path, plen);
    p += plen;
    if (req->query)
        hr->query = memcpy(p, req->query, qlen);
    p += qlen;
    if (req->body_len)
        memcpy(p, req->body, req->body_len);
    hr->body = p;
    hr->body_len = req->body_len;
    return hr;
}

/* ---- answering ---- */

/* Take the request to answer from hr: from here nothing may reach hr through it. */
static struct http_request *hr_take(struct http_req *hr)
{
    struct http_request *req = hr->req;
    req->on_close = NULL;
    hr->req = NULL;
    hr->answered = 1;
    return req;
}

static void hr_send_error(struct http_req *hr, int status, const char *msg)
{
    http_send_error(hr_take(hr), status, "%s", msg);
}

/* The route ended (done or error): a request it did not answer gets 500. */
static void route_done(struct coro *c, enum coro_status st, const char *err)
{
    struct http_req *hr = coro_data(c);
    hr->coro = NULL;
    running_remove(hr);
    if (hr->req && !hr->answered)
        hr_send_error(hr, 500, st == CORO_ERROR ? "the on_http route failed (see the server log)"
                                                : "the on_http route ended without replying");
    hr_unref(hr);
}

/* The client's connection is going away while the route still waits (also at exit, from
 * http_stop): the route is cancelled. */
static void client_closed(struct http_request *req, void *arg)
{
    struct http_req *hr = arg;
    hr->req = NULL;
    log_debug("http: client of %s %s went away before the reply: route cancelled", hr->method, hr->path);
    struct coro *c = hr->coro;
    hr->coro = NULL;
    if (c) {
        running_remove(hr);
        coro_cancel(c); /* done() does not run: drop its reference here */
    }
    hr_unref(hr);
}

void http_routes_cancel_all(void)
{
    while (!LIST_EMPTY(&running)) {
        struct http_req *hr = LIST_FIRST(&running);
        struct coro *c = hr->coro;
        running_remove(hr);
        hr->coro = NULL;
        coro_cancel(c);
        hr_unref(hr);
    }
}

int http_route_run(struct http_request *req)
{
    lua_State *L = script_current ? script_current->L : NULL;
    if (!L || !script_route(L, "on_http"))
        return 0;
    lua_pop(L, 1);
    struct http_req *hr = hr_new(req);
    struct coro *c = coro_new(script_current, CORO_HTTP, NULL);
    L = coro_L(c);
    script_route(L, "on_http");
    struct req_ud *u = lua_newuserdatauv(L, sizeof *u, 0);
    u->msg = NULL; /* the twin: built by http_req_twin() when a SIP field is read */
    u->hr = hr;
    hr->refs++;
    luaL_setmetatable(L, LMSG_REQ_MT);
    coro_set_done(c, route_done, hr);
    hr->coro = c;
    running_add(hr);
    http_route_runs++;
    req->on_close = client_closed;
    req->close_arg = hr;
    hr->refs++; /* held across the first run */
    coro_resume(c, NULL, 1);
    hr_unref(hr);
    return 1;
}

/* ---- the req object ---- */

static struct http_req *check_req(lua_State *L)
{
    return ((struct req_ud *)luaL_checkudata(L, 1, LMSG_REQ_MT))->hr;
}

static int req_gc(lua_State *L)
{
    struct req_ud *u = luaL_checkudata(L, 1, LMSG_REQ_MT);
    hr_unref(u->hr);
    u->hr = NULL;
    u->msg = NULL;
    return 0;
}

static const char *check_token(lua_State *L, int idx, const char *what)
{
    size_t len;
    const char *s = luaL_checklstring(L, idx, &len);
    if (!ls_wire_header_name(s, len))
        luaL_error(L, "req:reply(): bad header %s '%s'", what, s);
    return s;
}

/* req:reply(status [, body [, headers]]): true, or nil and a reason when the client is gone. */
static int req_reply(lua_State *L)
{
    struct http_req *hr = check_req(L);
    lua_Integer status = luaL_checkinteger(L, 2);
    size_t blen = 0;
    const char *body = luaL_optlstring(L, 3, NULL, &blen);
    luaL_argcheck(L, status >= 100 && status <= 599, 2, "HTTP status must be 100-599");
    if (!lua_isnoneornil(L, 4)) {
        luaL_checktype(L, 4, LUA_TTABLE);
        lua_pushnil(L);
        while (lua_next(L, 4)) { /* check everything before anything is added */
            check_token(L, -2, "name");
            size_t vlen;
            const char *v = luaL_checklstring(L, -1, &vlen);
            if (!ls_wire_header_value(v, vlen))
                return luaL_error(L, "req:reply(): header values may not contain CR or LF");
            lua_pop(L, 1);
        }
    }
    if (hr->answered)
        return luaL_error(L, "req:reply(): this request was already answered");
    if (!hr->req)
        return lsip_push_result(L, "the client went away");
    struct http_request *req = hr_take(hr);
    http_reply_start(req, (int)status);
    if (!lua_isnoneornil(L, 4)) {
        lua_pushnil(L);
        while (lua_next(L, 4)) {
            http_reply_header(req, lua_tostring(L, -2), lua_tostring(L, -1));
            lua_pop(L, 1);
        }
    }
    http_reply_end(req, blen ? "text/plain; charset=utf-8" : NULL, body, blen);
    lua_pushboolean(L, 1);
    return 1;
}

/* req:header(name): the SIP view first (compact forms, folding), then the raw HTTP header
 * (HTTP headers that are not valid SIP, e.g. Authorization: Bearer, live only there). */
static int req_header(lua_State *L)
{
    struct http_req *hr = check_req(L);
    const char *name = luaL_checkstring(L, 2);
    struct sip_msg *twin = hr_twin(hr);
    struct sip_str v = twin ? sipmsg_header(twin, name, 0) : (struct sip_str){ 0 };
    if (v.s) {
        lua_pushlstring(L, v.s, v.len);
        return 1;
    }
    for (int i = 0; i < hr->nhdrs; i++)
        if (!strcasecmp(hr->hdrs[i].name, name))
            return lua_pushstring(L, hr->hdrs[i].value), 1;
    lua_pushnil(L);
    return 1;
}

static int req_headers(lua_State *L)
{
    struct http_req *hr = check_req(L);
    const char *name = luaL_checkstring(L, 2);
    struct sip_hdr_iter it;
    struct sip_str v;
    int n = 0;
    lua_newtable(L);
    struct sip_msg *twin = hr_twin(hr);
    if (twin)
        sipmsg_iter_init(&it, twin, name);
    while (twin && sipmsg_iter_next(&it, &v)) {
        lua_pushlstring(L, v.s, v.len);
        lua_rawseti(L, -2, ++n);
    }
    for (int i = 0; n == 0 && i < hr->nhdrs; i++)
        if (!strcasecmp(hr->hdrs[i].name, name)) {
            lua_pushstring(L, hr->hdrs[i].value);
            lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
        }
    return 1;
}

static void push_query(lua_State *L, const char *query)
{
    struct evkeyvalq kv;
    struct evkeyval *e;
    lua_newtable(L);
    if (!query || evhttp_parse_query_str(query, &kv) != 0)
        return;
    TAILQ_FOREACH(e, &kv, next) {
        if (lua_getfield(L, -1, e->key) == LUA_TNIL) { /* the first value of a repeated key wins */
            lua_pushstring(L, e->value);
            lua_setfield(L, -3, e->key);
        }
        lua_pop(L, 1);
    }
    evhttp_clear_headers(&kv);
}

static int req_index(lua_State *L)
{
    struct http_req *hr = check_req(L);
    const char *k = luaL_checkstring(L, 2);
    if (luaL_getmetafield(L, 1, "methods") == LUA_TTABLE && lua_getfield(L, -1, k) != LUA_TNIL)
        return 1;
    if (!strcmp(k, "method"))
        lua_pushstring(L, hr->method);
    else if (!strcmp(k, "path"))
        lua_pushstring(L, hr->path);
    else if (!strcmp(k, "query"))
        push_query(L, hr->query);
    else if (!strcmp(k, "body"))
        lua_pushlstring(L, hr->body, hr->body_len);
    else if (!strcmp(k, "src_ip"))
        lua_pushstring(L, hr->src_ip);
    else if (!strcmp(k, "src_port"))
        lua_pushinteger(L, hr->src_port);
    else if (!strcmp(k, "elapsed_ms")) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        double ms = (double)(now.tv_sec - hr->arrived.tv_sec) * 1e3 + (double)(now.tv_nsec - hr->arrived.tv_nsec) / 1e6;
        lua_pushnumber(L, (lua_Number)((long long)(ms * 1000 + 0.5)) / 1000);
    } else {
        lua_settop(L, 2);
        return lmsg_index(L);
    }
    return 1;
}

static int req_tostring(lua_State *L)
{
    struct http_req *hr = check_req(L);
    lua_pushfstring(L, "%s %s", hr->method, hr->path);
    return 1;
}

void http_req_lua_open(lua_State *L)
{
    static const luaL_Reg methods[] = {
        { "reply", req_reply }, { "header", req_header }, { "headers", req_headers }, { NULL, NULL },
    };
    static const luaL_Reg meta[] = {
        { "__index", req_index }, { "__newindex", lmsg_newindex },
        { "__gc", req_gc },       { "__tostring", req_tostring },
        { NULL, NULL },
    };
    static const char *const fields[] = { "method", "path", "query", "body", "src_ip", "src_port", "elapsed_ms", NULL };
    lmsg_req_twin = http_req_twin;
    luaL_newmetatable(L, LMSG_REQ_MT);
    luaL_setfuncs(L, meta, 0);
    luaL_newlib(L, methods);
    lua_setfield(L, -2, "methods");
    lmsg_set_fields(L, fields);
    lua_pop(L, 1);
    /* json = require "cjson.safe" (decode returns nil, err instead of raising) */
    lua_getglobal(L, "require");
    lua_pushstring(L, "cjson.safe");
    if (lua_pcall(L, 1, 1, 0) == LUA_OK) {
        lua_setglobal(L, "json");
    } else {
        log_debug("no json global: %s (install lua-cjson)", lua_tostring(L, -1));
        lua_pop(L, 1);
    }
}
