/* The built-in HTTP API as units see it: JSON routes under /api and Prometheus metrics.
 *
 * A unit lists its routes and metrics writer in its struct ls_unit (http, metrics; the core
 * registers them after start() and removes them before stop()); the functions below do the
 * same at any other time, for routes that come and go.
 * Requests are served on the main loop; handlers must not block. Bodies are jansson json_t:
 * a unit using them includes <jansson.h> (the lunasip executable links libjansson, so a unit
 * resolves the json_* symbols against it).
 *
 * Paths under /api/ and /metrics need `Authorization: Bearer <config.http.token>` when a token
 * is set; the server checks it before any handler runs. */
#ifndef LUNASIP_HTTP_H
#define LUNASIP_HTTP_H
#include <jansson.h>
#include <stdint.h>
#include <lunasip/api.h>

LS_API_BEGIN
struct evbuffer;

/* One request, valid for the duration of the handler call only. */
struct ls_http_request {
    const char *method;   /* "GET", "POST", ... */
    const char *path;     /* decoded path without the query: "/api/dispatcher/state" */
    const char *query;    /* raw query string (without '?'), or NULL */
    const json_t *body;   /* parsed JSON body, or NULL when the request had none; a body that is
                           * not JSON is answered 400 before any handler runs */
    const char *src_ip;   /* the client */
    int src_port;
};

/* Answer req: store the JSON to send in *reply (a new reference the server takes over; NULL
 * sends `{}`) and return the HTTP status. For errors use ls_http_error(). */
typedef int (*ls_http_handler)(const struct ls_http_request *req, json_t **reply, void *arg);

/* Serve method (NULL: any method) on path_prefix and everything below it ("/api/dispatcher"
 * matches "/api/dispatcher" and "/api/dispatcher/state", not "/api/dispatchers"). The longest
 * registered prefix matching a path owns it: when none of its routes has the request's
 * method, the answer is 405. Built-in paths (/health, /metrics, /api/units, /api/reload) cannot
 * be taken. Returns 0, or -1 when the route is a duplicate or the path is reserved. */
int ls_http_route(const char *method, const char *path_prefix, ls_http_handler fn, void *arg);
/* Remove every route registered with fn and arg (e.g. in the unit's stop()). */
void ls_http_route_remove(ls_http_handler fn, void *arg);

/* Set *reply to {"error": "<formatted message>"} and return status, for
 * `return ls_http_error(reply, 409, "probing needs %s", "tm");` */
int ls_http_error(json_t **reply, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A writer of Prometheus text lines, called for every GET /metrics after the core's own
 * metrics. It appends whole metric families to out (use ls_metrics_family(), then one line
 * per sample: `name{label="v"} value\n`). Metric names start with "lunasip_"; counters end
 * in "_total"; variants are labels, not name suffixes. */
typedef void (*ls_metrics_writer)(struct evbuffer *out, void *arg);
void ls_metrics_source(ls_metrics_writer write, void *arg);
void ls_metrics_source_remove(ls_metrics_writer write, void *arg);

/* Append the "# HELP" and "# TYPE" lines of a family (type: "counter", "gauge", "untyped"). */
void ls_metrics_family(struct evbuffer *out, const char *name, const char *type, const char *help);
/* A whole family of one unlabelled sample: the two lines above, then `name value`. */
void ls_metrics_value(struct evbuffer *out, const char *name, const char *type, const char *help, uint64_t v);

LS_API_END
#endif
