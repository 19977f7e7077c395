/* The HTTP side of the core: the server's connections and request parser (http_conn.c,
 * http_parse.c), its built-in API (http.c), the on_http
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
struct evbuffer;
struct ssl_ctx_st;
struct sockaddr_storage;

#define HTTP_DEFAULT_MAX_BODY (1024 * 1024) /* bytes, when config.http.max_body is absent */
#define HTTP_MAX_HEADERS 16384              /* bytes of request line + headers */

/* Counters read by metrics.c. */
enum http_method_stat { HM_GET, HM_POST, HM_PUT, HM_DELETE, HM_PATCH, HM_HEAD, HM_OPTIONS, HM_OTHER, HM__COUNT };

/* One request of a connection (http_conn.c), handed to http_dispatch(). Its strings, headers
 * and body are valid during that call only; the request itself until its answer is finished
 * (http_reply_end) or, when answered later, until on_close ran: the client went away first. */
struct http_conn;
struct http_request {
    struct http_conn *conn;         /* NULL once the client went away */
    const char *method;             /* as sent: "GET" */
    enum http_method_stat slot;
    const char *path;               /* %XX-decoded, without the query */
    const char *query;              /* raw, without '?', or NULL */
    const char *body;               /* decoded when it came chunked; not NUL-terminated */
    size_t body_len;
    const char *src_ip;             /* the client, numeric */
    int src_port;
    void (*on_close)(struct http_request *req, void *arg); /* set by whoever answers later */
    void *close_arg;
    int status;                     /* of the answer started, 0 before */
    unsigned keep_alive : 1;        /* the client keeps the connection after the answer */
    unsigned http10 : 1;            /* HTTP/1.0 */
    unsigned head : 1;              /* HEAD: the answer has no body */
    unsigned has_date : 1, has_ctype : 1, has_conn : 1; /* headers the answer already has */
};

/* A request's header by name (case-insensitive), NULL when absent; the i-th header (returns 0
 * past the last). During http_dispatch() only. */
const char *http_request_header(const struct http_request *req, const char *name);
int http_request_header_at(const struct http_request *req, int i, const char **name, const char **value);
/* Our side of the request's connection (getsockname). 0, or -1 when the client is gone. */
int http_request_local(const struct http_request *req, struct sockaddr_storage *sa);

/* Answer req: the status line, any header lines, then the end with the body (Date,
 * Content-Type when ctype is given and no header set one, Connection, Content-Length; no body
 * for HEAD). http_reply_end() finishes req: do not touch it after. Names and values must be
 * valid header text (the caller checks what comes from a script). */
void http_reply_start(struct http_request *req, int status);
void http_reply_header(struct http_request *req, const char *name, const char *value);
void http_reply_end(struct http_request *req, const char *ctype, const void *body, size_t len);

/* http.c: serve one complete request (the built-in API, units' routes, on_http). */
void http_dispatch(struct http_request *req);
/* The counter slot of a method name ("GET" -> HM_GET, unknown: HM_OTHER). */
enum http_method_stat http_method_slot(const char *method);

/* A built-in route (the process registers /api/units and /api/reload after http_start); no
 * unit may take or remove it, http_stop() drops it. Returns 0 or -1. */
int http_route_builtin(const char *method, const char *path, ls_http_handler fn, void *arg);
/* config.http limits (http_conn.c); settings follow each (re)load of the script. */
extern struct http_limits http_limits; /* in force (struct in lua/script.h, read from config.http) */
extern unsigned http_conn_open;
extern uint64_t http_conn_refused, http_conn_timeouts, http_routes_refused;
/* Listen on host:port and serve connections (TLS with tls: the caller keeps the reference
 * until http_conn_stop). Returns 0, or -1 with the reason in err. */
int http_conn_start(struct event_base *base, const char *host, int port, struct ssl_ctx_st *tls, char *err, size_t errlen);
/* Close every connection (routes still waiting are cancelled) and the listener. */
void http_conn_stop(void);
/* The listener's address. 0, or -1 when none. */
int http_conn_bound_addr(struct sockaddr_storage *sa);
/* config.http.max_body in force for the requests read from now on. */
void http_conn_max_body(size_t max_body);
/* The server is stopping: accept no connection, answer new requests 503 (routes go on). */
void http_drain(void);
/* Before serving req: answers it 503 and returns -1 when the server drains or the connection
 * is over the cap, else 0. */
int http_conn_request(struct http_request *req);
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

/* Answer req with body (reference stolen; NULL sends {}) as application/json (after any
 * http_reply_start/http_reply_header of the caller: status is used when none was started). */
void http_send_json(struct http_request *req, int status, json_t *body);
/* Answer req with {"error": message}. */
void http_send_error(struct http_request *req, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Count a response sent by any path (for lunasip_http_responses_total). */
void http_count_response(int status);

/* Counters read by metrics.c. */
extern uint64_t http_requests[HM__COUNT];  /* requests received, by method */
extern uint64_t http_responses[6];         /* responses sent by class 1..5 (0 unused) */
extern uint64_t http_route_runs;           /* on_http coroutines started */
extern uint64_t http_client_requests;      /* http.request calls that went out */
extern uint64_t http_client_failures;      /* ... that ended without a response */
const char *http_method_name(enum http_method_stat m);

/* http_req.c: run the script's on_http for req. Returns 0 when the current script has no
 * on_http (nothing was sent: the caller answers 404), 1 when the route took the request
 * (answered now or later, or cancelled when the client goes away). */
int http_route_run(struct http_request *req);
/* Cancel the on_http routes still running (at exit, once no client can be answered). */
void http_routes_cancel_all(void);

/* Register the req metatable, the `http` table (http.request) and the `json` global
 * (lua-cjson's cjson.safe, when installed) in a script state. */
void http_req_lua_open(lua_State *L);    /* http_req.c: on_http's req, and the json global */
void http_client_lua_open(lua_State *L); /* http_client.c */

/* metrics.c: the whole /metrics text (core metrics, then each unit's writer). */
void metrics_write(struct evbuffer *out);

#endif
