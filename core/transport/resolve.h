/* Resolver settings (config.dns) and the RFC 2782 ordering of SRV records. Not for units.
 * Main loop only. */
#ifndef CORE_RESOLVE_H
#define CORE_RESOLVE_H
#include <lunasip/transport.h>

struct resolve_settings {
    char servers[512];   /* "127.0.0.1:5353,[::1]:53"; empty: the system's (/etc/resolv.conf) */
    int timeout_ms;      /* first try's timeout (c-ares doubles it on later tries) */
    int tries;           /* attempts per server */
};
#define RESOLVE_SETTINGS_DEFAULT ((struct resolve_settings){ "", 2000, 2 })

/* Whether s is usable: 0, or -1 with the reason. */
int resolve_check(const struct resolve_settings *s, char *err, size_t errlen);
/* Use s from the next lookup on (the channel is rebuilt once no lookup is in flight).
 * Returns 0, or -1 with the reason when the server list does not parse. */
int resolve_configure(const struct resolve_settings *s, char *err, size_t errlen);

/* One SRV record. */
struct resolve_srv {
    unsigned short priority, weight, port;
    enum sip_proto proto;
    char host[256];
};
/* Order v as RFC 2782 says: priority ascending; within a priority a weighted random draw
 * (zero weights first, each next pick with probability weight / sum of the rest). rnd returns
 * random numbers (a test passes its own). */
void resolve_srv_order(struct resolve_srv *v, int n, unsigned (*rnd)(void *), void *rarg);

#endif
