/* SIP transports: UDP and TCP listeners, sending, TCP connection reuse, async name resolution.
 * Everything here runs on the main libevent loop; nothing blocks. */
#ifndef LUNASIP_TRANSPORT_H
#define LUNASIP_TRANSPORT_H
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <lunasip/api.h>

LS_API_BEGIN
struct event_base;

/* TLS is TCP with an SSL filter; WS/WSS carry one SIP message per WebSocket message over a
 * TCP/TLS connection the peer opened (we never connect out over WebSocket). */
enum sip_proto { PROTO_UDP = 0, PROTO_TCP = 1, PROTO_TLS = 2, PROTO_WS = 3, PROTO_WSS = 4 };

/* Connection-oriented (TCP, TLS, WS, WSS): replies go back on the connection. */
#define PROTO_STREAM(p) ((p) != PROTO_UDP)
/* Encrypted (TLS, WSS): what a sips: URI needs on every hop (RFC 5630). */
#define PROTO_SECURE(p) ((p) == PROTO_TLS || (p) == PROTO_WSS)

/* "udp", "tcp", "tls", "ws", "wss" (lower case: msg.proto, ;transport=, listen specs). */
const char *transport_proto_name(enum sip_proto proto);
/* "UDP", "TCP", "TLS", "WS", "WSS" (the Via transport). */
const char *transport_proto_via(enum sip_proto proto);
/* Case-insensitive name of len bytes to a proto. Returns 0, or -1 when unknown. */
int transport_proto_parse(const char *name, size_t len, enum sip_proto *proto);

#define SIP_MAX_MESSAGE 65535 /* largest SIP message accepted on any transport */

/* Where to send: the peer's transport and address, and optionally the listener of ours to send
 * from (Kamailio's forced send socket); NULL lets transport_send_listener() pick. */
struct sip_addr {
    enum sip_proto proto;
    struct sockaddr_storage sa;
    socklen_t salen;
    const struct listener *lst;  /* our listener to send from, or NULL */
};

struct listener {
    enum sip_proto proto;
    struct sockaddr_storage sa;
    socklen_t salen;
    char host[64]; /* printable address for Via/Record-Route: "127.0.0.1" or "[::1]" */
    int port;
};

/* Where a received message came from. */
struct sip_source {
    struct sip_addr addr;        /* the peer's address and transport */
    const struct listener *lst;  /* our socket it arrived on */
    uint64_t conn_id;            /* TCP connection id (never 0), 0 for UDP */
};

/* Parse "udp:127.0.0.1:5060", "tcp:[::1]:5061", "tls:", "ws:", "wss:" (proto defaults to udp,
 * port to 5060, 5061 for tls).
 * Returns 0, or -1 with a reason in err. */
int transport_parse_spec(const char *spec, enum sip_proto *proto, struct sockaddr_storage *sa,
                         socklen_t *salen, char *err, size_t errlen);

/* Open a listener. Returns 0, or -1 with the reason (e.g. "udp:127.0.0.1:5060: Address in use"). */
int transport_listen(struct event_base *base, const char *spec, char *err, size_t errlen);

/* Close every listener and TCP connection (at exit). */
void transport_shutdown(void);

/* Listeners in the order they were opened. */
const struct listener *transport_listeners(size_t *count);

/* Listener to send from for proto and address family (AF_INET/AF_INET6); falls back to a
 * listener of the same proto and another family, then to any listener. NULL if there are none. */
const struct listener *transport_listener_for(enum sip_proto proto, int family);

/* The listener a "proto:addr:port" spec names exactly (Kamailio's socket form, e.g. a dispatcher
 * list's socket=udp:10.0.0.1:5060; proto defaults to udp, port to 5060). NULL with the reason in
 * err when the spec does not parse or no listener has that proto, address and port. */
const struct listener *transport_listener_find(const char *spec, char *err, size_t errlen);

/* The listener a send to dst leaves from: dst->lst when it has dst's proto and address family;
 * else the listener on dst->lst's address and port with dst's proto (udp:A:5060 given, a TCP
 * destination: tcp:A:5060, as Kamailio does); else transport_listener_for(). NULL if none. */
const struct listener *transport_send_listener(const struct sip_addr *dst);

/* "udp:127.0.0.1:5060", "tcp:[::1]:5061" for lst into buf (at least 80 bytes). Returns buf. */
char *transport_listener_str(const struct listener *lst, char *buf, size_t len);

/* True when host:port names one of our listeners (any proto). host may be bracketed IPv6.
 * port 0 means the default 5060. */
int transport_is_local(const char *host, int port);

