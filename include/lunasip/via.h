/* Via handling for a proxy (RFC 3261 §16.6, §18.2, RFC 3581) over the message API. */
#ifndef LUNASIP_VIA_H
#define LUNASIP_VIA_H
#include <stdint.h>
#include <lunasip/msg.h>
#include <lunasip/transport.h>
#include <lunasip/api.h>
#include <lunasip/hash.h>

LS_API_BEGIN
#define BRANCH_COOKIE "z9hG4bK"

/* FNV-1a of a span, chained (fnv1a and FNV_SEED: lunasip/hash.h). */
uint64_t fnv1a_span(uint64_t h, struct sip_str s); /* absent hashes like "" */

/* Set received= and rport= of the top Via of a received request from the packet's source
 * (msg->src), overwriting whatever the client put there: received when the sent-by host is
 * not the source address or rport is present (RFC 3581 §4), rport when the client asked for it.
 * Returns -1 when there is no parsable Via. */
int via_fix_request(struct sip_msg *msg);

/* The branch a stateless proxy puts in its Via: equal for retransmissions, for the CANCEL and
 * the negative-reply ACK of an INVITE, different for every other request (RFC 3261 §16.11).
 * Writes "z9hG4bK" + "sl" + 16 hex digits into out (at least 32 bytes). */
void via_branch_stateless(const struct sip_msg *msg, char *out, size_t len);

/* Our Via line "Via: SIP/2.0/<proto> host:port;branch=...\r\n" into buf; returns its length
 * (0 when it does not fit). */
size_t via_line(char *buf, size_t len, enum sip_proto proto, const char *host, int port, const char *branch);

/* True when via's sent-by names one of our listeners (a reply to a request we sent). */
int via_is_ours(const struct sip_via *via);

/* Remove the top Via value (ours) of a reply. Returns 0, or -1 when there is none. */
int via_pop(struct sip_msg *msg);

/* Where a reply travelling back along via goes: received or sent-by host, rport or sent-by port
 * (5060 when absent), and the Via's transport. Returns 0, or -1 when via is unusable. */
int via_reply_target(const struct sip_via *via, char *host, size_t hostlen, int *port, enum sip_proto *proto);

LS_API_END
#endif
