/* Limits on the HTTP server's connections: a cap on open connections and a deadline for each
 * phase of a request, so that slow or silent clients cannot hold descriptors. Main loop only.
 *
 * evhttp (libevent 2.1) has no hook per connection, so we make each connection's bufferevent
 * (evhttp_set_bevcb) and keep a reference to it. While evhttp owns the bufferevent, its callback
 * argument is the evhttp_connection; bufferevent_free() clears it, which is how the sweep below
 * learns that evhttp is done with a connection and drops our reference. For plain HTTP evhttp
 * closes the socket itself (we do not pass BEV_OPT_CLOSE_ON_FREE), so a closed connection frees
 * its descriptor at once and only this small record waits for the next sweep; a TLS bufferevent
 * (config.http.tls) closes its socket with its last reference, at that sweep (within a second).
 *
 * Phases, each with its deadline (config.http.*):
 *   IDLE     no request yet, or the last one answered        idle_timeout
 *   HEADERS  first byte of a request seen, no empty line yet  header_timeout
 *   BODY     headers complete, request not yet handed to us   body_timeout
 *   BUSY     the request is being answered (routes have their own limits)
 * A connection past its deadline is closed. Over max_connections the connection waiting longest without a request in progress is closed to make room (or, when all
 * are busy, the new one; answered 503 if its request was read first). Both are counted. */
#include "http/http.h"
#include "log.h"
#include "loop.h"
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum conn_phase { PH_IDLE, PH_HEADERS, PH_BODY, PH_BUSY };

struct http_conn {
    struct bufferevent *bev;        /* our reference keeps it valid after evhttp frees it */
    struct http_conn *prev, *next;  /* all tracked connections */
    uint64_t since_ms;              /* start of the current phase (monotonic) */
    enum conn_phase phase;
    unsigned line_start : 1;        /* HEADERS: the last byte seen ended a line */
    unsigned refused : 1;           /* over the cap: closed at the next turn of the loop */
};

struct http_limits http_limits = HTTP_LIMITS_DEFAULT;
unsigned http_conn_open;            /* connections evhttp still owns */
uint64_t http_conn_refused;         /* connections closed at once over max_connections */
uint64_t http_conn_timeouts;        /* connections closed past a phase deadline */
uint64_t http_routes_refused;       /* on_http requests answered 503 over max_routes */

static struct http_conn *conns;
static struct event *sweep_ev, *kick_ev, *accept_retry;
static struct evconnlistener *listener;
static struct bufferevent *(*make_bev)(struct event_base *, void *); /* e.g. TLS; NULL: plain */
static void *make_arg;
static int draining;                /* http_drain(): no new connections or requests */
static time_t refused_logged;       /* the cap's log line, at most once a second */

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static struct evhttp_connection *conn_evcon(struct http_conn *c)
{
    void *arg = NULL;
    bufferevent_getcb(c->bev, NULL, NULL, NULL, &arg);
    return arg;
}

static void conn_forget(struct http_conn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    bufferevent_decref(c->bev);
    free(c);
}

static struct http_conn *conn_of_bev(const struct bufferevent *bev)
{
    for (struct http_conn *c = conns; c; c = c->next)
        if (c->bev == bev)
            return c;
    return NULL;
}

static uint64_t phase_limit(enum conn_phase ph)
{
    switch (ph) {
    case PH_IDLE: return (uint64_t)http_limits.idle_timeout_ms;
    case PH_HEADERS: return (uint64_t)http_limits.header_timeout_ms;
    case PH_BODY: return (uint64_t)http_limits.body_timeout_ms;
    default: return 0;
    }
}

static const char *phase_name[] = { "idle", "sending its headers", "sending its body", "busy" };

