/* http.request{method=, url=, headers=, body=, timeout=, verify=}: an HTTP/1.1 client for routes.
 * Suspends the calling coroutine until the response (or an error) and returns
 * {status=, headers=, body=} (header names lower-cased, repeated ones joined with ", "), or
 * nil and a reason. http:// and https:// URLs (the server's certificate checked against
 * config.tls.ca or the system store, and its name, unless verify = false). Names resolve through the core's resolver
 * (transport_resolve), never blocking. Main loop only.
 *
 * Ownership: struct http_call lives from the call until the result is delivered or the
 * coroutine is cancelled; the evhttp connection frees itself once its request completes
 * (evhttp_connection_free_on_completion), and we free it ourselves only on timeout or cancel. */
#include "http/http.h"
#include <lunasip/coro.h>
#include <lunasip/loop.h>
#include <lunasip/wire.h>
#include <lunasip/transport.h>
#include "log.h"
#include <lunasip/loop.h>
#include "transport/tls.h"
#include <event2/bufferevent_ssl.h>
#include <openssl/ssl.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <sys/queue.h>
#include <event2/keyvalq_struct.h>
#include <ctype.h>
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HTTP_CLIENT_DEFAULT_TIMEOUT 30000       /* ms */
#define HTTP_CLIENT_MAX_RESPONSE (8 * 1024 * 1024) /* bytes of response body */

uint64_t http_client_requests;
uint64_t http_client_failures;

struct http_call {
    struct coro *coro;                /* the waiting coroutine; NULL once delivered or cancelled */
    struct evhttp_connection *evcon;  /* NULL until resolved, and once libevent owns its end */
    struct evhttp_request *req;       /* ours until handed to evcon */
    struct event *timer;              /* the overall timeout */
    enum evhttp_cmd_type cmd;
    int port;
    long timeout_ms;
    unsigned resolving : 1;           /* transport_resolve has not called back yet */
    unsigned orphan : 1;              /* released while resolving: the resolve callback frees it */
    unsigned in_setup : 1;            /* inside http.request itself: results are returned, not resumed */
    unsigned tls : 1;                 /* https:// */
    unsigned verify : 1;              /* https: check the server's certificate */
    int nres;                         /* results pushed while in_setup */
    char host[256];
    char *target;                     /* path and query */
    char *url;
};

/* Free everything but the struct when a resolution is still pending (it frees the rest). */
static void call_release(struct http_call *call)
{
    if (call->timer)
        event_free(call->timer);
    call->timer = NULL;
    if (call->evcon)
        evhttp_connection_free(call->evcon); /* frees its pending request without calling back */
    else if (call->req)
        evhttp_request_free(call->req);
    call->evcon = NULL;
    call->req = NULL;
    call->coro = NULL;
    if (call->resolving) {
        call->orphan = 1;
        return;
    }
    free(call->target);
    free(call->url);
    free(call);
}

/* nres results are on the coroutine's stack: return them from http.request or resume. */
static void call_finish(struct http_call *call, int nres)
{
    if (call->in_setup) {
        call->nres = nres;
        return;
    }
    struct coro *c = call->coro;
    call_release(call);
    coro_resume(c, NULL, nres);
}

static void call_fail(struct http_call *call, const char *why)
{
    lua_State *L = coro_L(call->coro);
    http_client_failures++;
    lua_pushnil(L);
    lua_pushfstring(L, "%s: %s", call->url, why);
    call_finish(call, 2);
}

static void call_cancel(struct coro *c, void *arg)
{
    call_release(arg);
}

static void timeout_fired(evutil_socket_t fd, short what, void *arg)
{
    struct http_call *call = arg;
    char why[64];
    snprintf(why, sizeof why, "timeout after %ld ms", call->timeout_ms);
    call_fail(call, why);
}

