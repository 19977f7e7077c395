/* SIP over UDP: one datagram is one message. Main loop only. */
#include "transport/transport_internal.h"
#include "log.h"
#include "stats.h"
#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define UDP_READS_PER_EVENT 64 /* datagrams read per readiness event before yielding */

/* One datagram plus its NUL; one more byte than accepted so MSG_TRUNC tells oversize. */
static char udp_buf[SIP_MAX_MESSAGE + 2];

/* Nothing but CR/LF: a keepalive, not a message. */
static int udp_is_keepalive(const char *buf, size_t n)
{
    return n <= 4 && strspn(buf, "\r\n") == n;
}

static void udp_read_cb(evutil_socket_t fd, short what, void *arg)
{
    const struct listener *lst = arg;
    (void)what;
    for (int i = 0; i < UDP_READS_PER_EVENT; i++) {
        struct sip_source src = { .addr = { .proto = PROTO_UDP }, .lst = lst };
        src.addr.salen = sizeof src.addr.sa;
        ssize_t n = recvfrom(fd, udp_buf, SIP_MAX_MESSAGE + 1, MSG_TRUNC,
                             (struct sockaddr *)&src.addr.sa, &src.addr.salen);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                log_debug("udp recvfrom on %s:%d: %s", lst->host, lst->port, strerror(errno));
            return;
        }
        size_t len = (size_t)n;
        if (len > SIP_MAX_MESSAGE) {
            char from[64];
            stats_inc(STAT_RX_OVERSIZE);
            log_warn("udp datagram of %zu bytes from %s refused (limit %d)", len,
                     addr_str(&src.addr.sa, from, sizeof from), SIP_MAX_MESSAGE);
            udp_buf[SIP_MAX_MESSAGE + 1] = '\0';
            sip_reject_oversize(udp_buf, SIP_MAX_MESSAGE + 1, &src);
        } else {
            udp_buf[len] = '\0';
            if (len == 0 || udp_is_keepalive(udp_buf, len))
                continue;
            stats_inc(STAT_RX_MESSAGES);
            sip_receive(udp_buf, len, &src);
        }
        if (transport_io(lst)->fd != fd)
            return; /* the callee shut the transports down */
    }
}

int udp_listen(struct listener *lst, char *err, size_t errlen)
{
    int fd = transport_socket(lst, SOCK_DGRAM, err, errlen);
    if (fd < 0)
        return -1;
    /* Bursts of datagrams must wait in the kernel while a route runs: ask for a large receive
     * buffer (the kernel caps it at net.core.rmem_max) instead of the ~200 KB default. */
    int rcvbuf = 4 * 1024 * 1024;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    struct transport_io *io = transport_io(lst);
    io->fd = fd;
    io->ev = event_new(transport_base, fd, EV_READ | EV_PERSIST, udp_read_cb, lst);
    if (!io->ev || event_add(io->ev, NULL) < 0) {
        snprintf(err, errlen, "cannot add the read event");
        if (io->ev)
            event_free(io->ev);
        close(fd);
        *io = (struct transport_io){ .fd = -1 };
        return -1;
    }
    return 0;
}

int udp_send(const struct sip_addr *dst, const char *buf, size_t len)
{
    char to[64];
    const struct listener *lst = transport_listener_for(PROTO_UDP, dst->sa.ss_family);
    if (!lst || lst->proto != PROTO_UDP) {
        log_warn("udp send to %s: no UDP listener", addr_str(&dst->sa, to, sizeof to));
        stats_inc(STAT_TX_ERRORS);
        return -1;
    }
    ssize_t n = sendto(transport_io(lst)->fd, buf, len, 0, (const struct sockaddr *)&dst->sa, dst->salen);
    if (n < 0) {
        int e = errno;
        if (e == EAGAIN || e == EWOULDBLOCK)
            log_debug("udp send to %s: %s", addr_str(&dst->sa, to, sizeof to), strerror(e));
        else
            log_warn("udp send of %zu bytes to %s: %s", len, addr_str(&dst->sa, to, sizeof to), strerror(e));
        stats_inc(STAT_TX_ERRORS);
        return -1;
    }
    stats_inc(STAT_TX_MESSAGES);
    return 0;
}