/* Forget the connections evhttp freed; close the refused ones and those past their deadline. */
static void sweep(int only_refused)
{
    uint64_t now = now_ms();
    unsigned open = 0;
    for (struct http_conn *c = conns, *next; c; c = next) {
        next = c->next;
        struct evhttp_connection *evcon = conn_evcon(c);
        if (!evcon) {
            conn_forget(c);
            continue;
        }
        uint64_t limit = phase_limit(c->phase);
        if (c->refused) {
            evhttp_connection_free(evcon);
        } else if (!only_refused && limit && now - c->since_ms >= limit) {
            char *ip = NULL;
            ev_uint16_t port = 0;
            evhttp_connection_get_peer(evcon, &ip, &port);
            log_info("http: closing the connection of %s:%u: %s for over %llu ms", ip ? ip : "?",
                     (unsigned)port, phase_name[c->phase], (unsigned long long)limit);
            http_conn_timeouts++;
            evhttp_connection_free(evcon);
        } else {
            open++;
            continue;
        }
        /* evhttp_connection_free() cleared the callbacks: forget it now */
        conn_forget(c);
    }
    http_conn_open = open;
}

static void sweep_cb(evutil_socket_t fd, short what, void *arg) { sweep(0); }
static void kick_cb(evutil_socket_t fd, short what, void *arg) { sweep(1); }

/* Bytes arrived: a request starts (IDLE -> HEADERS) or its headers end (HEADERS -> BODY). */
static void input_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
    struct http_conn *c = arg;
    if (!info->n_added || c->phase == PH_BODY || c->phase == PH_BUSY)
        return;
    if (c->phase == PH_IDLE) {
        c->phase = PH_HEADERS;
        c->since_ms = now_ms();
        c->line_start = 0;
    }
    struct evbuffer_ptr at;
    struct evbuffer_iovec v[8];
    if (evbuffer_ptr_set(buf, &at, info->orig_size, EVBUFFER_PTR_SET) < 0)
        return;
    int n = evbuffer_peek(buf, (ev_ssize_t)info->n_added, &at, v, 8);
    size_t left = info->n_added;
    for (int i = 0; i < n && i < 8 && left; i++) {
        const unsigned char *p = v[i].iov_base;
        size_t len = v[i].iov_len < left ? v[i].iov_len : left;
        left -= len;
        for (size_t k = 0; k < len; k++) {
            if (p[k] == '\n') {
                if (c->line_start) { /* an empty line: the headers are complete */
                    c->phase = PH_BODY;
                    c->since_ms = now_ms();
                    return;
                }
                c->line_start = 1;
            } else if (p[k] != '\r') {
                c->line_start = 0;
            }
        }
    }
}

static struct bufferevent *new_conn(struct event_base *base, void *arg)
{
    if (http_conn_open >= (unsigned)http_limits.max_connections)
        sweep(1); /* recount: some may have closed since the last sweep */
    struct bufferevent *bev = make_bev ? make_bev(base, make_arg) : bufferevent_socket_new(base, -1, 0);
    struct http_conn *c = bev ? calloc(1, sizeof *c) : NULL;
    if (!c)
        return bev; /* untracked; evhttp fails it if bev is NULL */
    bufferevent_incref(bev);
    c->bev = bev;
    c->since_ms = now_ms();
    evbuffer_add_cb(bufferevent_get_input(bev), input_cb, c);
    c->next = conns;
    if (conns)
        conns->prev = c;
    conns = c;
    if (http_conn_open >= (unsigned)http_limits.max_connections) {
        /* Make room by closing the connection that has waited longest without a request being
         * answered on it (idle keep-alive first, then slow senders); only when every one is
         * busy is the new one refused. So slow clients cannot lock normal ones out. */
        struct http_conn *victim = NULL;
        for (struct http_conn *o = conns->next; o; o = o->next)
            if (!o->refused && o->phase != PH_BUSY && o->phase != PH_BODY && conn_evcon(o) &&
                (!victim || (o->phase == PH_IDLE) > (victim->phase == PH_IDLE) ||
                 ((o->phase == PH_IDLE) == (victim->phase == PH_IDLE) && o->since_ms < victim->since_ms)))
                victim = o;
        (victim ? victim : c)->refused = 1; /* counted until the sweep; closed at the next turn */
        http_conn_refused++;
        if (time(NULL) != refused_logged) { /* at most once a second */
            refused_logged = time(NULL);
            log_warn("http: %u connections open (config.http.max_connections): %s", http_conn_open,
                     victim ? "the oldest waiting one is closed" : "all are busy, the new one is refused");
        }
        event_active(kick_ev, EV_TIMEOUT, 0);
    }
    http_conn_open++;
    return bev;
}

