/* The HTTP server: one evhttp on the main loop. evhttp path callbacks are exact matches, so
 * everything goes through one generic callback that routes by path prefix and method:
 *   /                         built in (GET, HEAD): the status page (status.html), no token
 *   /health                   built in, never needs the token
 *   /metrics                  built in, Prometheus text (metrics.c)
 *   /api/units, /api/reload   built in
 *   /api/...                  routes registered by units (ls_http_route), else 404
 *   anything else             the script's on_http (http_req.c), else 404
 * /api/... and /metrics need the Bearer token when config.http.token is set. Errors are JSON
 * {"error": "..."}. */
#include "http/http.h"
#include <lunasip/coro.h>
#include <lunasip/http.h>
#include "log.h"
#include "lua/script.h"
#include "transport/hostport.h"
#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/ssl.h>
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

uint64_t http_requests[HM__COUNT];
uint64_t http_responses[6];

static struct evhttp *srv;
static struct evhttp_bound_socket *bound;
static char *token;         /* config.http.token, NULL: no auth */
static long max_body = -1;  /* config.http.max_body, < 0: the default */
static time_t started;      /* for /health */

struct http_route {
    char *method;           /* NULL: any */
    char *prefix;
    size_t plen;
    ls_http_handler fn;
    void *arg;
    int builtin;            /* one of ours: no unit may replace or remove it */
};
static struct http_route *routes;
static size_t nroutes;

static const char *builtin_paths[] = { "/health", "/metrics", "/api/units", "/api/reload" };

/* ---- small helpers ---- */

