/* Transport table: listen specs, the listeners, address helpers and send dispatch.
 * The protocols live in udp.c and tcp.c, name lookups in resolve.c. Main loop only. */
#include "transport/transport_internal.h"
#include "transport/tls.h"
#include "log.h"
#include <lunasip/fmt.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define TRANSPORT_MAX_LISTENERS 16

struct event_base *transport_base;
int transport_tcp_idle_ms = 120000;

/* Fixed arrays: struct sip_source keeps pointers into lst_table. */
static struct listener lst_table[TRANSPORT_MAX_LISTENERS];
static struct transport_io io_table[TRANSPORT_MAX_LISTENERS];
static size_t lst_count;

static int transport_fail(char *err, size_t errlen, const char *spec, const char *why)
{
    if (err && errlen)
        snprintf(err, errlen, "%s: %s", spec, why);
    return -1;
}

int transport_addr_parse(const char *host, int port, struct sockaddr_storage *sa, socklen_t *salen)
{
    char ip[INET6_ADDRSTRLEN];
    size_t n = strlen(host);
    int bracketed = n >= 2 && host[0] == '[' && host[n - 1] == ']';
    if (bracketed) {
        host++;
        n -= 2;
    }
    if (n == 0 || n >= sizeof ip || port < 0 || port > 65535)
        return -1;
    memcpy(ip, host, n);
    ip[n] = '\0';
    memset(sa, 0, sizeof *sa);
    struct sockaddr_in *sin = (struct sockaddr_in *)sa;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)sa;
    if (!bracketed && inet_pton(AF_INET, ip, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)port);
        *salen = sizeof *sin;
    } else if (inet_pton(AF_INET6, ip, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)port);
        *salen = sizeof *sin6;
    } else {
        return -1;
    }
    return 0;
}

/* Port text of a spec: 1 to 5 digits, at most 65535 (0 asks for an ephemeral port). */
static int transport_parse_port(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 5 || strspn(s, "0123456789") != n)
        return -1;
    int port = atoi(s);
    return port > 65535 ? -1 : port;
}

int transport_parse_spec(const char *spec, enum sip_proto *proto, struct sockaddr_storage *sa,
                         socklen_t *salen, char *err, size_t errlen)
{
    if (!spec || !*spec)
        return transport_fail(err, errlen, "listen", "empty address");
    const char *p = spec, *colon1 = strchr(spec, ':');
    *proto = PROTO_UDP;
    if (colon1 && colon1 > p && colon1 - p <= 3 && isalpha((unsigned char)*p)
        && transport_proto_parse(p, (size_t)(colon1 - p), proto) == 0)
        p = colon1 + 1;
    char host[INET6_ADDRSTRLEN + 2];
    const char *port = NULL;
    size_t hostlen;
    const char *colon = strchr(p, ':');
    if (*p == '[') {
        const char *end = strchr(p, ']');
        if (!end)
            return transport_fail(err, errlen, spec, "missing ']'");
        if (end[1] == ':')
            port = end + 2;
        else if (end[1])
            return transport_fail(err, errlen, spec, "unexpected text after ']'");
        hostlen = (size_t)(end + 1 - p);
    } else if (colon && strchr(colon + 1, ':')) {
        hostlen = strlen(p); /* bare IPv6 literal, no port */
    } else {
        hostlen = colon ? (size_t)(colon - p) : strlen(p);
        port = colon ? colon + 1 : NULL;
    }
    if (hostlen == 0 || hostlen >= sizeof host)
        return transport_fail(err, errlen, spec, "bad address");
    memcpy(host, p, hostlen);
    host[hostlen] = '\0';
    int portnum = port ? transport_parse_port(port) : *proto == PROTO_TLS || *proto == PROTO_WSS ? 5061 : 5060;
    if (portnum < 0)
        return transport_fail(err, errlen, spec, "bad port");
    if (transport_addr_parse(host, portnum, sa, salen) < 0) {
        size_t alpha = 0;
        while (isalpha((unsigned char)spec[alpha]))
            alpha++;
        if (alpha && spec[alpha] == ':' && p == spec)
            return transport_fail(err, errlen, spec, "unknown transport (use udp:, tcp:, tls:, ws: or wss:)");
        return transport_fail(err, errlen, spec, "not a numeric IPv4 or IPv6 address");
    }
    return 0;
}

