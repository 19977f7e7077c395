/* The HTTP server's connections: accept, read, parse (http_parse.c), hand each request to
 * http_dispatch() (http.c), write the answer. Main loop only.
 *
 * Per keep-alive request the aim is one read and one write system call: each connection has
 * a persistent EV_READ event (never re-armed), reads into its own buffer, parses every request
 * the buffer holds (pipelining), and answers by writing straight to the socket; only a partial
 * write keeps the rest and arms EV_WRITE. Answers made during one read are written together.
 * HTTPS (config.http.tls) runs the same code over SSL_read/SSL_write on the socket.
 *
 * One request at a time is answered on a connection: while a route waits, the bytes that
 * arrive are kept (up to a cap, then reading pauses) and an end of file cancels the route
 * (req->on_close). Limits, each with its deadline (config.http.*), checked once a second:
 *   IDLE     no request yet, or the last one answered        idle_timeout
 *   HEADERS  first byte of a request seen, no empty line yet  header_timeout
 *   BODY     headers complete, body not complete              body_timeout
 *   BUSY     the request is being answered (routes have their own limits)
 * A connection past its deadline is closed. Over max_connections the connection waiting
 * longest without a request in progress is closed to make room (or, when all are busy, the new
 * one, answered 503 if its request is read first). Both are counted. */
#include "http/http.h"
#include "http/http_parse.h"
#include "log.h"
#include "loop.h"
#include "transport/tls.h"
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum conn_phase { PH_IDLE, PH_HEADERS, PH_BODY, PH_BUSY };

#define IN_START 4096        /* first size of a connection's input buffer */
#define BUF_KEEP 65536       /* a buffer larger than this shrinks back once empty */
#define OUT_HIGH (256 * 1024) /* unsent answers past which pipelined requests wait */

struct http_conn {
    int fd;
    SSL *ssl;                       /* HTTPS, else NULL */
    struct event *rev, *wev;        /* rev: persistent; wev: armed while output is stuck */
    struct event *resume;           /* parse what arrived while a route was answering */
    char *in;                       /* bytes from the start of the request being read */
    size_t in_len, in_cap;
    char *out;                      /* answers not yet written: out[out_off..out_len) */
    size_t out_len, out_off, out_cap;
    struct http_parser parser;      /* of the request at in[0] */
    struct http_request req;        /* the request being answered (busy) */
    char ip[INET6_ADDRSTRLEN];      /* the client, numeric */
    int port;
    uint64_t since_ms;              /* start of the current phase (monotonic) */
    enum conn_phase phase;
    int depth;                      /* our callbacks on the stack: closing waits for 0 */
    unsigned busy : 1;              /* req dispatched, its answer not finished */
    unsigned answered : 1;          /* a request was answered on it: idle means kept alive */
    unsigned close_after : 1;       /* close once the output is written */
    unsigned refused : 1;           /* over the cap: closed at the next turn of the loop */
    unsigned dead : 1;              /* closed while a callback ran: freed when it returns */
    unsigned paused : 1;            /* rev deleted: the input buffer is full while busy */
    unsigned continued : 1;         /* 100 Continue sent for the current request */
    unsigned ssl_failed : 1;        /* no close_notify on a broken TLS session */
    unsigned read_wants_write : 1;  /* TLS: SSL_read waits for the socket to be writable */
    unsigned write_wants_read : 1;  /* TLS: SSL_write waits for the socket to be readable */
    LIST_ENTRY(http_conn) link;
};

struct http_limits http_limits = HTTP_LIMITS_DEFAULT;
unsigned http_conn_open;            /* connections open */
uint64_t http_conn_refused;         /* connections closed at once over max_connections */
uint64_t http_conn_timeouts;        /* connections closed past a phase deadline */
uint64_t http_routes_refused;       /* on_http requests answered 503 over max_routes */

static LIST_HEAD(, http_conn) conns = LIST_HEAD_INITIALIZER(conns);
static struct event *sweep_ev, *kick_ev, *accept_retry;
static struct evconnlistener *listener;
static SSL_CTX *tls_ctx;            /* config.http.tls, NULL: plain HTTP */
static struct http_limits_parse plimits = { HTTP_MAX_HEADERS, HTTP_DEFAULT_MAX_BODY };
static int draining;                /* http_drain(): no new connections or requests */
static time_t refused_logged;       /* the cap's log line, at most once a second */