static void push_response(lua_State *L, struct evhttp_request *req)
{
    lua_createtable(L, 0, 3);
    lua_pushinteger(L, evhttp_request_get_response_code(req));
    lua_setfield(L, -2, "status");
    lua_newtable(L);
    struct evkeyval *kv;
    TAILQ_FOREACH(kv, evhttp_request_get_input_headers(req), next) {
        char name[128];
        size_t i = 0;
        for (; kv->key[i] && i + 1 < sizeof name; i++)
            name[i] = (char)tolower((unsigned char)kv->key[i]);
        name[i] = '\0';
        if (lua_getfield(L, -1, name) == LUA_TSTRING) {
            lua_pushfstring(L, "%s, %s", lua_tostring(L, -1), kv->value);
            lua_remove(L, -2);
        } else {
            lua_pop(L, 1);
            lua_pushstring(L, kv->value);
        }
        lua_setfield(L, -2, name);
    }
    lua_setfield(L, -2, "headers");
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    lua_pushlstring(L, len ? (const char *)evbuffer_pullup(in, -1) : "", len);
    lua_setfield(L, -2, "body");
}

static void evcon_free_later(evutil_socket_t fd, short what, void *evcon)
{
    evhttp_connection_free(evcon);
}

/* The response arrived, or the request failed. libevent frees req after this returns, and the
 * connection too (free_on_completion) after a response or when it calls back with req NULL;
 * a connection that could not be made (req set, status 0) is left to us, freed from the loop
 * since we are inside its callback. Never touch req or the connection afterwards. */
static void response_cb(struct evhttp_request *req, void *arg)
{
    struct http_call *call = arg;
    if (req && evhttp_request_get_response_code(req) == 0 && call->evcon) {
        static const struct timeval now = { 0, 0 };
        event_base_once(server_base(), -1, EV_TIMEOUT, evcon_free_later, call->evcon, &now);
    }
    char why[512] = "connection failed or closed before a response";
    if (call->tls && call->evcon && (!req || evhttp_request_get_response_code(req) == 0)) {
        char tls[400];
        struct bufferevent *bev = evhttp_connection_get_bufferevent(call->evcon);
        SSL *ssl = bev ? bufferevent_openssl_get_ssl(bev) : NULL;
        if (ssl && !SSL_is_init_finished(ssl))
            snprintf(why, sizeof why, "TLS handshake failed: %s", tls_error(bev, tls, sizeof tls));
    }
    call->evcon = NULL;
    call->req = NULL;
    if (!call->coro)
        return;
    if (!req || evhttp_request_get_response_code(req) == 0) {
        call_fail(call, why);
        return;
    }
    push_response(coro_L(call->coro), req);
    call_finish(call, 1);
}

static void resolved(int err, const struct sockaddr_storage *sa, socklen_t salen, void *arg)
{
    struct http_call *call = arg;
    call->resolving = 0;
    if (call->orphan) {
        call_release(call);
        return;
    }
    if (err) {
        call_fail(call, "cannot resolve the host");
        return;
    }
    char ip[64];
    int port;
    addr_ip_port(sa, ip, sizeof ip, &port);
    if (call->tls) {
        SSL *ssl = tls_client_ssl(tls_client_ctx(call->verify), call->host, sa);
        struct bufferevent *bev = ssl ? bufferevent_openssl_socket_new(server_base(), -1, ssl,
                                                                       BUFFEREVENT_SSL_CONNECTING,
                                                                       BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS)
                                      : NULL;
        if (!bev) {
            SSL_free(ssl);
            call_fail(call, "cannot create a TLS session");
            return;
        }
        bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
        call->evcon = evhttp_connection_base_bufferevent_new(server_base(), NULL, bev, ip, (ev_uint16_t)call->port);
        if (!call->evcon)
            bufferevent_free(bev);
    } else {
        call->evcon = evhttp_connection_base_new(server_base(), NULL, ip, (ev_uint16_t)call->port);
    }
    if (!call->evcon) {
        call_fail(call, "cannot create a connection");
        return;
    }
    long lt = call->timeout_ms + 1000; /* ours fires first and says "timeout" */
    struct timeval tv = ls_tv_ms(lt);
    evhttp_connection_set_timeout_tv(call->evcon, &tv);
    evhttp_connection_set_max_body_size(call->evcon, HTTP_CLIENT_MAX_RESPONSE);
    evhttp_connection_free_on_completion(call->evcon);
    struct evhttp_request *req = call->req;
    call->req = NULL; /* the connection owns it now */
    if (evhttp_make_request(call->evcon, req, call->cmd, call->target) != 0) {
        call_fail(call, "cannot send the request");
        return;
    }
    http_client_requests++;
}