static const char *method_names[HM__COUNT] = { "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "OTHER" };

const char *http_method_name(enum http_method_stat m) { return method_names[m]; }

const char *http_req_method(struct evhttp_request *req, enum http_method_stat *slot)
{
    enum http_method_stat m;
    switch (evhttp_request_get_command(req)) {
    case EVHTTP_REQ_GET: m = HM_GET; break;
    case EVHTTP_REQ_POST: m = HM_POST; break;
    case EVHTTP_REQ_PUT: m = HM_PUT; break;
    case EVHTTP_REQ_DELETE: m = HM_DELETE; break;
    case EVHTTP_REQ_PATCH: m = HM_PATCH; break;
    case EVHTTP_REQ_HEAD: m = HM_HEAD; break;
    case EVHTTP_REQ_OPTIONS: m = HM_OPTIONS; break;
    default: m = HM_OTHER; break;
    }
    if (slot)
        *slot = m;
    return m == HM_OTHER ? "OTHER" : method_names[m];
}

void http_count_response(int status)
{
    if (status >= 100 && status < 600)
        http_responses[status / 100]++;
}

struct evbuffer *http_json_body(struct evhttp_request *req, json_t *body)
{
    struct evbuffer *out = evbuffer_new();
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    evbuffer_add_printf(out, "%s\n", text ? text : "{}");
    free(text);
    json_decref(body);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
    return out;
}

void http_send_json(struct evhttp_request *req, int status, json_t *body)
{
    struct evbuffer *out = http_json_body(req, body);
    http_count_response(status);
    evhttp_send_reply(req, status, NULL, out);
    evbuffer_free(out);
}

/* The one JSON error body: {"error": "<formatted message>"} (a new reference). */
static json_t *http_error_json(const char *fmt, va_list ap)
{
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    return json_pack("{s:s}", "error", msg);
}

void http_send_error(struct evhttp_request *req, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    json_t *j = http_error_json(fmt, ap);
    va_end(ap);
    http_send_json(req, status, j);
}

int ls_http_error(json_t **reply, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    json_decref(*reply);
    *reply = http_error_json(fmt, ap);
    va_end(ap);
    return status;
}


/* Constant time in the token's length: the comparison does not stop at the first mismatch. */
static int token_ok(struct evhttp_request *req)
{
    if (!token)
        return 1;
    const char *h = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
    if (!h || strncasecmp(h, "Bearer ", 7) != 0)
        return 0;
    const char *t = h + 7 + strspn(h + 7, " ");
    size_t tl = strlen(t), kl = strlen(token);
    unsigned char diff = tl != kl;
    for (size_t i = 0; i < kl; i++)
        diff |= (unsigned char)token[i] ^ (unsigned char)(i < tl ? t[i] : 0);
    return diff == 0;
}

static int needs_auth(const char *path)
{
    return !strcmp(path, "/metrics") || !strcmp(path, "/api") || !strncmp(path, "/api/", 5);
}

/* ---- routes ---- */

static int route_matches(const struct http_route *r, const char *path)
{
    if (strncmp(path, r->prefix, r->plen) != 0)
        return 0;
    return path[r->plen] == '\0' || path[r->plen] == '/' || r->prefix[r->plen - 1] == '/';
}

static int route_add(const char *method, const char *prefix, ls_http_handler fn, void *arg, int builtin)
{
    if (!prefix || prefix[0] != '/' || !fn)
        return -1;
    for (size_t i = 0; i < nroutes; i++)
        if (!strcmp(routes[i].prefix, prefix) &&
            (!routes[i].method || !method || !strcasecmp(routes[i].method, method)))
            return -1;
    struct http_route *n = realloc(routes, (nroutes + 1) * sizeof *routes);
    if (!n)
        return -1;
    routes = n;
    routes[nroutes++] = (struct http_route){
        .method = method ? strdup(method) : NULL, .prefix = strdup(prefix), .plen = strlen(prefix),
        .fn = fn, .arg = arg, .builtin = builtin,
    };
    return 0;
}

int http_route_builtin(const char *method, const char *path, ls_http_handler fn, void *arg)
{
    return route_add(method, path, fn, arg, 1);
}

int ls_http_route(const char *method, const char *path_prefix, ls_http_handler fn, void *arg)
{
    for (size_t i = 0; path_prefix && i < sizeof builtin_paths / sizeof builtin_paths[0]; i++)
        if (!strcmp(path_prefix, builtin_paths[i]) || !strcmp(path_prefix, "/"))
            return -1;
    return route_add(method, path_prefix, fn, arg, 0);
}

static void route_remove_if(int (*match)(const struct http_route *, ls_http_handler, void *),
                            ls_http_handler fn, void *arg)
{
    for (size_t i = 0; i < nroutes;) {
        if (match(&routes[i], fn, arg)) {
            free(routes[i].method);
            free(routes[i].prefix);
            routes[i] = routes[--nroutes];
        } else {
            i++;
        }
    }
    if (!nroutes) {
        free(routes);
        routes = NULL;
    }
}

static int is_unit_route(const struct http_route *r, ls_http_handler fn, void *arg)
{
    return !r->builtin && r->fn == fn && r->arg == arg;
}

static int is_builtin(const struct http_route *r, ls_http_handler fn, void *arg)
{
    return r->builtin;
}

void ls_http_route_remove(ls_http_handler fn, void *arg)
{
    route_remove_if(is_unit_route, fn, arg);
}

/* Length of the longest registered prefix matching path, 0 when none does. */
static size_t route_best(const char *path)
{
    size_t best = 0;
    for (size_t i = 0; i < nroutes; i++)
        if (routes[i].plen > best && route_matches(&routes[i], path))
            best = routes[i].plen;
    return best;
}

int http_route_find(const char *method, const char *path, ls_http_handler *fn, void **arg,
                    char *allow, size_t allowlen)
{
    size_t best = route_best(path);
    if (allowlen)
        allow[0] = '\0';
    if (!best)
        return 404;
    for (size_t i = 0; i < nroutes; i++) {
        if (routes[i].plen != best || !route_matches(&routes[i], path))
            continue;
        if (!routes[i].method || !strcasecmp(routes[i].method, method)) {
            *fn = routes[i].fn;
            *arg = routes[i].arg;
            return 0;
        }
        size_t l = strlen(allow);
        snprintf(allow + l, allowlen - l, "%s%s", l ? ", " : "", routes[i].method);
    }
    return 405;
}

static void route_call(struct evhttp_request *req, const char *method, const char *path)
{
    ls_http_handler fn;
    void *fnarg;
    char allow[128];
    int found = http_route_find(method, path, &fn, &fnarg, allow, sizeof allow);
    if (found == 404) {
        http_send_error(req, 404, "no such path: %s", path);
        return;
    }
    if (found == 405) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", allow);
        http_send_error(req, 405, "%s is not allowed on %s (allowed: %s)", method, path, allow);
        return;
    }
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    json_t *body = NULL, *reply = NULL;
    if (len) {
        json_error_t jerr;
        body = json_loadb((const char *)evbuffer_pullup(in, -1), len, 0, &jerr);
        if (!body) {
            http_send_error(req, 400, "malformed JSON body: %s (line %d, column %d)", jerr.text, jerr.line, jerr.column);
            return;
        }
    }
    char *ip = NULL;
    ev_uint16_t port = 0;
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    if (evcon)
        evhttp_connection_get_peer(evcon, &ip, &port);
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    struct ls_http_request hr = {
        .method = method, .path = path, .query = uri ? evhttp_uri_get_query(uri) : NULL,
        .body = body, .src_ip = ip ? ip : "", .src_port = port,
    };
    int status = fn(&hr, &reply, fnarg);
    json_decref(body);
    if (status < 100 || status > 599) {
        log_error("HTTP handler for %s %s returned status %d", method, path, status);
        json_decref(reply);
        http_send_error(req, 500, "internal error");
        return;
    }
    http_send_json(req, status, reply);
}