static void conn_close(struct http_conn *c);
static void process(struct http_conn *c);

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void http_conn_max_body(size_t max_body)
{
    plimits.max_body = max_body;
}

/* ---- the phase and its deadline ---- */

static void set_phase(struct http_conn *c)
{
    enum conn_phase ph = c->busy ? PH_BUSY : !c->in_len ? PH_IDLE : c->parser.head ? PH_BODY : PH_HEADERS;
    if (ph != c->phase) {
        c->phase = ph;
        c->since_ms = now_ms();
    }
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

/* ---- bytes in and out (plain or TLS) ---- */

enum { IO_AGAIN = -1, IO_CLOSED = -2 };

/* Read into buf: bytes read, IO_AGAIN (nothing now), IO_CLOSED (end of file or an error). */
static ssize_t conn_read(struct http_conn *c, char *buf, size_t len)
{
    if (!c->ssl) {
        ssize_t n = recv(c->fd, buf, len, 0);
        if (n > 0)
            return n;
        return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? IO_AGAIN : IO_CLOSED;
    }
    ERR_clear_error();
    int n = SSL_read(c->ssl, buf, len > INT_MAX ? INT_MAX : (int)len);
    if (n > 0)
        return n;
    switch (SSL_get_error(c->ssl, n)) {
    case SSL_ERROR_WANT_READ: return IO_AGAIN;
    case SSL_ERROR_WANT_WRITE: /* a handshake or key update needs to send first */
        c->read_wants_write = 1;
        event_add(c->wev, NULL);
        return IO_AGAIN;
    case SSL_ERROR_ZERO_RETURN: return IO_CLOSED;
    default:
        if (!SSL_is_init_finished(c->ssl)) /* plain HTTP, no shared version, a client that left */
            tls_handshake_failed(c->ssl, "https", c->ip, c->port);
        c->ssl_failed = 1;
        return IO_CLOSED;
    }
}

/* Write from buf: bytes written, IO_AGAIN or IO_CLOSED. */
static ssize_t conn_write(struct http_conn *c, const char *buf, size_t len)
{
    if (!c->ssl) {
        ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL);
        if (n >= 0)
            return n;
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? IO_AGAIN : IO_CLOSED;
    }
    ERR_clear_error();
    int n = SSL_write(c->ssl, buf, len > INT_MAX ? INT_MAX : (int)len);
    if (n > 0)
        return n;
    switch (SSL_get_error(c->ssl, n)) {
    case SSL_ERROR_WANT_READ: /* the persistent read event retries (read_cb) */
        c->write_wants_read = 1;
        return IO_AGAIN;
    case SSL_ERROR_WANT_WRITE: return IO_AGAIN;
    default:
        c->ssl_failed = 1;
        return IO_CLOSED;
    }
}

static void out_reserve(struct http_conn *c, size_t more)
{
    if (c->out_len + more <= c->out_cap)
        return;
    size_t cap = c->out_cap ? c->out_cap : 1024;
    while (cap < c->out_len + more)
        cap *= 2;
    char *n = realloc(c->out, cap);
    if (!n)
        abort();
    c->out = n;
    c->out_cap = cap;
}

static void out_add(struct http_conn *c, const void *data, size_t len)
{
    out_reserve(c, len);
    memcpy(c->out + c->out_len, data, len);
    c->out_len += len;
}

/* Write what is pending. Returns 0 (all written, or the rest waits for EV_WRITE) or -1 when
 * the connection failed (the caller closes it). */
static int flush(struct http_conn *c)
{
    c->write_wants_read = 0;
    while (c->out_off < c->out_len) {
        ssize_t n = conn_write(c, c->out + c->out_off, c->out_len - c->out_off);
        if (n == IO_CLOSED)
            return -1;
        if (n == IO_AGAIN) {
            if (!c->write_wants_read)
                event_add(c->wev, NULL);
            return 0;
        }
        c->out_off += (size_t)n;
    }
    c->out_off = c->out_len = 0;
    if (c->out_cap > BUF_KEEP) {
        free(c->out);
        c->out = NULL;
        c->out_cap = 0;
    }
    return 0;
}

static int out_pending(const struct http_conn *c)
{
    return c->out_off < c->out_len;
}

/* Output written and nothing more to answer on a connection that closes after it. */
static int done_closing(const struct http_conn *c)
{
    return c->close_after && !c->busy && !out_pending(c);
}

/* ---- answers ---- */