static enum evhttp_cmd_type method_cmd(lua_State *L, const char *m)
{
    static const struct { const char *name; enum evhttp_cmd_type cmd; } map[] = {
        { "GET", EVHTTP_REQ_GET },       { "POST", EVHTTP_REQ_POST },   { "PUT", EVHTTP_REQ_PUT },
        { "DELETE", EVHTTP_REQ_DELETE }, { "PATCH", EVHTTP_REQ_PATCH }, { "HEAD", EVHTTP_REQ_HEAD },
        { "OPTIONS", EVHTTP_REQ_OPTIONS },
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (!strcasecmp(m, map[i].name))
            return map[i].cmd;
    luaL_error(L, "http.request: unsupported method '%s'", m);
    return EVHTTP_REQ_GET;
}

static const char *opt_field(lua_State *L, const char *key, int type, const char *what)
{
    int t = lua_getfield(L, 1, key);
    lua_pop(L, 1);
    if (t != LUA_TNIL && t != type)
        luaL_error(L, "http.request: %s must be %s", key, what);
    return t == LUA_TNIL ? NULL : key;
}

static int http_request(lua_State *L)
{
    /* 1. arguments */
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_getfield(L, 1, "url");
    const char *url = lua_tostring(L, -1);
    if (!url || lua_type(L, -1) != LUA_TSTRING)
        return luaL_error(L, "http.request: url must be a string");
    lua_pop(L, 1);
    const char *method = "GET";
    if (opt_field(L, "method", LUA_TSTRING, "a string")) {
        lua_getfield(L, 1, "method");
        method = lua_tostring(L, -1);
        lua_pop(L, 1); /* still referenced by the argument table */
    }
    enum evhttp_cmd_type cmd = method_cmd(L, method);
    lua_Integer timeout = HTTP_CLIENT_DEFAULT_TIMEOUT;
    if (opt_field(L, "timeout", LUA_TNUMBER, "a number of ms")) {
        lua_getfield(L, 1, "timeout");
        timeout = lua_tointeger(L, -1);
        lua_pop(L, 1);
        if (timeout <= 0)
            return luaL_error(L, "http.request: timeout must be a positive number of ms");
    }
    opt_field(L, "headers", LUA_TTABLE, "a table {Name = value}");
    opt_field(L, "body", LUA_TSTRING, "a string");
    int verify = 1;
    if (opt_field(L, "verify", LUA_TBOOLEAN, "true or false")) {
        lua_getfield(L, 1, "verify");
        verify = lua_toboolean(L, -1);
        lua_pop(L, 1);
    }
    struct evhttp_uri *uri = evhttp_uri_parse(url);
    const char *scheme = uri ? evhttp_uri_get_scheme(uri) : NULL;
    const char *host = uri ? evhttp_uri_get_host(uri) : NULL;
    int tls = scheme && strcasecmp(scheme, "https") == 0;
    if (!uri || !scheme || (!tls && strcasecmp(scheme, "http") != 0) || !host || !*host || strlen(host) >= 256) {
        if (uri)
            evhttp_uri_free(uri);
        return luaL_error(L, "http.request: '%s' is not an http:// or https:// URL", url);
    }
    /* 2. context */
    char why[256];
    struct coro *c = coro_can_wait(L, "http.request", why, sizeof why);
    if (!c) {
        evhttp_uri_free(uri);
        return luaL_error(L, "%s", why);
    }
    /* 3. build the request (headers checked before anything is allocated that a Lua error would leak) */
    if (lua_getfield(L, 1, "headers") == LUA_TTABLE) {
        lua_pushnil(L);
        while (lua_next(L, -2)) {
            size_t nlen, vlen;
            const char *name = lua_type(L, -2) == LUA_TSTRING ? lua_tolstring(L, -2, &nlen) : NULL;
            const char *value = lua_isstring(L, -1) ? lua_tolstring(L, -1, &vlen) : NULL;
            if (!name || !value || !ls_wire_header_name(name, nlen) || !ls_wire_header_value(value, vlen)) {
                evhttp_uri_free(uri);
                return luaL_error(L, "http.request: bad header (names and values are strings without CR/LF)");
            }
            lua_pop(L, 1);
        }
    }
    lua_pop(L, 1);
    struct http_call *call = calloc(1, sizeof *call);
    if (!call)
        abort();
    call->cmd = cmd;
    call->timeout_ms = (long)timeout;
    call->tls = (unsigned)tls;
    call->verify = (unsigned)verify;
    call->port = evhttp_uri_get_port(uri) > 0 ? evhttp_uri_get_port(uri) : tls ? 443 : 80;
    snprintf(call->host, sizeof call->host, "%s", host);
    call->url = strdup(url);
    const char *path = evhttp_uri_get_path(uri), *query = evhttp_uri_get_query(uri);
    size_t tlen = strlen(path ? path : "") + strlen(query ? query : "") + 3;
    call->target = malloc(tlen);
    snprintf(call->target, tlen, "%s%s%s", path && *path ? path : "/", query ? "?" : "", query ? query : "");
    evhttp_uri_free(uri);
    call->req = evhttp_request_new(response_cb, call);
    struct evkeyvalq *out = evhttp_request_get_output_headers(call->req);
    char hostport[300];
    snprintf(hostport, sizeof hostport, strchr(call->host, ':') ? "[%s]:%d" : "%s:%d", call->host, call->port);
    evhttp_add_header(out, "Host", hostport);
    if (lua_getfield(L, 1, "headers") == LUA_TTABLE) {
        lua_pushnil(L);
        while (lua_next(L, -2)) {
            evhttp_remove_header(out, lua_tostring(L, -2));
            evhttp_add_header(out, lua_tostring(L, -2), lua_tostring(L, -1));
            lua_pop(L, 1);
        }
    }
    lua_pop(L, 1);
    if (!evhttp_find_header(out, "Connection"))
        evhttp_add_header(out, "Connection", "close");
    size_t blen = 0;
    lua_getfield(L, 1, "body");
    const char *body = lua_tolstring(L, -1, &blen);
    if (body && blen) {
        evbuffer_add(evhttp_request_get_output_buffer(call->req), body, blen);
        if (!evhttp_find_header(out, "Content-Length")) {
            char cl[32];
            snprintf(cl, sizeof cl, "%zu", blen);
            evhttp_add_header(out, "Content-Length", cl);
        }
    }
    lua_pop(L, 1);
    /* 4. arm: timer, resolution, then the request; a failure right away is returned at once */
    call->coro = c;
    call->timer = evtimer_new(server_base(), timeout_fired, call);
    ls_timer_arm(call->timer, (long)timeout);
    call->in_setup = 1;
    call->resolving = 1;
    transport_resolve(call->host, call->port, resolved, call);
    call->in_setup = 0;
    if (call->nres) {
        int n = call->nres;
        call_release(call);
        return n;
    }
    coro_wait(c, call_cancel, call);
    /* 5. suspend */
    return lua_yield(L, 0);
}

void http_client_lua_open(lua_State *L)
{
    static const luaL_Reg http[] = { { "request", http_request }, { NULL, NULL } };
    luaL_newlib(L, http);
    lua_setglobal(L, "http");
}