/* The response to the connection's request was sent: wait for the next one. */
static void answered(struct evhttp_request *req, void *arg)
{
    struct http_conn *c = arg;
    c->phase = PH_IDLE;
    c->since_ms = now_ms();
}

int http_conn_request(struct evhttp_request *req)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    struct http_conn *c = evcon ? conn_of_bev(evhttp_connection_get_bufferevent(evcon)) : NULL;
    if (!c)
        return 0;
    if (draining) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "Connection", "close");
        evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", "10");
        http_send_error(req, 503, "the server is stopping");
        return -1;
    }
    if (c->refused) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "Connection", "close");
        evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", "1");
        http_send_error(req, 503, "too many connections (config.http.max_connections)");
        return -1;
    }
    c->phase = PH_BUSY;
    evhttp_request_set_on_complete_cb(req, answered, c);
    return 0;
}


static void accept_resume(evutil_socket_t fd, short what, void *arg)
{
    evconnlistener_enable(listener);
}

/* accept() failed (out of descriptors): pause for a second instead of spinning on it. */
static void accept_error(struct evconnlistener *el, void *arg)
{
    struct timeval second = { 1, 0 };
    log_warn("http accept: %s; pausing for a second", strerror(EVUTIL_SOCKET_ERROR()));
    if (evtimer_add(accept_retry, &second) == 0)
        evconnlistener_disable(el);
}

static void write_metrics(struct evbuffer *out, void *arg)
{
    sweep(1);
    ls_metrics_family(out, "lunasip_http_connections", "gauge", "HTTP connections open.");
    evbuffer_add_printf(out, "lunasip_http_connections %u\n", http_conn_open);
    ls_metrics_family(out, "lunasip_http_connections_refused_total", "counter",
                      "HTTP connections closed at once over config.http.max_connections.");
    evbuffer_add_printf(out, "lunasip_http_connections_refused_total %llu\n", (unsigned long long)http_conn_refused);
    ls_metrics_family(out, "lunasip_http_timeouts_total", "counter",
                      "HTTP connections closed for being too slow or idle too long.");
    evbuffer_add_printf(out, "lunasip_http_timeouts_total %llu\n", (unsigned long long)http_conn_timeouts);
    ls_metrics_family(out, "lunasip_http_routes_refused_total", "counter",
                      "on_http requests answered 503 over config.http.max_routes.");
    evbuffer_add_printf(out, "lunasip_http_routes_refused_total %llu\n", (unsigned long long)http_routes_refused);
}

void http_conn_start(struct evhttp *srv, struct evhttp_bound_socket *bound,
                     struct bufferevent *(*make)(struct event_base *, void *), void *arg)
{
    make_bev = make;
    make_arg = arg;
    struct event_base *base = server_base();
    struct timeval second = { 1, 0 };
    evhttp_set_bevcb(srv, new_conn, NULL);
    sweep_ev = event_new(base, -1, EV_PERSIST, sweep_cb, NULL);
    kick_ev = event_new(base, -1, 0, kick_cb, NULL);
    accept_retry = evtimer_new(base, accept_resume, NULL);
    event_add(sweep_ev, &second);
    listener = evhttp_bound_socket_get_listener(bound);
    evconnlistener_set_error_cb(listener, accept_error);
    ls_metrics_source(write_metrics, NULL);
}

void http_drain(void)
{
    draining = 1;
    if (listener)
        evconnlistener_disable(listener);
    if (accept_retry)
        evtimer_del(accept_retry);
}

void http_conn_stop(void)
{
    ls_metrics_source_remove(write_metrics, NULL);
    while (conns)
        conn_forget(conns); /* evhttp_free() already closed them */
    http_conn_open = 0;
    if (sweep_ev)
        event_free(sweep_ev);
    if (kick_ev)
        event_free(kick_ev);
    if (accept_retry)
        event_free(accept_retry);
    sweep_ev = kick_ev = accept_retry = NULL;
    listener = NULL;
    draining = 0;
}