static const char *reason(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 417: return "Expectation Failed";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return status < 200 ? "Informational" : status < 300 ? "OK" : status < 400 ? "Redirect"
                  : status < 500 ? "Client Error" : "Server Error";
    }
}

/* The Date header of now (RFC 9110 IMF-fixdate), formatted once a second. */
static const char *http_date(void)
{
    static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
    static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    static char buf[32];
    static time_t last = -1;
    time_t now = time(NULL);
    if (now != last) {
        struct tm tm;
        gmtime_r(&now, &tm);
        snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday], tm.tm_mday,
                 months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
        last = now;
    }
    return buf;
}

void http_reply_start(struct http_request *req, int status)
{
    struct http_conn *c = req->conn;
    if (!c || req->status)
        return;
    char line[96];
    int n = snprintf(line, sizeof line, "HTTP/1.1 %d %s\r\n", status, reason(status));
    req->status = status;
    http_count_response(status);
    out_add(c, line, (size_t)n);
}

void http_reply_header(struct http_request *req, const char *name, const char *value)
{
    struct http_conn *c = req->conn;
    if (!c || !req->status)
        return;
    if (!strcasecmp(name, "Content-Length") || !strcasecmp(name, "Transfer-Encoding"))
        return; /* ours, from the body */
    if (!strcasecmp(name, "Date"))
        req->has_date = 1;
    else if (!strcasecmp(name, "Content-Type"))
        req->has_ctype = 1;
    else if (!strcasecmp(name, "Connection")) {
        req->has_conn = 1;
        if (http_parse_has_token(value, "close"))
            c->close_after = 1;
    }
    size_t nl = strlen(name), vl = strlen(value);
    out_reserve(c, nl + vl + 4);
    memcpy(c->out + c->out_len, name, nl);
    c->out[c->out_len + nl] = ':';
    c->out[c->out_len + nl + 1] = ' ';
    memcpy(c->out + c->out_len + nl + 2, value, vl);
    memcpy(c->out + c->out_len + nl + 2 + vl, "\r\n", 2);
    c->out_len += nl + vl + 4;
}

void http_reply_end(struct http_request *req, const char *ctype, const void *body, size_t len)
{
    struct http_conn *c = req->conn;
    if (!c)
        return;
    if (!req->status)
        http_reply_start(req, 200);
    if (!req->keep_alive || draining)
        c->close_after = 1;
    if (!req->has_date)
        http_reply_header(req, "Date", http_date());
    if (ctype && !req->has_ctype)
        http_reply_header(req, "Content-Type", ctype);
    if (!req->has_conn && c->close_after)
        http_reply_header(req, "Connection", "close");
    else if (!req->has_conn && req->http10)
        http_reply_header(req, "Connection", "keep-alive");
    int bodiless = req->status < 200 || req->status == 204 || req->status == 304;
    char cl[48];
    int n = bodiless ? snprintf(cl, sizeof cl, "\r\n") : snprintf(cl, sizeof cl, "Content-Length: %zu\r\n\r\n", len);
    out_add(c, cl, (size_t)n);
    if (!bodiless && !req->head && len)
        out_add(c, body, len);
    c->busy = 0;
    c->answered = 1;
    req->on_close = NULL;
    if (c->depth)
        return; /* process() goes on with what else is buffered and writes it all at once */
    /* answered later (the route waited): write now, then go on with what arrived meanwhile */
    if (flush(c) != 0 || done_closing(c)) {
        conn_close(c);
        return;
    }
    set_phase(c);
    if ((c->in_len || c->paused) && !out_pending(c))
        event_active(c->resume, EV_TIMEOUT, 0);
}

/* An answer of ours to a request the parser refused: the connection closes after it. */
static void answer_refused(struct http_conn *c, int status, const char *why)
{
    struct http_request *req = &c->req;
    memset(req, 0, sizeof *req);
    req->conn = c;
    c->close_after = 1;
    c->busy = 1;
    http_reply_start(req, status);
    http_send_error(req, status, "%s", why ? why : "bad request");
}

/* ---- requests ---- */

const char *http_request_header(const struct http_request *req, const char *name)
{
    struct http_conn *c = req->conn;
    return c && c->busy ? http_parse_header(&c->parser, c->in, name) : NULL;
}

int http_request_header_at(const struct http_request *req, int i, const char **name, const char **value)
{
    struct http_conn *c = req->conn;
    if (!c || i < 0 || i >= c->parser.nhdrs)
        return 0;
    *name = c->in + c->parser.hdrs[i].name;
    *value = c->in + c->parser.hdrs[i].value;
    return 1;
}

