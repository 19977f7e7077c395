/* SIP over UDP: one datagram is one message. Main loop only.
 *
 * Datagrams are read in batches (recvmmsg). The UDP sends made while a batch is handled are
 * queued and leave together (sendmmsg) once every datagram of the batch has been handled, so
 * a burst costs two system calls per batch instead of two per message. A send made at any
 * other time (timers, resolved names, TCP or HTTP input) goes out at once. */
#include "transport/transport_internal.h"
#include "log.h"
#include "stats.h"
#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define UDP_BATCH 32               /* datagrams per recvmmsg, sends per sendmmsg */
#define UDP_READS_PER_EVENT 64     /* datagrams read per readiness event before yielding */
#define UDP_OUT_BYTES (256 * 1024) /* queued send bytes; a send that does not fit flushes first */

/* Receive slots: one datagram plus its NUL each; one more byte than accepted so MSG_TRUNC
 * tells oversize. Only the pages a datagram reaches are ever touched. */
static char udp_in[UDP_BATCH][SIP_MAX_MESSAGE + 2];

/* Sends queued while a received batch is handled (udp_batching set). */
struct udp_out {
    const struct listener *lst; /* the socket's listener: its fd must not have changed */
    int fd;
    struct sip_addr dst;
    size_t off, len; /* bytes in out_buf */
};
static struct udp_out out_q[UDP_BATCH];
static char out_buf[UDP_OUT_BYTES];
static int out_n;
static size_t out_used;
static int udp_batching;

/* Nothing but CR/LF: a keepalive, not a message. */
static int udp_is_keepalive(const char *buf, size_t n)
{
    return n <= 4 && strspn(buf, "\r\n") == n;
}

static void udp_send_failed(const struct sip_addr *dst, size_t len, int e)
{
    char to[64];
    if (e == EAGAIN || e == EWOULDBLOCK)
        log_debug("udp send to %s: %s", addr_str(&dst->sa, to, sizeof to), strerror(e));
    else
        log_warn("udp send of %zu bytes to %s: %s", len, addr_str(&dst->sa, to, sizeof to), strerror(e));
    stats_inc(STAT_TX_ERRORS);
}

/* Send the queued datagrams: one sendmmsg per run of sends on the same socket. A datagram
 * the kernel refuses is logged and counted, and the rest still go. */
static void udp_flush(void)
{
    struct mmsghdr mh[UDP_BATCH];
    struct iovec iov[UDP_BATCH];
    int n = out_n;
    out_n = 0;
    out_used = 0;
    for (int i = 0; i < n;) {
        const struct udp_out *q = &out_q[i];
        int run = 0;
        for (; i + run < n && out_q[i + run].fd == q->fd; run++) {
            const struct udp_out *o = &out_q[i + run];
            iov[run] = (struct iovec){ .iov_base = out_buf + o->off, .iov_len = o->len };
            mh[run] = (struct mmsghdr){ .msg_hdr = { .msg_name = (void *)&o->dst.sa, .msg_namelen = o->dst.salen,
                                                     .msg_iov = &iov[run], .msg_iovlen = 1 } };
        }
        if (transport_io(q->lst)->fd != q->fd) { /* the transports were shut down meanwhile */
            for (int k = 0; k < run; k++)
                stats_inc(STAT_TX_ERRORS);
        } else {
            for (int done = 0; done < run;) {
                int r = sendmmsg(q->fd, mh + done, (unsigned)(run - done), 0);
                if (r < 0 && errno == EINTR)
                    continue;
                if (r <= 0) { /* the datagram at done failed: skip it */
                    udp_send_failed(&out_q[i + done].dst, out_q[i + done].len, r < 0 ? errno : EIO);
                    done++;
                    continue;
                }
                stats[STAT_TX_MESSAGES] += (uint64_t)r;
                done += r;
            }
        }
        i += run;
    }
}