/* ---- built-in API ---- */

static int api_health(const struct ls_http_request *req, json_t **reply, void *arg)
{
    *reply = json_pack("{s:s, s:s, s:I, s:i, s:b}", "status", "ok", "version", LUNASIP_VERSION,
                       "uptime_s", (json_int_t)(time(NULL) - started), "coroutines", coro_count(),
                       "token_required", token != NULL);
    return 200;
}

extern const char lunasip_status_html[]; /* core/http/status.html, embedded at build time */

/* GET /: the status page. It reads /health, /metrics and the /api routes itself, with the token the
 * user gives it; the page holds no data, so it needs no token. */
static void send_status_page(struct evhttp_request *req)
{
    struct evbuffer *out = evbuffer_new();
    evbuffer_add(out, lunasip_status_html, strlen(lunasip_status_html));
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Content-Type", "text/html; charset=utf-8");
    evhttp_add_header(h, "Cache-Control", "no-cache");
    evhttp_add_header(h, "Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; "
                                                    "style-src 'unsafe-inline'; connect-src 'self'; img-src data:");
    http_count_response(200);
    evhttp_send_reply(req, 200, NULL, out);
    evbuffer_free(out);
}

static void send_metrics(struct evhttp_request *req)
{
    struct evbuffer *out = evbuffer_new();
    metrics_write(out);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    http_count_response(200);
    evhttp_send_reply(req, 200, NULL, out);
    evbuffer_free(out);
}

/* ---- the server ---- */