int http_request_local(const struct http_request *req, struct sockaddr_storage *sa)
{
    socklen_t len = sizeof *sa;
    return req->conn && getsockname(req->conn->fd, (struct sockaddr *)sa, &len) == 0 ? 0 : -1;
}

int http_conn_request(struct http_request *req)
{
    struct http_conn *c = req->conn;
    if (draining) {
        http_reply_start(req, 503);
        http_reply_header(req, "Connection", "close");
        http_reply_header(req, "Retry-After", "10");
        http_send_error(req, 503, "the server is stopping");
        return -1;
    }
    if (c->refused) {
        http_reply_start(req, 503);
        http_reply_header(req, "Connection", "close");
        http_reply_header(req, "Retry-After", "1");
        http_send_error(req, 503, "too many connections (config.http.max_connections)");
        return -1;
    }
    return 0;
}

/* Drop the first n bytes of the input (a request that was handled). */
static void consume(struct http_conn *c, size_t n)
{
    c->in_len -= n;
    if (c->in_len)
        memmove(c->in, c->in + n, c->in_len);
    else if (c->in_cap > BUF_KEEP) {
        char *s = realloc(c->in, IN_START);
        if (s) {
            c->in = s;
            c->in_cap = IN_START;
        }
    }
    memset(&c->parser, 0, sizeof c->parser);
    c->continued = 0;
}

/* Handle every complete request in the input, one at a time, while none is being answered;
 * then write what was answered. */
static void process(struct http_conn *c)
{
    c->depth++;
    if (c->paused && !c->busy) {
        c->paused = 0;
        event_add(c->rev, NULL);
    }
    int more = 1; /* stopped for the output only: write it, then go on */
    while (more) {
        while (!c->busy && !c->close_after && !c->dead && c->in_len && c->out_len - c->out_off < OUT_HIGH) {
            int r = http_parse_request(&c->parser, c->in, c->in_len, &plimits);
            if (r == HTTP_PARSE_MORE) {
                if (c->parser.head && c->parser.expect && c->parser.minor >= 1 && !c->continued) {
                    static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
                    out_add(c, cont, sizeof cont - 1);
                    c->continued = 1;
                }
                break;
            }
            if (r != HTTP_PARSE_DONE) {
                answer_refused(c, r, c->parser.error);
                break;
            }
            struct http_msg m;
            http_parse_msg(&c->parser, c->in, &m);
            struct http_request *req = &c->req;
            *req = (struct http_request){
                .conn = c, .method = m.method, .path = m.path, .query = m.query, .body = m.body,
                .body_len = m.body_len, .src_ip = c->ip, .src_port = c->port,
                .keep_alive = c->parser.keep_alive, .http10 = c->parser.minor == 0,
            };
            req->slot = http_method_slot(m.method);
            req->head = req->slot == HM_HEAD;
            c->busy = 1;
            http_dispatch(req);
            if (c->dead)
                break;
            consume(c, m.total); /* the route copied what it keeps */
        }
        if (!c->dead && (flush(c) != 0 || done_closing(c)))
            c->dead = 1;
        more = !c->dead && !c->busy && !c->close_after && c->in_len && c->out_len == 0 &&
               c->parser.head == 0 && c->parser.scan == 0;
    }
    if (!c->dead)
        set_phase(c);
    if (--c->depth == 0 && c->dead)
        conn_close(c);
}

/* ---- events ---- */

static void read_cb(evutil_socket_t fd, short what, void *arg)
{
    struct http_conn *c = arg;
    size_t limit = HTTP_MAX_HEADERS + plimits.max_body + 65536 + IN_START;
    c->depth++;
    if (c->write_wants_read && flush(c) != 0) /* SSL_write waited for this */
        c->dead = 1;
    while (!c->dead) {
        if (c->in_cap - c->in_len < 1024 && c->in_cap < limit) {
            size_t cap = c->in_cap * 2 < limit ? c->in_cap * 2 : limit;
            char *n = realloc(c->in, cap);
            if (!n)
                abort();
            c->in = n;
            c->in_cap = cap;
        }
        if (c->in_len == c->in_cap) { /* full while a route answers: wait for it */
            event_del(c->rev);
            c->paused = 1;
            break;
        }
        ssize_t n = conn_read(c, c->in + c->in_len, c->in_cap - c->in_len);
        if (n == IO_CLOSED && !c->busy && out_pending(c) && !c->ssl_failed) {
            c->close_after = 1; /* the client stopped sending: finish writing, then close */
            event_del(c->rev);
            break;
        }
        if (n == IO_CLOSED)
            c->dead = 1;
        if (n < 0)
            break;
        c->in_len += (size_t)n;
        if (!c->ssl || !SSL_pending(c->ssl))
            break; /* level-triggered: the loop tells us when there is more */
    }
    if (!c->dead)
        process(c);
    if (--c->depth == 0 && c->dead)
        conn_close(c);
}