/* One received datagram (NUL-terminated in buf[len]). */
static void udp_datagram(char *buf, size_t len, const struct sip_source *src)
{
    if (len > SIP_MAX_MESSAGE) {
        char from[64];
        stats_inc(STAT_RX_OVERSIZE);
        log_warn("udp datagram of %zu bytes from %s refused (limit %d)", len,
                 addr_str(&src->addr.sa, from, sizeof from), SIP_MAX_MESSAGE);
        buf[SIP_MAX_MESSAGE + 1] = '\0';
        sip_reject_oversize(buf, SIP_MAX_MESSAGE + 1, src);
        return;
    }
    buf[len] = '\0';
    if (len == 0 || udp_is_keepalive(buf, len))
        return;
    stats_inc(STAT_RX_MESSAGES);
    sip_receive(buf, len, src);
}

/* recvmmsg's slots, set up once (udp_read_cb is never re-entered). */
static struct mmsghdr rx_mh[UDP_BATCH];
static struct iovec rx_iov[UDP_BATCH];
static struct sip_source rx_src[UDP_BATCH];

static void udp_read_cb(evutil_socket_t fd, short what, void *arg)
{
    const struct listener *lst = arg;
    struct mmsghdr *mh = rx_mh;
    struct sip_source *src = rx_src;
    (void)what;
    if (!rx_mh[0].msg_hdr.msg_iov)
        for (int i = 0; i < UDP_BATCH; i++) {
            rx_iov[i] = (struct iovec){ .iov_base = udp_in[i], .iov_len = SIP_MAX_MESSAGE + 1 };
            rx_mh[i].msg_hdr = (struct msghdr){ .msg_name = &rx_src[i].addr.sa, .msg_iov = &rx_iov[i], .msg_iovlen = 1 };
        }
    for (int got = 0; got < UDP_READS_PER_EVENT;) {
        for (int i = 0; i < UDP_BATCH; i++)
            mh[i].msg_hdr.msg_namelen = sizeof src[i].addr.sa;
        /* MSG_TRUNC: msg_len is the datagram's real length, also when it did not fit */
        int n = recvmmsg(fd, mh, UDP_BATCH, MSG_TRUNC, NULL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                log_debug("udp recvmmsg on %s:%d: %s", lst->host, lst->port, strerror(errno));
            return;
        }
        udp_batching = 1;
        for (int i = 0; i < n; i++) {
            src[i].addr.proto = PROTO_UDP;
            src[i].addr.salen = mh[i].msg_hdr.msg_namelen;
            src[i].lst = lst;
            src[i].conn_id = 0;
            udp_datagram(udp_in[i], mh[i].msg_len, &src[i]);
            if (transport_io(lst)->fd != fd)
                break; /* the callee shut the transports down */
        }
        udp_batching = 0;
        udp_flush();
        if (transport_io(lst)->fd != fd || n < UDP_BATCH)
            return; /* drained: the next datagram wakes the loop again */
        got += n;
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
    const struct listener *lst = transport_send_listener(dst);
    if (!lst || lst->proto != PROTO_UDP) {
        log_warn("udp send to %s: no UDP listener", addr_str(&dst->sa, to, sizeof to));
        stats_inc(STAT_TX_ERRORS);
        return -1;
    }
    int fd = transport_io(lst)->fd;
    if (udp_batching && len <= UDP_OUT_BYTES) {
        if (out_n == UDP_BATCH || out_used + len > UDP_OUT_BYTES)
            udp_flush();
        out_q[out_n++] = (struct udp_out){ .lst = lst, .fd = fd, .dst = *dst, .off = out_used, .len = len };
        memcpy(out_buf + out_used, buf, len);
        out_used += len;
        return 0;
    }
    ssize_t n = sendto(fd, buf, len, 0, (const struct sockaddr *)&dst->sa, dst->salen);
    if (n < 0) {
        udp_send_failed(dst, len, errno);
        return -1;
    }
    stats_inc(STAT_TX_MESSAGES);
    return 0;
}
