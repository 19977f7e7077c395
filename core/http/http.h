/* The HTTP side of the core: the evhttp server and its built-in API (http.c), the on_http
 * route and its req object plus the http.request client (http_req.c, http_client.c), and the
 * Prometheus text of /metrics (metrics.c). Main loop only. */
#ifndef CORE_HTTP_H
#define CORE_HTTP_H
#include <lua.h>
#include <jansson.h>
#include <lunasip/http.h>
#include "lua/script.h"
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct evhttp_request;
struct evbuffer;
struct ssl_ctx_st;

#define HTTP_DEFAULT_MAX_BODY (1024 * 1024) /* bytes, when config.http.max_body is absent */
#define HTTP_MAX_HEADERS 16384              /* bytes of request line + headers */

/* A built-in route (the process registers /api/units and /api/reload after http_start); no
 * unit may take or remove it, http_stop() drops it. Returns 0 or -1. */
int http_route_builtin(const char *method, const char *path, ls_http_handler fn, void *arg);
/* config.http limits (http_conn.c); settings follow each (re)load of the script. */
extern struct http_limits http_limits; /* in force (struct in lua/script.h, read from config.http) */
extern unsigned http_conn_open;
extern uint64_t http_conn_refused, http_conn_timeouts, http_routes_refused;
/* Track the connections of srv (before any is accepted); http_conn_stop() after evhttp_free.
 * make (NULL: a plain socket) creates each connection's bufferevent, e.g. a TLS one. */
struct evhttp;
struct evhttp_bound_socket;
struct bufferevent;
void http_conn_start(struct evhttp *srv, struct evhttp_bound_socket *bound,
                     struct bufferevent *(*make)(struct event_base *, void *), void *arg);
void http_conn_stop(void);
/* The server is stopping: accept no connection, answer new requests 503 (routes go on). */
void http_drain(void);
/* A complete request arrived: its connection is busy until the response is sent. Returns -1
 * when the connection was over the cap (req was answered 503), else 0. */
int http_conn_request(struct evhttp_request *req);
extern unsigned http_routes_running; /* http_req.c: on_http routes started and not ended */

/* Parse config.http.listen: "127.0.0.1:8080", "[::1]:8080", "8080" or ":8080" (loopback).
 * host gets the address without brackets. Returns 0, or -1 with the reason in err. */
int http_parse_listen(const char *spec, char *host, size_t hostlen, int *port, char *err, size_t errlen);

/* Serve HTTPS with ctx (config.http.tls; the server keeps the reference) from the next
 * http_start(); NULL: plain HTTP. */
void http_set_tls(struct ssl_ctx_st *ctx);

/* Listen on spec (config.http.listen). Returns 0, or -1 with the reason in err. */
int http_start(struct event_base *base, const char *spec, char *err, size_t errlen);
/* The address the HTTP server listens on (getsockname of its socket). 0, or -1 when none. */
struct sockaddr_storage;
int http_bound_addr(struct sockaddr_storage *sa);
/* Settings that follow each (re)load of the script: the Bearer token (NULL: none) and the body
 * limit (< 0: the default). */
void http_configure(const char *token, long max_body);
/* Close the server: routes still waiting are cancelled, nothing is written to their clients.
 * Call before coro_cancel_all(). */
void http_stop(void);

/* The unit or built-in route serving method on path: 0 with *fn and *arg set; 404 when no
 * registered prefix matches; 405 when the longest matching prefix has no route for method
 * (allow then lists the methods it has, "GET, POST"). */
int http_route_find(const char *method, const char *path, ls_http_handler *fn, void **arg,
                    char *allow, size_t allowlen);

/* Answer req with body (reference stolen; NULL sends {}) as application/json. */
void http_send_json(struct evhttp_request *req, int status, json_t *body);
/* The one JSON writer: body (a reference it takes; NULL: {}) as the reply's text, with its
 * Content-Type set on req; the caller sends and frees the buffer. */
struct evbuffer *http_json_body(struct evhttp_request *req, json_t *body);
/* Answer req with {"error": message}. */
void http_send_error(struct evhttp_request *req, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Count a response sent by any path (for lunasip_http_responses_total). */
void http_count_response(int status);

/* Counters read by metrics.c. */
enum http_method_stat { HM_GET, HM_POST, HM_PUT, HM_DELETE, HM_PATCH, HM_HEAD, HM_OPTIONS, HM_OTHER, HM__COUNT };
extern uint64_t http_requests[HM__COUNT];  /* requests received, by method */
extern uint64_t http_responses[6];         /* responses sent by class 1..5 (0 unused) */
extern uint64_t http_route_runs;           /* on_http coroutines started */
extern uint64_t http_client_requests;      /* http.request calls that went out */
extern uint64_t http_client_failures;      /* ... that ended without a response */
const char *http_method_name(enum http_method_stat m);
/* The method of req as a string ("GET"), and its counter slot. */
const char *http_req_method(struct evhttp_request *req, enum http_method_stat *slot);

/* http_req.c: run the script's on_http for req. Returns 0 when the current script has no
 * on_http (nothing was sent: the caller answers 404), 1 when the route took the request
 * (answered now or later, or cancelled when the client goes away). */
int http_route_run(struct evhttp_request *req);
/* Cancel the on_http routes still running (at exit, once no client can be answered). */
void http_routes_cancel_all(void);

/* Register the req metatable, the `http` table (http.request) and the `json` global
 * (lua-cjson's cjson.safe, when installed) in a script state. */
void http_req_lua_open(lua_State *L);    /* http_req.c: on_http's req, and the json global */
void http_client_lua_open(lua_State *L); /* http_client.c */

/* metrics.c: the whole /metrics text (core metrics, then each unit's writer). */
void metrics_write(struct evbuffer *out);

#endif
