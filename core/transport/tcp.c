/* SIP over TCP and TLS: accepted and outgoing connections, message framing by Content-Length,
 * connection reuse by peer address, idle timeout. A TLS connection is a TCP connection whose
 * bufferevent is libevent's OpenSSL one (tls.c makes the SSL objects). Main loop only.
 *
 * A connection is never freed while its messages are being delivered: sip_receive() may
 * send on it or close it; tcp_close() then only marks it dead and the read callback frees
 * it once delivery returns. */
#include "transport/transport_internal.h"
#include "transport/tls.h"
#include "transport/ws.h"
#include "log.h"
#include <lunasip/loop.h>
#include "stats.h"
#include <ctype.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <inttypes.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define TCP_BUCKETS 1024                /* hash buckets of each connection index */
#define TCP_LINGER_MS 2000              /* closing: time to flush our output, then the peer's */

struct tcp_conn {
    uint64_t id;
    struct bufferevent *bev;
    struct event *idle;         /* idle timer, re-armed lazily from last_ms */
    struct sip_source src;      /* peer address, our listener, conn_id == id */
    struct ws_conn *ws;         /* ws:/wss: connections: WebSocket state, else NULL */
    char *alias;                /* ws/wss: the client's Contact host (xxx.invalid), or NULL */
    struct tcp_conn *next_alias;/* chain in tcp_by_alias */
    uint64_t last_ms;           /* last bytes read, written or queued (monotonic ms) */
    size_t scanned;             /* input bytes already searched for the end of headers */
    struct tcp_conn *next_id;   /* chain in tcp_by_id */
    struct tcp_conn *next_addr; /* chain in tcp_by_addr */
    int busy;                   /* > 0 while delivering messages */
    unsigned connecting : 1;    /* outgoing connect (and TLS handshake) not finished */
    unsigned handshaking : 1;   /* TLS: handshake not finished */
    unsigned closing : 1;       /* input discarded; finish once the output is flushed */
    unsigned peer_eof : 1;      /* the peer closed its side */
    unsigned lingering : 1;     /* our FIN sent: close on the peer's EOF or the timer */
    unsigned dead : 1;          /* closed and unindexed; freed when busy drops to 0 */
};

static struct tcp_conn *tcp_by_id[TCP_BUCKETS], *tcp_by_addr[TCP_BUCKETS], *tcp_by_alias[TCP_BUCKETS];
static uint64_t tcp_next_id = 1;
static char tcp_buf[SIP_MAX_MESSAGE + 1]; /* the message being delivered, NUL-terminated */
int tcp_max_connections = TCP_DEFAULT_MAX_CONNECTIONS;
size_t tcp_max_output = TCP_DEFAULT_MAX_OUTPUT, tcp_max_output_total = TCP_DEFAULT_MAX_OUTPUT_TOTAL;
static size_t tcp_queued;                 /* unsent bytes across all connections */

