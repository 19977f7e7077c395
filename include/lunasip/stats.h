/* SIP traffic counters the core and units add to (core/stats.c), shown by /metrics and
 * sip.stats(). Main loop only. */
#ifndef LUNASIP_STATS_H
#define LUNASIP_STATS_H
#include <lunasip/api.h>

LS_API_BEGIN
struct sip_msg;

/* A reply with status code was sent for request req (local or relayed, stateless or
 * stateful; retransmissions are not counted again): counted by class, and a final reply
 * observes the time from req's arrival to now in req's method latency histogram (only for
 * requests received from the network, req->rx_us != 0; req may be NULL). */
void ls_stats_reply_sent(const struct sip_msg *req, int code);
/* A message was forwarded: a request (reply 0) or a reply (1), by tm (stateful 1) or not. */
void ls_stats_forwarded(int stateful, int reply);
/* Now on the monotonic clock, in microseconds (never 0), for sip_msg.rx_us. */
long long ls_stats_now_us(void);

LS_API_END
#endif
