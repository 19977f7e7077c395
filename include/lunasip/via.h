/* Via handling for a proxy (RFC 3261 §16.6, §18.2, RFC 3581). Pure functions over osip messages. */
#ifndef LUNASIP_VIA_H
#define LUNASIP_VIA_H
#include <osipparser2/osip_parser.h>
#include <stdint.h>
#include <lunasip/transport.h>

#define BRANCH_COOKIE "z9hG4bK"

/* 64-bit FNV-1a over len bytes, chained from h (start with FNV_SEED). */
#define FNV_SEED 0xcbf29ce484222325ULL
uint64_t fnv1a(uint64_t h, const void *data, size_t len);
uint64_t fnv1a_str(uint64_t h, const char *s); /* NULL hashes like "" */

/* Add received= (when the sent-by host is not the source IP) and fill an empty rport with the
 * source port, on the top Via of a received request. Returns -1 when there is no Via. */
int via_fix_request(osip_message_t *m, const struct sockaddr_storage *src);

/* The branch a stateless proxy puts in its Via: equal for retransmissions, for the CANCEL and
 * the negative-reply ACK of an INVITE, different for every other request (RFC 3261 §16.11).
 * Writes "z9hG4bK" + "sl" + 16 hex digits into out (at least 32 bytes). */
void via_branch_stateless(osip_message_t *m, char *out, size_t len);

/* Insert our Via (SIP/2.0/<proto> host:port;branch=...) on top. Returns 0 or -1. */
int via_push(osip_message_t *m, enum sip_proto proto, const char *host, int port, const char *branch);

/* True when via's sent-by names one of our listeners (a reply to a request we sent). */
int via_is_ours(const osip_via_t *via);

/* Remove the top Via (ours). Returns 0, or -1 when there is none. */
int via_pop(osip_message_t *m);

/* Where a reply travelling back along via goes: received or sent-by host, rport or sent-by port
 * (5060 when absent), and the Via's transport. Returns 0, or -1 when via is unusable. */
int via_reply_target(const osip_via_t *via, char *host, size_t hostlen, int *port, enum sip_proto *proto);

/* The value of a Via parameter (e.g. "branch"), NULL when absent or valueless. */
const char *via_param(const osip_via_t *via, const char *name);

#endif