int transport_socket(struct listener *lst, int type, char *err, size_t errlen)
{
    int one = 1, fd = socket(lst->sa.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    socklen_t len = sizeof lst->sa;
    if (fd < 0 || (type == SOCK_STREAM && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
        || (lst->sa.ss_family == AF_INET6
            && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) < 0)
        || bind(fd, (struct sockaddr *)&lst->sa, lst->salen) < 0
        || getsockname(fd, (struct sockaddr *)&lst->sa, &len) < 0) {
        int e = errno;
        snprintf(err, errlen, "%s", strerror(e));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    char ip[INET6_ADDRSTRLEN];
    lst->salen = len;
    addr_ip_port(&lst->sa, ip, sizeof ip, &lst->port);
    snprintf(lst->host, sizeof lst->host, lst->sa.ss_family == AF_INET6 ? "[%s]" : "%s", ip);
    return fd;
}

int transport_listen(struct event_base *base, const char *spec, char *err, size_t errlen)
{
    if (lst_count == TRANSPORT_MAX_LISTENERS)
        return transport_fail(err, errlen, spec, "too many listeners");
    if (transport_base && base != transport_base)
        return transport_fail(err, errlen, spec, "listeners must share one event base");
    struct listener *lst = &lst_table[lst_count];
    memset(lst, 0, sizeof *lst);
    if (transport_parse_spec(spec, &lst->proto, &lst->sa, &lst->salen, err, errlen) < 0)
        return -1;
    transport_base = base;
    io_table[lst_count] = (struct transport_io){ .fd = -1 };
    char why[256];
    int rc = PROTO_STREAM(lst->proto) ? tcp_listen(lst, why, sizeof why) : udp_listen(lst, why, sizeof why);
    if (rc < 0)
        return transport_fail(err, errlen, spec, why);
    lst_count++;
    log_debug("listening on %s:%s:%d", transport_proto_name(lst->proto), lst->host, lst->port);
    return 0;
}

void transport_shutdown(void)
{
    tcp_shutdown();
    for (size_t i = 0; i < lst_count; i++) {
        struct transport_io *io = &io_table[i];
        if (io->ev)
            event_free(io->ev);
        if (io->retry)
            event_free(io->retry);
        if (io->el)
            evconnlistener_free(io->el); /* closes fd */
        else if (io->fd >= 0)
            close(io->fd);
        *io = (struct transport_io){ .fd = -1 };
    }
    lst_count = 0;
    resolve_shutdown();
    tls_shutdown();
    transport_base = NULL;
}

struct transport_io *transport_io(const struct listener *lst)
{
    return &io_table[lst - lst_table];
}

const struct listener *transport_listeners(size_t *count)
{
    *count = lst_count;
    return lst_table;
}

const struct listener *transport_listener_for(enum sip_proto proto, int family)
{
    for (size_t i = 0; i < lst_count; i++)
        if (lst_table[i].proto == proto && lst_table[i].sa.ss_family == family)
            return &lst_table[i];
    for (size_t i = 0; i < lst_count; i++)
        if (lst_table[i].proto == proto)
            return &lst_table[i];
    return lst_count ? &lst_table[0] : NULL;
}

const struct listener *transport_listener_find(const char *spec, char *err, size_t errlen)
{
    enum sip_proto proto;
    struct sockaddr_storage sa;
    socklen_t salen;
    if (transport_parse_spec(spec, &proto, &sa, &salen, err, errlen) < 0)
        return NULL;
    for (size_t i = 0; i < lst_count; i++)
        if (lst_table[i].proto == proto && transport_addr_equal(&lst_table[i].sa, &sa))
            return &lst_table[i];
    snprintf(err, errlen, "'%s' is not one of our listeners", spec);
    return NULL;
}

const struct listener *transport_send_listener(const struct sip_addr *dst)
{
    const struct listener *want = dst->lst;
    if (want && want->proto == dst->proto && want->sa.ss_family == dst->sa.ss_family)
        return want;
    for (size_t i = 0; want && want->sa.ss_family == dst->sa.ss_family && i < lst_count; i++)
        if (lst_table[i].proto == dst->proto && transport_addr_equal(&lst_table[i].sa, &want->sa))
            return &lst_table[i];
    return transport_listener_for(dst->proto, dst->sa.ss_family);
}

char *transport_listener_str(const struct listener *lst, char *buf, size_t len)
{
    snprintf(buf, len, "%s:%s:%d", transport_proto_name(lst->proto), lst->host, lst->port);
    return buf;
}

int transport_addr_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family)
        return 0;
    if (a->ss_family == AF_INET) {
        const struct sockaddr_in *x = (const struct sockaddr_in *)a, *y = (const struct sockaddr_in *)b;
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    if (a->ss_family == AF_INET6) {
        const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a, *y = (const struct sockaddr_in6 *)b;
        return x->sin6_port == y->sin6_port
               && memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
    }
    return 0;
}

int transport_is_local(const char *host, int port)
{
    struct sockaddr_storage sa;
    socklen_t salen;
    if (!host || transport_addr_parse(host, port ? port : 5060, &sa, &salen) < 0)
        return 0;
    for (size_t i = 0; i < lst_count; i++)
        if (transport_addr_equal(&sa, &lst_table[i].sa))
            return 1;
    return 0;
}

int transport_send_named(const struct sip_addr *dst, uint64_t conn_id, const char *name, const char *buf,
                         size_t len)
{
    return PROTO_STREAM(dst->proto) ? tcp_send(dst, conn_id, name, buf, len) : udp_send(dst, buf, len);
}

int transport_send(const struct sip_addr *dst, uint64_t conn_id, const char *buf, size_t len)
{
    return transport_send_named(dst, conn_id, NULL, buf, len);
}

static const char *const proto_names[] = { "udp", "tcp", "tls", "ws", "wss" };
static const char *const proto_via[] = { "UDP", "TCP", "TLS", "WS", "WSS" };

const char *transport_proto_name(enum sip_proto proto)
{
    return (unsigned)proto <= PROTO_WSS ? proto_names[proto] : "?";
}

const char *transport_proto_via(enum sip_proto proto)
{
    return (unsigned)proto <= PROTO_WSS ? proto_via[proto] : "?";
}

int transport_proto_parse(const char *name, size_t len, enum sip_proto *proto)
{
    for (int i = 0; i <= PROTO_WSS; i++)
        if (strlen(proto_names[i]) == len && strncasecmp(name, proto_names[i], len) == 0) {
            *proto = (enum sip_proto)i;
            return 0;
        }
    return -1;
}

void transport_set_tcp_idle_timeout(int ms)
{
    transport_tcp_idle_ms = ms > 0 ? ms : 120000;
}

void transport_cancel_pending(void)
{
    resolve_stop();
}

void transport_set_tcp_limits(int max_connections, size_t max_output, size_t max_output_total)
{
    if (max_connections > 0)
        tcp_max_connections = max_connections;
    if (max_output)
        tcp_max_output = max_output;
    if (max_output_total)
        tcp_max_output_total = max_output_total;
}

void addr_ip_port(const struct sockaddr_storage *sa, char *ip, size_t len, int *port)
{
    const void *a = NULL;
    int p = 0;
    if (sa->ss_family == AF_INET && len >= INET_ADDRSTRLEN) { /* what inet_ntop writes, ~10x faster */
        const unsigned char *b = (const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr;
        char *q = ip;
        for (int i = 0; i < 4; i++) {
            q = fmt_uint(q, b[i]);
            *q++ = i < 3 ? '.' : '\0';
        }
        if (port)
            *port = ntohs(((const struct sockaddr_in *)sa)->sin_port);
        return;
    }
    if (sa->ss_family == AF_INET) {
        a = &((const struct sockaddr_in *)sa)->sin_addr;
        p = ntohs(((const struct sockaddr_in *)sa)->sin_port);
    } else if (sa->ss_family == AF_INET6) {
        a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        p = ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
    }
    if (!a || !inet_ntop(sa->ss_family, a, ip, (socklen_t)len))
        snprintf(ip, len, "?");
    if (port)
        *port = p;
}

char *addr_str(const struct sockaddr_storage *sa, char *buf, size_t len)
{
    char ip[INET6_ADDRSTRLEN];
    int port;
    addr_ip_port(sa, ip, sizeof ip, &port);
    snprintf(buf, len, sa->ss_family == AF_INET6 ? "[%s]:%d" : "%s:%d", ip, port);
    return buf;
}
