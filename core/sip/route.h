/* Record-Route and Route processing for a proxy (RFC 3261 §16.4, §16.6 step 6-7, §16.12).
 * Pure functions over messages; "is this us" is asked through is_local. */
#ifndef CORE_ROUTE_H
#define CORE_ROUTE_H
#include <lunasip/msg.h>
#include <lunasip/transport.h>

typedef int (*route_is_local_fn)(const char *host, int port);

/* True when the URI (bytes) names one of our addresses (port defaults to 5060, 5061 for sips). */
int route_uri_is_local(struct sip_str uri, route_is_local_fn is_local);

/* Process Route headers of a received request:
 *  - R-URI is a Record-Route value of ours (no user part, our address, ;lr) and Route headers
 *    exist: the previous hop was a strict router; the last Route becomes the R-URI again
 *    (a user at our address, sip:bob@us, is a callee and stays);
 *  - leading Route entries that are ours are removed;
 *  - a remaining top Route with ;lr is the next hop (*next_hop, malloc'd URI string);
 *    without ;lr (strict next hop) the R-URI moves to the end of the Route set and the top Route
 *    becomes the R-URI (*next_hop stays NULL: forward to the R-URI).
 * Returns 1 when the request carried Route headers (the route set decided the next hop),
 * 0 when it had none, -1 on an unusable Route value. */
int route_loose(struct sip_msg *msg, route_is_local_fn is_local, char **next_hop);

/* Insert Record-Route: <sip:host:port[;transport=tcp|tls|ws|wss];lr> on top; for a sips request
 * (sips != 0) through a TLS or WSS listener <sips:host:port[;transport=ws];lr> (RFC 3261 §16.6
 * step 4). Returns 0 or -1. */
int route_record(struct sip_msg *msg, enum sip_proto proto, const char *host, int port, int sips);

#endif
