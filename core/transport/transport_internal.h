/* What transport.c, udp.c, tcp.c and resolve.c share. Not for units. Main loop only. */
#ifndef CORE_TRANSPORT_INTERNAL_H
#define CORE_TRANSPORT_INTERNAL_H
#include <lunasip/transport.h>

struct event;
struct evconnlistener;

/* The OS side of one listener, kept beside the public table (same index). */
struct transport_io {
    int fd;                    /* bound socket, -1 when unused */
    struct event *ev;          /* UDP read event */
    struct evconnlistener *el; /* TCP accept loop; owns fd */
    struct event *retry;       /* TCP: resumes accepting a second after accept() failed */
};

extern struct event_base *transport_base; /* set by the first transport_listen() */
extern int transport_tcp_idle_ms;
extern int tcp_max_connections;      /* tcp.c: config.tcp caps, see transport_set_tcp_limits() */
extern size_t tcp_max_output, tcp_max_output_total;

/* The io record of a listener from transport_listeners(). */
struct transport_io *transport_io(const struct listener *lst);

/* Non-blocking socket of the given type bound to lst->sa (IPV6_V6ONLY; SO_REUSEADDR for TCP
 * only: on UDP it would let a second server bind the same port silently);
 * updates lst->port from the bound address (port 0 binds an ephemeral one).
 * Returns the fd, or -1 with strerror in err. */
int transport_socket(struct listener *lst, int type, char *err, size_t errlen);

/* Numeric host ("1.2.3.4", "::1" or "[::1]") and port to an address. Returns 0, or -1 when
 * host is not an IP literal. */
int transport_addr_parse(const char *host, int port, struct sockaddr_storage *sa, socklen_t *salen);

/* Same family, address and port (IPv4/IPv6 only). */

/* Start reading datagrams on lst. Returns 0, or -1 with the reason in err. */
int udp_listen(struct listener *lst, char *err, size_t errlen);
/* Send to dst from the UDP listener of its family: at once (sendto), or, while a batch of
 * received datagrams is being handled, queued and sent with the batch's other sends
 * (sendmmsg) when it is done. Returns 0, or -1 when there is no UDP listener or sendto failed;
 * a queued datagram the kernel refuses later is logged and counted only. */
int udp_send(const struct sip_addr *dst, const char *buf, size_t len);

/* Start accepting connections on lst. Returns 0, or -1 with the reason in err. */
int tcp_listen(struct listener *lst, char *err, size_t errlen);
/* See transport_send_named() (TCP, TLS, WS and WSS). */
int tcp_send(const struct sip_addr *dst, uint64_t conn_id, const char *name, const char *buf, size_t len);
/* Close every TCP connection at once, dropping unsent bytes. */
void tcp_shutdown(void);

/* Destroy the c-ares channel; pending lookups get their callback with an error. */
/* At shutdown, before the units stop: fail the pending lookups now and every later one at once. */
void resolve_stop(void);
void resolve_shutdown(void);

#endif