/* Send one message. UDP: from the listener transport_send_listener() picks, at once or, while
 * the datagrams of one receive batch are handled, together with that batch's other sends when it
 * is done (kernel errors of such a send are logged and counted, not returned). TCP: on connection
 * conn_id when it is still open, else on an open connection to dst (with dst->lst: one made from
 * or accepted on that listener), else a new outgoing connection bound to the address of the
 * listener transport_send_listener() picks (connect is asynchronous; the bytes are queued
 * meanwhile). Returns 0 when sent or queued, -1 when it cannot be (no listener for the proto,
 * connect refused at once, ...). */
int transport_send(const struct sip_addr *dst, uint64_t conn_id, const char *buf, size_t len); /* counts STAT_TX_ERRORS itself */
/* The same; name (a host name or NULL) is what a new TLS connection asks for (SNI) and checks
 * the server certificate against; without one the certificate must name the IP address.
 * WS/WSS: only on a connection the peer opened (by conn_id, else by address). */
int transport_send_named(const struct sip_addr *dst, uint64_t conn_id, const char *name, const char *buf,
                         size_t len);

/* A WebSocket client on connection conn_id names itself host (the unresolvable "xxx.invalid"
 * host of its Contact, RFC 7118 §5): requests to that host go over that connection.
 * The core calls it for messages received over ws/wss. */
void transport_ws_alias(uint64_t conn_id, const char *host, size_t len);
/* The peer address of the open ws/wss connection whose client named itself host. Returns 0,
 * or -1 when there is none. */
int transport_ws_lookup(const char *host, struct sip_addr *dst);

/* Idle TCP connections (no bytes either way) are closed after this many ms (default 120000).
 * A connection holding a partial message for this long is closed too. */
void transport_set_tcp_idle_timeout(int ms);

/* TCP caps (config.tcp): open connections (inbound over it are closed at once, outgoing ones
 * fail), bytes queued for one peer and for all peers. A peer whose queue would pass either is
 * not reading: its connection is closed. 0 keeps the current value. */
#define TCP_DEFAULT_MAX_CONNECTIONS 1024
#define TCP_DEFAULT_MAX_OUTPUT (1024 * 1024)
#define TCP_DEFAULT_MAX_OUTPUT_TOTAL (64 * 1024 * 1024)
void transport_set_tcp_limits(int max_connections, size_t max_output, size_t max_output_total);

/* Resolve host (name, IPv4 or IPv6 literal, bracketed or not) to an address with port.
 * Literals call cb before returning; names go through c-ares (/etc/hosts, then A and AAAA,
 * IPv4 preferred) and call cb later.
 * cb gets err != 0 and sa == NULL when the name does not resolve. */
typedef void (*resolve_cb)(int err, const struct sockaddr_storage *sa, socklen_t salen, void *arg);
void transport_resolve(const char *host, int port, resolve_cb cb, void *arg);

/* True when a and b are the same address and port (IPv4 or IPv6). */
int transport_addr_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b);

/* RFC 3263 targets for a SIP URI's host, in the order to try. port 0: the URI gives none; proto:
 * the URI's transport (or the default when proto_given is 0). A literal host is its own target;
 * a port means A/AAAA only; a transport without a port means SRV for that transport; neither
 * means NAPTR (SIP+D2U, SIP+D2T), then SRV (_sip._udp, _sip._tcp), then A/AAAA on 5060. SRV
 * targets come by priority, then weighted random (RFC 2782). cb gets err != 0 and n == 0 when
 * nothing resolves; targets is valid during the call only. Non-blocking (c-ares on the loop). */
typedef void (*resolve_sip_cb)(int err, const struct sip_addr *targets, int n, void *arg);
void transport_resolve_sip(const char *host, int port, enum sip_proto proto, int proto_given, resolve_sip_cb cb,
                           void *arg);
/* The target after `failed` in a recent transport_resolve_sip() answer (for failover on a
 * timeout or transport error): 0 with *next set, -1 when there is none. */
int transport_resolve_next(const struct sip_addr *failed, struct sip_addr *next);
/* At shutdown, before the units stop: fail the name lookups still pending (their callbacks
 * run now, with an error) and fail every later one at once. */
void transport_cancel_pending(void);

/* Printable "ip:port" ("[v6]:port") of sa into buf (at least 64 bytes). Returns buf. */
char *addr_str(const struct sockaddr_storage *sa, char *buf, size_t len);
/* Printable ip only (no brackets), and the port of sa. */
void addr_ip_port(const struct sockaddr_storage *sa, char *ip, size_t len, int *port);

/* Implemented by the core (core/sip.c), called by transports. */

/* A complete message arrived: buf holds len bytes plus a NUL at buf[len]; the callee may
 * modify buf but must not keep it after returning. */
void sip_receive(char *buf, size_t len, const struct sip_source *src);

/* A message too large to accept arrived (buf holds at least its first line, NUL-terminated).
 * The core answers 513 when it is a request whose first line parses; the transport then
 * closes a TCP connection after the reply was written. */
void sip_reject_oversize(const char *buf, size_t len, const struct sip_source *src);

LS_API_END
#endif