static void write_cb(evutil_socket_t fd, short what, void *arg)
{
    struct http_conn *c = arg;
    if (c->read_wants_write) {
        c->read_wants_write = 0;
        read_cb(fd, EV_READ, c); /* may close c */
        return;
    }
    c->depth++;
    if (flush(c) != 0 || done_closing(c))
        c->dead = 1;
    else if (!out_pending(c) && !c->busy && c->in_len)
        process(c); /* requests that waited for the output to drain */
    if (--c->depth == 0 && c->dead)
        conn_close(c);
}

/* What arrived while a route was answering the last request. */
static void resume_cb(evutil_socket_t fd, short what, void *arg)
{
    process(arg);
}

static void conn_close(struct http_conn *c)
{
    if (c->depth) {
        c->dead = 1;
        return;
    }
    LIST_REMOVE(c, link);
    http_conn_open--;
    if (c->busy && c->req.on_close) {
        void (*cb)(struct http_request *, void *) = c->req.on_close;
        c->req.on_close = NULL;
        c->req.conn = NULL;
        cb(&c->req, c->req.close_arg);
    }
    event_free(c->rev);
    event_free(c->wev);
    event_free(c->resume);
    if (c->ssl) {
        if (!c->ssl_failed) {
            ERR_clear_error();
            SSL_shutdown(c->ssl); /* close_notify, best effort (non-blocking) */
        }
        SSL_free(c->ssl);
        ERR_clear_error();
    }
    close(c->fd);
    free(c->in);
    free(c->out);
    free(c);
}

/* Forget the connections past their deadline, and the refused ones. */
static void sweep(int only_refused)
{
    uint64_t now = now_ms();
    for (struct http_conn *c = LIST_FIRST(&conns), *next; c; c = next) {
        next = LIST_NEXT(c, link);
        uint64_t limit = phase_limit(c->phase);
        if (c->refused) {
            conn_close(c);
        } else if (!only_refused && limit && now - c->since_ms >= limit) {
            log_info("http: closing the connection of %s:%d: %s for over %llu ms", c->ip, c->port,
                     phase_name[c->phase], (unsigned long long)limit);
            http_conn_timeouts++;
            conn_close(c);
        }
    }
}

static void sweep_cb(evutil_socket_t fd, short what, void *arg) { sweep(0); }
static void kick_cb(evutil_socket_t fd, short what, void *arg) { sweep(1); }

