/* The HTTP server's requests (http_conn.c reads them): each goes through http_dispatch(),
 * which routes by path prefix and method:
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

static int serving;          /* http_start() succeeded */
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

enum http_method_stat http_method_slot(const char *method)
{
    for (int m = 0; m < HM_OTHER; m++)
        if (!strcmp(method, method_names[m]))
            return (enum http_method_stat)m;
    return HM_OTHER;
}

void http_count_response(int status)
{
    if (status >= 100 && status < 600)
        http_responses[status / 100]++;
}

void http_send_json(struct http_request *req, int status, json_t *body)
{
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    size_t len = text ? strlen(text) : 2;
    json_decref(body);
    if (text) {
        text[len++] = '\n'; /* over the NUL: the length says where it ends */
    }
    http_reply_start(req, status);
    http_reply_end(req, "application/json", text ? text : "{}\n", text ? len : 3);
    free(text);
}

/* The one JSON error body: {"error": "<formatted message>"} (a new reference). */
static json_t *http_error_json(const char *fmt, va_list ap)
{
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    return json_pack("{s:s}", "error", msg);
}

void http_send_error(struct http_request *req, int status, const char *fmt, ...)
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
static int token_ok(const struct http_request *req)
{
    if (!token)
        return 1;
    const char *h = http_request_header(req, "Authorization");
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

static void route_call(struct http_request *req, const char *method, const char *path)
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
        http_reply_start(req, 405);
        http_reply_header(req, "Allow", allow);
        http_send_error(req, 405, "%s is not allowed on %s (allowed: %s)", method, path, allow);
        return;
    }
    json_t *body = NULL, *reply = NULL;
    if (req->body_len) {
        json_error_t jerr;
        body = json_loadb(req->body, req->body_len, 0, &jerr);
        if (!body) {
            http_send_error(req, 400, "malformed JSON body: %s (line %d, column %d)", jerr.text, jerr.line, jerr.column);
            return;
        }
    }
    struct ls_http_request hr = {
        .method = method, .path = path, .query = req->query,
        .body = body, .src_ip = req->src_ip, .src_port = req->src_port,
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
static void send_status_page(struct http_request *req)
{
    http_reply_start(req, 200);
    http_reply_header(req, "Cache-Control", "no-cache");
    http_reply_header(req, "Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; "
                                                      "style-src 'unsafe-inline'; connect-src 'self'; img-src data:");
    http_reply_end(req, "text/html; charset=utf-8", lunasip_status_html, strlen(lunasip_status_html));
}

static void send_metrics(struct http_request *req)
{
    struct evbuffer *out = evbuffer_new();
    metrics_write(out);
    size_t len = evbuffer_get_length(out);
    http_reply_start(req, 200);
    http_reply_end(req, "text/plain; version=0.0.4; charset=utf-8", evbuffer_pullup(out, -1), len);
    evbuffer_free(out);
}

/* ---- the server ---- */

void http_dispatch(struct http_request *req)
{
    enum http_method_stat slot = req->slot;
    const char *method = req->method, *path = req->path;
    http_requests[slot]++;
    if (http_conn_request(req) != 0)
        return;
    if (slot == HM_OTHER) {
        http_send_error(req, 501, "method %s is not implemented", method);
    } else if (needs_auth(path) && !token_ok(req)) {
        http_reply_start(req, 401);
        http_reply_header(req, "WWW-Authenticate", "Bearer");
        http_send_error(req, 401, "missing or wrong Bearer token");
    } else if (!strcmp(path, "/") && (slot == HM_GET || slot == HM_HEAD)) {
        send_status_page(req);
    } else if (!strcmp(path, "/metrics")) {
        if (slot == HM_GET || slot == HM_HEAD) {
            send_metrics(req);
        } else {
            http_reply_start(req, 405);
            http_reply_header(req, "Allow", "GET");
            http_send_error(req, 405, "%s is not allowed on /metrics (allowed: GET)", method);
        }
    } else if (needs_auth(path) || route_best(path)) {
        route_call(req, method, path);
    } else if (http_routes_running >= (unsigned)http_limits.max_routes) {
        http_routes_refused++;
        http_reply_start(req, 503);
        http_reply_header(req, "Retry-After", "1");
        http_send_error(req, 503, "too many requests in progress (config.http.max_routes)");
    } else if (!http_route_run(req)) {
        http_send_error(req, 404, "no such path: %s (the script defines no on_http)", path);
    }
}

static struct ssl_ctx_st *https_ctx;

void http_set_tls(struct ssl_ctx_st *ctx)
{
    SSL_CTX_free(https_ctx);
    https_ctx = ctx;
}

int http_start(struct event_base *base, const char *spec, char *err, size_t errlen)
{
    char host[128];
    int port;
    if (transport_parse_hostport(spec, host, sizeof host, &port, err, errlen) != 0)
        return -1;
    if (http_conn_start(base, host, port, https_ctx, err, errlen) != 0)
        return -1;
    http_conn_max_body(max_body >= 0 ? (size_t)max_body : HTTP_DEFAULT_MAX_BODY);
    serving = 1;
    route_add("GET", "/health", api_health, NULL, 1);
    started = time(NULL);
    log_info("http listening on %s%s", spec, https_ctx ? " (https)" : "");
    return 0;
}

int http_bound_addr(struct sockaddr_storage *sa)
{
    return http_conn_bound_addr(sa);
}

void http_configure(const char *tok, long limit)
{
    free(token);
    token = tok ? strdup(tok) : NULL;
    max_body = limit;
    http_conn_max_body(max_body >= 0 ? (size_t)max_body : HTTP_DEFAULT_MAX_BODY);
}

void http_stop(void)
{
    if (serving)
        http_conn_stop(); /* pending route requests: their close callbacks cancel the routes */
    serving = 0;
    http_routes_cancel_all(); /* routes that answered and still run */
    route_remove_if(is_builtin, NULL, NULL);
    free(token);
    token = NULL;
    http_set_tls(NULL);
}