static void http_gencb(struct evhttp_request *req, void *arg)
{
    enum http_method_stat slot;
    const char *method = http_req_method(req, &slot);
    http_requests[slot]++;
    if (http_conn_request(req) != 0)
        return;
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *raw = uri ? evhttp_uri_get_path(uri) : NULL;
    char *path = evhttp_uridecode(raw && *raw ? raw : "/", 0, NULL);
    if (!path) {
        http_send_error(req, 400, "bad request path");
        return;
    }
    if (needs_auth(path) && !token_ok(req)) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate", "Bearer");
        http_send_error(req, 401, "missing or wrong Bearer token");
    } else if (!strcmp(path, "/") && (slot == HM_GET || slot == HM_HEAD)) {
        send_status_page(req);
    } else if (!strcmp(path, "/metrics")) {
        if (slot == HM_GET || slot == HM_HEAD)
            send_metrics(req);
        else {
            evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET");
            http_send_error(req, 405, "%s is not allowed on /metrics (allowed: GET)", method);
        }
    } else if (needs_auth(path) || route_best(path)) {
        route_call(req, method, path);
    } else if (http_routes_running >= (unsigned)http_limits.max_routes) {
        http_routes_refused++;
        evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", "1");
        http_send_error(req, 503, "too many requests in progress (config.http.max_routes)");
    } else if (!http_route_run(req)) {
        http_send_error(req, 404, "no such path: %s (the script defines no on_http)", path);
    }
    free(path);
}

static struct ssl_ctx_st *https_ctx;

void http_set_tls(struct ssl_ctx_st *ctx)
{
    SSL_CTX_free(https_ctx);
    https_ctx = ctx;
}

/* evhttp's bufferevent for each accepted connection when serving HTTPS. */
static struct bufferevent *https_bev(struct event_base *base, void *arg)
{
    SSL *ssl = SSL_new(arg);
    struct bufferevent *bev = ssl ? bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                                                   BEV_OPT_CLOSE_ON_FREE)
                                  : NULL;
    if (!bev)
        SSL_free(ssl);
    return bev;
}

int http_start(struct event_base *base, const char *spec, char *err, size_t errlen)
{
    char host[128];
    int port;
    if (transport_parse_hostport(spec, host, sizeof host, &port, err, errlen) != 0)
        return -1;
    srv = evhttp_new(base);
    if (!srv) {
        snprintf(err, errlen, "http %s: cannot create the server", spec);
        return -1;
    }
    bound = evhttp_bind_socket_with_handle(srv, host, (ev_uint16_t)port);
    if (!bound) {
        snprintf(err, errlen, "http %s: cannot listen (address in use or not local?)", spec);
        evhttp_free(srv);
        srv = NULL;
        return -1;
    }
    evhttp_set_allowed_methods(srv, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
                                        EVHTTP_REQ_PATCH | EVHTTP_REQ_HEAD | EVHTTP_REQ_OPTIONS);
    evhttp_set_max_headers_size(srv, HTTP_MAX_HEADERS);
    evhttp_set_gencb(srv, http_gencb, NULL);
    http_conn_start(srv, bound, https_ctx ? https_bev : NULL, https_ctx); /* TLS through http_conn.c */
    route_add("GET", "/health", api_health, NULL, 1);
    evhttp_set_max_body_size(srv, max_body >= 0 ? (ev_ssize_t)max_body : HTTP_DEFAULT_MAX_BODY);
    started = time(NULL);
    log_info("http listening on %s%s", spec, https_ctx ? " (https)" : "");
    return 0;
}

int http_bound_addr(struct sockaddr_storage *sa)
{
    evutil_socket_t fd = bound ? evhttp_bound_socket_get_fd(bound) : -1;
    socklen_t len = sizeof *sa;
    return fd >= 0 && getsockname(fd, (struct sockaddr *)sa, &len) == 0 ? 0 : -1;
}

void http_configure(const char *tok, long limit)
{
    free(token);
    token = tok ? strdup(tok) : NULL;
    max_body = limit;
    if (srv)
        evhttp_set_max_body_size(srv, max_body >= 0 ? (ev_ssize_t)max_body : HTTP_DEFAULT_MAX_BODY);
}

void http_stop(void)
{
    if (srv)
        evhttp_free(srv); /* pending route requests: their close callbacks cancel the routes */
    srv = NULL;
    http_conn_stop();
    http_routes_cancel_all(); /* routes that answered and still run */
    bound = NULL;
    route_remove_if(is_builtin, NULL, NULL);
    free(token);
    token = NULL;
    http_set_tls(NULL);
}