static void accept_cb(struct evconnlistener *el, evutil_socket_t fd, struct sockaddr *sa, int salen, void *arg)
{
    struct http_conn *c = calloc(1, sizeof *c);
    char *in = malloc(IN_START);
    SSL *ssl = tls_ctx ? SSL_new(tls_ctx) : NULL;
    if (!c || !in || (tls_ctx && (!ssl || SSL_set_fd(ssl, fd) != 1))) {
        free(c);
        free(in);
        SSL_free(ssl);
        evutil_closesocket(fd);
        return;
    }
    if (ssl) {
        SSL_set_accept_state(ssl);
        SSL_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct event_base *base = server_base();
    c->fd = fd;
    c->ssl = ssl;
    c->in = in;
    c->in_cap = IN_START;
    c->rev = event_new(base, fd, EV_READ | EV_PERSIST, read_cb, c);
    c->wev = event_new(base, fd, EV_WRITE, write_cb, c);
    c->resume = event_new(base, -1, 0, resume_cb, c);
    c->since_ms = now_ms();
    const void *addr = sa->sa_family == AF_INET6 ? (const void *)&((struct sockaddr_in6 *)sa)->sin6_addr
                                                 : (const void *)&((struct sockaddr_in *)sa)->sin_addr;
    evutil_inet_ntop(sa->sa_family, addr, c->ip, sizeof c->ip);
    c->port = ntohs(sa->sa_family == AF_INET6 ? ((struct sockaddr_in6 *)sa)->sin6_port
                                              : ((struct sockaddr_in *)sa)->sin_port);
    if (http_conn_open >= (unsigned)http_limits.max_connections) {
        /* Make room by closing the connection that has waited longest without a request being
         * answered on it (idle keep-alive first, then slow senders and new connections that sent
         * nothing yet, oldest first); only when every one is busy is the new one refused. So slow
         * clients cannot lock normal ones out: a client that just connected is not closed before
         * the slow ones that came earlier. */
        struct http_conn *victim = NULL, *o;
        LIST_FOREACH(o, &conns, link) {
            int kept = o->phase == PH_IDLE && o->answered;
            if (!o->refused && o->phase != PH_BUSY && o->phase != PH_BODY &&
                (!victim || kept > (victim->phase == PH_IDLE && victim->answered) ||
                 (kept == (victim->phase == PH_IDLE && victim->answered) && o->since_ms < victim->since_ms)))
                victim = o;
        }
        http_conn_refused++;
        if (time(NULL) != refused_logged) { /* at most once a second */
            refused_logged = time(NULL);
            log_warn("http: %u connections open (config.http.max_connections): %s", http_conn_open,
                     victim ? "the oldest waiting one is closed" : "all are busy, the new one is refused");
        }
        if (victim) {
            conn_close(victim);
        } else {
            c->refused = 1; /* closed at the next turn */
            event_active(kick_ev, EV_TIMEOUT, 0);
        }
    }
    LIST_INSERT_HEAD(&conns, c, link);
    http_conn_open++;
    event_add(c->rev, NULL);
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
    ls_metrics_value(out, "lunasip_http_connections", "gauge", "HTTP connections open.", http_conn_open);
    ls_metrics_value(out, "lunasip_http_connections_refused_total", "counter",
                     "HTTP connections closed at once over config.http.max_connections.", http_conn_refused);
    ls_metrics_value(out, "lunasip_http_timeouts_total", "counter",
                     "HTTP connections closed for being too slow or idle too long.", http_conn_timeouts);
    ls_metrics_value(out, "lunasip_http_routes_refused_total", "counter",
                     "on_http requests answered 503 over config.http.max_routes.", http_routes_refused);
}

int http_conn_start(struct event_base *base, const char *host, int port, SSL_CTX *tls, char *err, size_t errlen)
{
    struct evutil_addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = EVUTIL_AI_PASSIVE };
    struct evutil_addrinfo *ai = NULL;
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", port);
    if (evutil_getaddrinfo(host, portstr, &hints, &ai) != 0 || !ai) {
        snprintf(err, errlen, "http %s:%d: cannot resolve the address", host, port);
        return -1;
    }
    listener = evconnlistener_new_bind(base, accept_cb, NULL, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
                                       1024, ai->ai_addr, (int)ai->ai_addrlen);
    evutil_freeaddrinfo(ai);
    if (!listener) {
        snprintf(err, errlen, "http %s:%d: cannot listen (address in use or not local?)", host, port);
        return -1;
    }
    tls_ctx = tls;
    struct timeval second = { 1, 0 };
    sweep_ev = event_new(base, -1, EV_PERSIST, sweep_cb, NULL);
    kick_ev = event_new(base, -1, 0, kick_cb, NULL);
    accept_retry = evtimer_new(base, accept_resume, NULL);
    event_add(sweep_ev, &second);
    evconnlistener_set_error_cb(listener, accept_error);
    ls_metrics_source(write_metrics, NULL);
    return 0;
}

int http_conn_bound_addr(struct sockaddr_storage *sa)
{
    evutil_socket_t fd = listener ? evconnlistener_get_fd(listener) : -1;
    socklen_t len = sizeof *sa;
    return fd >= 0 && getsockname(fd, (struct sockaddr *)sa, &len) == 0 ? 0 : -1;
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
    while (!LIST_EMPTY(&conns))
        conn_close(LIST_FIRST(&conns)); /* routes still waiting are cancelled (on_close) */
    http_conn_open = 0;
    if (listener)
        evconnlistener_free(listener);
    if (sweep_ev)
        event_free(sweep_ev);
    if (kick_ev)
        event_free(kick_ev);
    if (accept_retry)
        event_free(accept_retry);
    sweep_ev = kick_ev = accept_retry = NULL;
    listener = NULL;
    tls_ctx = NULL;
    draining = 0;
}
