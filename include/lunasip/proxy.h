/* Stateless proxy core: forwarding requests and replies, building and sending local replies.
 * Main loop only. */
#ifndef LUNASIP_PROXY_H
#define LUNASIP_PROXY_H
#include <lunasip/msg.h>
#include <lunasip/api.h>

LS_API_BEGIN
/* Target of a sip: or sips: URI: host (as written, brackets kept), port (default 5060, 5061 for
 * TLS) and transport (;transport=tcp|tls|ws|wss, else UDP; sips: is TLS, or WSS with ws). Returns 0, or -1 with a reason in err. */
int proxy_uri_target(const char *uri, char *host, size_t hostlen, int *port, enum sip_proto *proto,
                     char *err, size_t errlen);

/* Forward a request statelessly to uri (NULL: msg->du, else the R-URI). Adds Record-Route when
 * asked for, our Via with the stateless branch, decrements Max-Forwards unless the route did.
 * Name resolution may finish later; the message is sent as it is then.
 * Returns 0 when under way, -1 with a reason in err. */
int proxy_forward(struct sip_msg *msg, const char *uri, char *err, size_t errlen);

/* Outcome of proxy_send_request: dst is where the request went and buf/len its exact bytes
 * (valid during the call only), or dst == NULL and err says why it could not be sent. */
typedef void (*proxy_sent_fn)(void *arg, const struct sip_addr *dst, const char *buf, size_t len,
                              const char *err);

/* Send request msg to uri (NULL: msg->du, else the R-URI) the way proxy_forward does (Record-Route
 * when asked for, Max-Forwards), with our Via carrying branch (NULL: the stateless branch).
 * Returns 0 when under way: cb (may be NULL) is then called exactly once, possibly before this
 * returns (literal addresses resolve at once); arg must stay valid until then. Returns -1 with
 * a reason in err when nothing will be sent (bad URI, Max-Forwards 0): cb is not called. */
int proxy_send_request(struct sip_msg *msg, const char *uri, const char *branch,
                       proxy_sent_fn cb, void *arg, char *err, size_t errlen);

/* Forward a received reply to the next Via after removing ours. -1 when it is not for us. */
int proxy_forward_reply(struct sip_msg *msg);

/* A reply to req as bytes (malloc'd, *len set): the status line, the request's Via, From, To,
 * Call-ID and CSeq lines as received (the top Via with our received/rport), a To tag for
 * code > 100 when the To has none, then headers (complete lines, each ending in CRLF, or NULL),
 * Content-Length and body (NUL-terminated after len bytes). reason NULL: the RFC 3261 phrase.
 * NULL when out of memory. */
char *proxy_build_reply(const struct sip_msg *req, int code, const char *reason, const char *headers,
                        const char *body, size_t blen, size_t *len);

/* Send reply bytes for req where RFC 3261 §18.2.2 and RFC 3581 say: the connection req came on
 * for TCP, else the top Via's received/rport (set from the packet), from the listener req came
 * in on. Returns 0 or -1. */
int proxy_send_reply(const struct sip_msg *req, const char *buf, size_t len);

/* Reply to req (see proxy_build_reply), through a unit that keeps its transaction (the units'
 * on_local_reply hooks), else statelessly; marks req replied when code >= 200. Returns 0 or -1. */
int proxy_reply(struct sip_msg *req, int code, const char *reason, const char *headers, const char *body,
                size_t blen);

/* The RFC 3261 reason phrase of code ("Unknown" for codes it does not name). */
const char *proxy_reason(int code);

/* Send len bytes to host:port over proto (conn_id: TCP connection to prefer, or 0).
 * host may need resolving; buf is copied when it does. Returns 0 when under way, -1 otherwise. */
int proxy_send_to(const char *host, int port, enum sip_proto proto, uint64_t conn_id, const char *buf, size_t len);
/* The same from our listener lst (NULL: the transport's choice, see transport_send_listener):
 * replies leave from the listener their request came in on. */
int proxy_send_from(const struct listener *lst, const char *host, int port, enum sip_proto proto, uint64_t conn_id,
                    const char *buf, size_t len);

/* Max-Forwards handling for msg:max_forwards(): 0 when it arrived as 0, else the new value
 * (decremented, or 70 added when missing). Idempotent per message. */
int proxy_max_forwards(struct sip_msg *msg);

LS_API_END
#endif