static uint64_t tcp_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static size_t tcp_addr_hash(const struct sockaddr_storage *sa)
{
    const unsigned char *p = (const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr;
    size_t n = 4;
    uint32_t h = 2166136261u ^ ((const struct sockaddr_in *)sa)->sin_port; /* same offset in v6 */
    if (sa->ss_family == AF_INET6) {
        p = (const unsigned char *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
        n = 16;
    }
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h % TCP_BUCKETS;
}

static struct tcp_conn *tcp_find_id(uint64_t id)
{
    for (struct tcp_conn *c = tcp_by_id[id % TCP_BUCKETS]; c; c = c->next_id)
        if (c->id == id)
            return c->closing ? NULL : c;
    return NULL;
}

/* An open connection of proto with this peer, inbound or outgoing; made from or accepted on
 * lst when lst is given. */
static struct tcp_conn *tcp_find_addr(const struct sockaddr_storage *sa, enum sip_proto proto,
                                      const struct listener *lst)
{
    for (struct tcp_conn *c = tcp_by_addr[tcp_addr_hash(sa)]; c; c = c->next_addr)
        if (!c->closing && c->src.addr.proto == proto && (!lst || c->src.lst == lst) &&
            transport_addr_equal(&c->src.addr.sa, sa))
            return c;
    return NULL;
}

static size_t tcp_alias_hash(const char *host)
{
    uint32_t h = 2166136261u;
    for (; *host; host++)
        h = (h ^ (unsigned char)tolower((unsigned char)*host)) * 16777619u;
    return h % TCP_BUCKETS;
}

static void tcp_alias_unlink(struct tcp_conn *c)
{
    if (!c->alias)
        return;
    struct tcp_conn **pp = &tcp_by_alias[tcp_alias_hash(c->alias)];
    while (*pp != c)
        pp = &(*pp)->next_alias;
    *pp = c->next_alias;
    free(c->alias);
    c->alias = NULL;
}

void transport_ws_alias(uint64_t conn_id, const char *host, size_t len)
{
    struct tcp_conn *c = tcp_find_id(conn_id);
    if (!c || !c->ws || len == 0 || len > 255 || (c->alias && strlen(c->alias) == len && !strncasecmp(c->alias, host, len)))
        return;
    tcp_alias_unlink(c);
    if (!(c->alias = strndup(host, len)))
        return;
    size_t h = tcp_alias_hash(c->alias);
    c->next_alias = tcp_by_alias[h];
    tcp_by_alias[h] = c;
}

int transport_ws_lookup(const char *host, struct sip_addr *dst)
{
    for (struct tcp_conn *c = tcp_by_alias[tcp_alias_hash(host)]; c; c = c->next_alias)
        if (!c->closing && strcasecmp(c->alias, host) == 0) {
            *dst = c->src.addr;
            return 0;
        }
    return -1;
}

static void tcp_unlink(struct tcp_conn *c)
{
    tcp_alias_unlink(c);
    struct tcp_conn **pp = &tcp_by_id[c->id % TCP_BUCKETS];
    while (*pp != c)
        pp = &(*pp)->next_id;
    *pp = c->next_id;
    pp = &tcp_by_addr[tcp_addr_hash(&c->src.addr.sa)];
    while (*pp != c)
        pp = &(*pp)->next_addr;
    *pp = c->next_addr;
}

static const char *tcp_peer(const struct tcp_conn *c, char *buf, size_t len)
{
    return addr_str(&c->src.addr.sa, buf, len);
}

static const char *tcp_name(const struct tcp_conn *c)
{
    return transport_proto_name(c->src.addr.proto);
}

/* Keeps tcp_queued, the bytes queued across connections. */
static void tcp_output_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
    tcp_queued += info->n_added;
    tcp_queued -= info->n_deleted;
}

/* Close at once (unsent bytes are dropped). Frees c unless it is delivering. */
static void tcp_close(struct tcp_conn *c)
{
    if (!c->dead) {
        c->dead = 1;
        tcp_unlink(c);
        stats_dec(STAT_TCP_CONNECTIONS);
        bufferevent_disable(c->bev, EV_READ | EV_WRITE);
        evtimer_del(c->idle);
    }
    if (c->busy)
        return;
    if (c->ws)
        ws_free(c->ws);
    free(c->ws);
    struct evbuffer *out = bufferevent_get_output(c->bev);
    evbuffer_remove_cb(out, tcp_output_cb, c);
    tcp_queued -= evbuffer_get_length(out);
    event_free(c->idle);
    bufferevent_free(c->bev);
    free(c);
}

static void tcp_idle_arm(struct tcp_conn *c, uint64_t ms)
{
    ls_timer_arm(c->idle, (long)ms);
}

/* A closing connection's output is flushed. Unless the peer is gone: send FIN and drain what
 * it still sends (so the kernel does not answer that with a reset that could destroy our last
 * reply), closing on its EOF or after TCP_LINGER_MS. */
static void tcp_flushed(struct tcp_conn *c)
{
    if (c->peer_eof) {
        tcp_close(c);
    } else if (!c->lingering) {
        c->lingering = 1;
        shutdown(bufferevent_getfd(c->bev), SHUT_WR);
        tcp_idle_arm(c, TCP_LINGER_MS);
    }
}

/* Deliver nothing more; close once what was queued (e.g. a 513 reply) has been written, or
 * after TCP_LINGER_MS when the peer does not read it. */
static void tcp_close_after_flush(struct tcp_conn *c)
{
    if (c->dead || c->closing)
        return;
    c->closing = 1;
    tcp_idle_arm(c, TCP_LINGER_MS);
    if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
        tcp_flushed(c);
}

static void tcp_idle_cb(evutil_socket_t fd, short what, void *arg)
{
    struct tcp_conn *c = arg;
    char peer[64];
    uint64_t limit = (uint64_t)transport_tcp_idle_ms, quiet = tcp_now_ms() - c->last_ms;
    (void)fd, (void)what;
    if (quiet < limit && !c->closing) {
        tcp_idle_arm(c, limit - quiet);
        return;
    }
    if (c->ws && c->ws->open && !c->ws->pinged && !c->closing) { /* browsers answer pings, not CRLF */
        c->ws->pinged = 1;
        ws_ping(bufferevent_get_output(c->bev));
        c->last_ms = tcp_now_ms();
        tcp_idle_arm(c, limit);
        return;
    }
    if (c->connecting) {
        log_warn("%s connect to %s timed out", tcp_name(c), tcp_peer(c, peer, sizeof peer));
        stats_inc(STAT_TX_ERRORS);
    } else {
        log_debug("%s connection %" PRIu64 " with %s %s, closing", tcp_name(c), c->id, tcp_peer(c, peer, sizeof peer),
                  c->closing ? "closing timed out" : "idle");
    }
    tcp_close(c);
}

/* Content-Length of the header block h[0..n), which ends with CRLFCRLF: 0 when absent,
 * -1 when malformed or given twice with different values, values above SIP_MAX_MESSAGE
 * reported as SIP_MAX_MESSAGE + 1. */
static long tcp_content_length(const char *h, size_t n)
{
    long cl = 0;
    int seen = 0;
    const char *end = h + n, *line = memchr(h, '\n', n); /* skip the start line */
    while (line && ++line < end) {
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        if (!eol)
            break;
        size_t name = 0; /* length of a Content-Length name starting the line */
        if (eol - line >= 14 && strncasecmp(line, "content-length", 14) == 0)
            name = 14;
        else if (*line == 'l' || *line == 'L')
            name = 1;
        const char *p = line + name;
        while (name && p < eol && (*p == ' ' || *p == '\t'))
            p++;
        if (name && p < eol && *p == ':') {
            long v = 0;
            for (p++; p < eol && (*p == ' ' || *p == '\t'); p++)
                ;
            if (p == eol || !isdigit((unsigned char)*p))
                return -1;
            for (; p < eol && isdigit((unsigned char)*p); p++)
                if (v <= SIP_MAX_MESSAGE)
                    v = v * 10 + (*p - '0');
            while (p < eol && (*p == ' ' || *p == '\t' || *p == '\r'))
                p++;
            if (p != eol)
                return -1;
            v = v > SIP_MAX_MESSAGE ? SIP_MAX_MESSAGE + 1 : v;
            if (seen++ && v != cl)
                return -1; /* two lengths: no framing is safe (the parser refuses both anyway) */
            cl = v;
        }
        line = eol;
    }
    return cl;
}

/* Refuse a message too large to accept: its first n bytes go to sip_reject_oversize(),
 * then the connection closes after the reply. Returns -1. */
static int tcp_refuse(struct tcp_conn *c, struct evbuffer *in, size_t n, const char *why)
{
    char peer[64];
    size_t take = n < SIP_MAX_MESSAGE ? n : SIP_MAX_MESSAGE;
    ev_ssize_t got = evbuffer_copyout(in, tcp_buf, take);
    tcp_buf[got > 0 ? got : 0] = '\0';
    stats_inc(STAT_RX_OVERSIZE);
    log_warn("%s message from %s refused: %s", tcp_name(c), tcp_peer(c, peer, sizeof peer), why);
    sip_reject_oversize(tcp_buf, got > 0 ? (size_t)got : 0, &c->src);
    tcp_close_after_flush(c);
    return -1;
}

/* Deliver the first complete message buffered in `in`. Returns 1 when one was delivered,
 * 0 when more bytes are needed, -1 when the connection is being closed. */
static int tcp_frame(struct tcp_conn *c, struct evbuffer *in)
{
    size_t avail = evbuffer_get_length(in), crlf = 0;
    for (unsigned char *p; avail && (p = evbuffer_pullup(in, 1)) && (*p == '\r' || *p == '\n'); avail--) {
        evbuffer_drain(in, 1); /* CRLFs before a start line: keepalives (RFC 5626 pings) */
        crlf++;
    }
    if (crlf) {
        c->scanned = 0;
        if (crlf >= 4)
            bufferevent_write(c->bev, "\r\n", 2); /* pong */
    }
    if (!avail)
        return 0;
    struct evbuffer_ptr start, end;
    evbuffer_ptr_set(in, &start, c->scanned, EVBUFFER_PTR_SET);
    end = evbuffer_search(in, "\r\n\r\n", 4, &start);
    if (end.pos < 0) {
        if (avail > SIP_MAX_MESSAGE)
            return tcp_refuse(c, in, avail, "headers longer than the message limit");
        c->scanned = avail > 3 ? avail - 3 : 0;
        return 0;
    }
    size_t hlen = (size_t)end.pos + 4;
    if (hlen > SIP_MAX_MESSAGE)
        return tcp_refuse(c, in, hlen, "headers longer than the message limit");
    long cl = tcp_content_length((const char *)evbuffer_pullup(in, (ev_ssize_t)hlen), hlen);
    if (cl < 0) {
        char peer[64];
        stats_inc(STAT_RX_BAD);
        log_warn("%s message from %s has a bad Content-Length, closing", tcp_name(c), tcp_peer(c, peer, sizeof peer));
        tcp_close_after_flush(c);
        return -1;
    }
    if (hlen + (size_t)cl > SIP_MAX_MESSAGE)
        return tcp_refuse(c, in, hlen, "Content-Length too large");
    size_t total = hlen + (size_t)cl;
    if (avail < total)
        return 0;
    evbuffer_remove(in, tcp_buf, total);
    tcp_buf[total] = '\0';
    c->scanned = 0;
    stats_inc(STAT_RX_MESSAGES);
    sip_receive(tcp_buf, total, &c->src);
    return 1;
}

/* WebSocket: handle the handshake or one frame; deliver a complete message. Same results as
 * tcp_frame() (control frames and the handshake count as progress). */
static int tcp_ws_frame(struct tcp_conn *c, struct evbuffer *in)
{
    char why[256], peer[64];
    size_t len = 0;
    c->ws->pinged = 0;
    switch (ws_read(c->ws, in, bufferevent_get_output(c->bev), tcp_buf, sizeof tcp_buf, &len, why, sizeof why)) {
    case WS_MORE:
        return 0;
    case WS_CONTROL:
        return 1;
    case WS_MESSAGE:
        stats_inc(STAT_RX_MESSAGES);
        sip_receive(tcp_buf, len, &c->src);
        return 1;
    case WS_CLOSE:
        break;
    }
    if (strncmp(why, "closed by the peer", 18) == 0) {
        log_debug("%s connection %" PRIu64 " with %s %s", tcp_name(c), c->id, tcp_peer(c, peer, sizeof peer), why);
    } else {
        stats_inc(STAT_RX_BAD);
        log_warn("%s connection %" PRIu64 " with %s: %s, closing", tcp_name(c), c->id, tcp_peer(c, peer, sizeof peer),
                 why);
    }
    tcp_close_after_flush(c);
    return -1;
}

static void tcp_read_cb(struct bufferevent *bev, void *arg)
{
    struct tcp_conn *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    c->last_ms = tcp_now_ms();
    if (c->closing) {
        evbuffer_drain(in, evbuffer_get_length(in));
        return;
    }
    c->busy++;
    while (!c->dead && !c->closing && (c->ws ? tcp_ws_frame(c, in) : tcp_frame(c, in)) > 0)
        ;
    c->busy--;
    if (c->closing && !c->dead)
        evbuffer_drain(in, evbuffer_get_length(in));
    if (c->dead)
        tcp_close(c);
}

/* Output drained. */
static void tcp_write_cb(struct bufferevent *bev, void *arg)
{
    struct tcp_conn *c = arg;
    (void)bev;
    c->last_ms = tcp_now_ms();
    if (c->closing)
        tcp_flushed(c);
}

static void tcp_event_cb(struct bufferevent *bev, short what, void *arg)
{
    int e = EVUTIL_SOCKET_ERROR();
    struct tcp_conn *c = arg;
    char peer[64];
    (void)bev;
    tcp_peer(c, peer, sizeof peer);
    if (what & BEV_EVENT_CONNECTED) {
        log_debug("%s connection %" PRIu64 " %s %s established", tcp_name(c), c->id, c->connecting ? "to" : "from",
                  peer);
        c->connecting = c->handshaking = 0;
        c->last_ms = tcp_now_ms();
        return;
    }
    if (c->handshaking) { /* bad handshake, plain text, unverifiable certificate: one line */
        char why[512];
        log_warn("tls %s %s failed: %s", c->connecting ? "connect to" : "handshake with", peer,
                 tls_error(bev, why, sizeof why));
        stats_inc(STAT_TLS_ERRORS);
        if (c->connecting)
            stats_inc(STAT_TX_ERRORS);
        tcp_close(c);
        return;
    }
    if ((what & BEV_EVENT_EOF) && !c->connecting && !c->closing
        && evbuffer_get_length(bufferevent_get_output(c->bev)) > 0) {
        c->peer_eof = 1; /* half-closed: still write what is queued */
        bufferevent_disable(c->bev, EV_READ);
        tcp_close_after_flush(c);
        return;
    }
    if (c->connecting) {
        log_warn("%s connect to %s failed: %s", tcp_name(c), peer, e ? strerror(e) : "connection closed");
        stats_inc(STAT_TX_ERRORS);
    } else if (what & BEV_EVENT_ERROR) {
        log_debug("%s connection %" PRIu64 " with %s: %s, closing", tcp_name(c), c->id, peer, strerror(e));
    } else {
        log_debug("%s connection %" PRIu64 " closed by %s", tcp_name(c), c->id, peer);
    }
    tcp_close(c);
}

static void tcp_nodelay(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* Index a new connection of proto on fd (which it owns from now on, even on failure). ssl
 * (owned too) makes it a TLS connection: accepting, or connecting when outgoing. */
static struct tcp_conn *tcp_conn_new(int fd, const struct listener *lst, const struct sockaddr *sa,
                                     socklen_t salen, enum sip_proto proto, SSL *ssl, int outgoing)
{
    struct tcp_conn *c = calloc(1, sizeof *c);
    if (c && ssl) {
        c->bev = bufferevent_openssl_socket_new(transport_base, fd, ssl,
                                                outgoing ? BUFFEREVENT_SSL_CONNECTING : BUFFEREVENT_SSL_ACCEPTING,
                                                BEV_OPT_CLOSE_ON_FREE);
        if (c->bev) {
            ssl = NULL; /* the bufferevent frees it */
            bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
        }
    } else if (c) {
        c->bev = bufferevent_socket_new(transport_base, fd, BEV_OPT_CLOSE_ON_FREE);
    }
    if (c)
        c->idle = evtimer_new(transport_base, tcp_idle_cb, c);
    if (!c || !c->bev || !c->idle || salen > sizeof c->src.addr.sa) {
        log_error("%s: cannot set up a connection (out of memory?)", transport_proto_name(proto));
        if (c && c->idle)
            event_free(c->idle);
        if (c && c->bev)
            bufferevent_free(c->bev);
        else
            close(fd);
        SSL_free(ssl);
        free(c);
        return NULL;
    }
    c->id = tcp_next_id++;
    c->handshaking = proto == PROTO_TLS || proto == PROTO_WSS;
    if ((proto == PROTO_WS || proto == PROTO_WSS) && !(c->ws = calloc(1, sizeof *c->ws))) {
        log_error("%s: cannot set up a connection (out of memory?)", transport_proto_name(proto));
        bufferevent_free(c->bev);
        event_free(c->idle);
        free(c);
        return NULL;
    }
    c->src = (struct sip_source){ .addr = { .proto = proto, .salen = salen }, .lst = lst, .conn_id = c->id };
    memcpy(&c->src.addr.sa, sa, salen);
    c->last_ms = tcp_now_ms();
    c->next_id = tcp_by_id[c->id % TCP_BUCKETS];
    tcp_by_id[c->id % TCP_BUCKETS] = c;
    size_t h = tcp_addr_hash(&c->src.addr.sa);
    c->next_addr = tcp_by_addr[h];
    tcp_by_addr[h] = c;
    stats_inc(STAT_TCP_CONNECTIONS);
    evbuffer_add_cb(bufferevent_get_output(c->bev), tcp_output_cb, c);
    bufferevent_setcb(c->bev, tcp_read_cb, tcp_write_cb, tcp_event_cb, c);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
    tcp_idle_arm(c, (uint64_t)transport_tcp_idle_ms);
    return c;
}

static void tcp_accept_cb(struct evconnlistener *el, evutil_socket_t fd, struct sockaddr *sa,
                          int salen, void *arg)
{
    const struct listener *lst = arg;
    SSL *ssl = NULL;
    (void)el;
    if (stats[STAT_TCP_CONNECTIONS] >= (uint64_t)tcp_max_connections) {
        static time_t logged;
        stats_inc(STAT_TCP_REFUSED);
        if (time(NULL) != logged) { /* at most once a second */
            logged = time(NULL);
            log_warn("tcp: %d connections open (config.tcp.max_connections): new connections refused",
                     tcp_max_connections);
        }
        close(fd);
        return;
    }
    tcp_nodelay(fd);
    if ((lst->proto == PROTO_TLS || lst->proto == PROTO_WSS) && !(ssl = tls_server_ssl())) {
        log_error("%s: cannot set up a connection (no TLS context)", transport_proto_name(lst->proto));
        close(fd);
        return;
    }
    struct tcp_conn *c = tcp_conn_new(fd, lst, sa, (socklen_t)salen, lst->proto, ssl, 0);
    if (c) {
        char peer[64];
        log_debug("%s connection %" PRIu64 " from %s on %s:%d", tcp_name(c), c->id,
                  tcp_peer(c, peer, sizeof peer), lst->host, lst->port);
    }
}

static void tcp_accept_resume(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    evconnlistener_enable(arg);
}

/* accept() failed (e.g. out of descriptors): pause this listener for a second, not spin. */
static void tcp_accept_error_cb(struct evconnlistener *el, void *arg)
{
    const struct listener *lst = arg;
    struct transport_io *io = transport_io(lst);
    struct timeval second = { 1, 0 };
    log_warn("tcp accept on %s:%d: %s", lst->host, lst->port, strerror(EVUTIL_SOCKET_ERROR()));
    if (!io->retry)
        io->retry = evtimer_new(transport_base, tcp_accept_resume, el);
    if (io->retry && evtimer_add(io->retry, &second) == 0)
        evconnlistener_disable(el);
}

int tcp_listen(struct listener *lst, char *err, size_t errlen)
{
    if ((lst->proto == PROTO_TLS || lst->proto == PROTO_WSS) && !tls_server_ready()) {
        snprintf(err, errlen, "config.tls needs cert and key for a %s listener", transport_proto_name(lst->proto));
        return -1;
    }
    int fd = transport_socket(lst, SOCK_STREAM, err, errlen);
    if (fd < 0)
        return -1;
    struct transport_io *io = transport_io(lst);
    io->fd = fd;
    io->el = evconnlistener_new(transport_base, tcp_accept_cb, lst,
                                LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 128, fd);
    if (!io->el) {
        snprintf(err, errlen, "%s", strerror(errno));
        close(fd);
        *io = (struct transport_io){ .fd = -1 };
        return -1;
    }
    evconnlistener_set_error_cb(io->el, tcp_accept_error_cb);
    return 0;
}

/* Start an outgoing TCP or TLS connection to dst from the listener transport_send_listener()
 * picks (name: see transport_send_named()). NULL (logged) when it cannot even start. */
static struct tcp_conn *tcp_connect(const struct sip_addr *dst, const char *name, const struct listener *lst)
{
    char to[64];
    const char *pn = transport_proto_name(dst->proto);
    addr_str(&dst->sa, to, sizeof to);
    if (dst->proto == PROTO_WS || dst->proto == PROTO_WSS) {
        log_warn("%s send to %s: no open WebSocket connection (clients connect to us)", pn, to);
        return NULL;
    }
    if (!lst || lst->proto != dst->proto) {
        log_warn("%s send to %s: no %s listener to send from", pn, to, pn);
        return NULL;
    }
    if (stats[STAT_TCP_CONNECTIONS] >= (uint64_t)tcp_max_connections) {
        log_warn("tcp connect to %s: %d connections open (config.tcp.max_connections)", to, tcp_max_connections);
        return NULL;
    }
    int fd = socket(dst->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        log_warn("tcp connect to %s: %s", to, strerror(errno));
        return NULL;
    }
    tcp_nodelay(fd);
    if (lst->sa.ss_family == dst->sa.ss_family) { /* leave from the listener's address */
        struct sockaddr_storage src = lst->sa;
        ((struct sockaddr_in *)&src)->sin_port = 0; /* same offset in v6 */
        if (bind(fd, (struct sockaddr *)&src, lst->salen) < 0) {
            log_warn("tcp connect to %s: bind to %s: %s", to, lst->host, strerror(errno));
            close(fd);
            return NULL;
        }
    }
    SSL *ssl = NULL;
    if (dst->proto == PROTO_TLS) { /* connect first: the SSL bufferevent starts its handshake on fd */
        if ((connect(fd, (const struct sockaddr *)&dst->sa, dst->salen) < 0 && errno != EINPROGRESS)
            || !(ssl = tls_client_ssl(NULL, name, &dst->sa))) {
            log_warn("tls connect to %s: %s", to, ssl ? strerror(errno) : "cannot create a TLS session");
            close(fd);
            return NULL;
        }
    }
    struct tcp_conn *c = tcp_conn_new(fd, lst, (const struct sockaddr *)&dst->sa, dst->salen, dst->proto, ssl, 1);
    if (!c)
        return NULL;
    c->connecting = 1;
    if (!ssl && bufferevent_socket_connect(c->bev, (const struct sockaddr *)&dst->sa, (int)dst->salen) < 0) {
        log_warn("tcp connect to %s: %s", to, strerror(errno));
        tcp_close(c);
        return NULL;
    }
    log_debug("%s connection %" PRIu64 " connecting to %s", pn, c->id, to);
    return c;
}

int tcp_send(const struct sip_addr *dst, uint64_t conn_id, const char *name, const char *buf, size_t len)
{
    char to[64];
    struct tcp_conn *c = conn_id ? tcp_find_id(conn_id) : NULL;
    const struct listener *lst = dst->lst ? transport_send_listener(dst) : NULL;
    if (!c)
        c = tcp_find_addr(&dst->sa, dst->proto, lst);
    if (!c)
        c = tcp_connect(dst, name, lst ? lst : transport_send_listener(dst));
    if (!c) {
        stats_inc(STAT_TX_ERRORS);
        return -1;
    }
    size_t queued = evbuffer_get_length(bufferevent_get_output(c->bev));
    if (queued + len > tcp_max_output || (tcp_queued + len > tcp_max_output_total && queued)) {
        log_warn("%s send to %s: %zu bytes queued for it, %zu for all (config.tcp.max_output%s): "
                 "the peer does not read, closing", tcp_name(c), tcp_peer(c, to, sizeof to), queued, tcp_queued,
                 queued + len > tcp_max_output ? "" : "_total");
        stats_inc(STAT_TCP_OVERFLOW);
        stats_inc(STAT_TX_ERRORS);
        tcp_close(c);
        return -1;
    }
    if (tcp_queued + len > tcp_max_output_total) {
        log_warn("%s send to %s: %zu bytes queued in all (config.tcp.max_output_total), message dropped", tcp_name(c),
                 tcp_peer(c, to, sizeof to), tcp_queued);
        stats_inc(STAT_TX_ERRORS);
        return -1;
    }
    if (c->ws && !c->ws->open) {
        log_warn("%s send to %s: the WebSocket handshake is not done, message dropped", tcp_name(c),
                 tcp_peer(c, to, sizeof to));
        stats_inc(STAT_TX_ERRORS);
        return -1;
    }
    if (c->ws ? ws_write(bufferevent_get_output(c->bev), buf, len) < 0 : bufferevent_write(c->bev, buf, len) < 0) {
        log_warn("%s send to %s: cannot queue %zu bytes", tcp_name(c), tcp_peer(c, to, sizeof to), len);
        stats_inc(STAT_TX_ERRORS);
        return -1;
    }
    c->last_ms = tcp_now_ms();
    stats_inc(STAT_TX_MESSAGES);
    return 0;
}

void tcp_shutdown(void)
{
    for (size_t i = 0; i < TCP_BUCKETS; i++)
        while (tcp_by_id[i])
            tcp_close(tcp_by_id[i]);
}
