/* Name resolution for next hops: IP literals at once, names through evdns (/etc/hosts
 * first, then the nameservers of /etc/resolv.conf). No SRV/NAPTR. Main loop only. */
#include "transport/transport_internal.h"
#include "log.h"
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct evdns_base *resolve_dns; /* created on the first name lookup */
static unsigned resolve_pending;        /* lookups whose callback has not run yet */

struct resolve_req {
    resolve_cb cb;
    void *arg;
    int port;
    char host[256]; /* for the log */
};

/* Prefer an IPv4 answer (A), then IPv6 (AAAA). Calls the user callback once, frees req. */
static void resolve_done(int err, struct evutil_addrinfo *res, void *arg)
{
    struct resolve_req *req = arg;
    const struct evutil_addrinfo *pick = NULL;
    for (const struct evutil_addrinfo *ai = res; ai; ai = ai->ai_next)
        if ((ai->ai_family == AF_INET || ai->ai_family == AF_INET6)
            && (!pick || (pick->ai_family != AF_INET && ai->ai_family == AF_INET)))
            pick = ai;
    if (err || !pick || pick->ai_addrlen > sizeof(struct sockaddr_storage)) {
        log_debug("resolve %s: %s", req->host, err ? evutil_gai_strerror(err) : "no address");
        req->cb(err ? err : EVUTIL_EAI_NONAME, NULL, 0, req->arg);
    } else {
        struct sockaddr_storage sa;
        memset(&sa, 0, sizeof sa);
        memcpy(&sa, pick->ai_addr, pick->ai_addrlen);
        ((struct sockaddr_in *)&sa)->sin_port = htons((uint16_t)req->port); /* same offset in v6 */
        req->cb(0, &sa, (socklen_t)pick->ai_addrlen, req->arg);
    }
    if (res)
        evutil_freeaddrinfo(res);
    free(req);
    resolve_pending--;
}

/* Port 0 means 5060. A name needs transport_listen() to have set the event base. */
void transport_resolve(const char *host, int port, resolve_cb cb, void *arg)
{
    struct sockaddr_storage sa;
    socklen_t salen;
    if (port <= 0 || port > 65535)
        port = 5060;
    if (transport_addr_parse(host, port, &sa, &salen) == 0) {
        cb(0, &sa, salen, arg);
        return;
    }
    if (!resolve_dns && transport_base)
        resolve_dns = evdns_base_new(transport_base, EVDNS_BASE_INITIALIZE_NAMESERVERS
                                                     | EVDNS_BASE_DISABLE_WHEN_INACTIVE);
    struct resolve_req *req = resolve_dns ? malloc(sizeof *req) : NULL;
    if (!req) {
        log_warn("resolve %s: no resolver available", host);
        cb(EVUTIL_EAI_FAIL, NULL, 0, arg);
        return;
    }
    *req = (struct resolve_req){ .cb = cb, .arg = arg, .port = port };
    snprintf(req->host, sizeof req->host, "%s", host);
    resolve_pending++;
    struct evutil_addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM };
    evdns_getaddrinfo(resolve_dns, host, NULL, &hints, resolve_done, req); /* always calls back */
}

/* evdns fails pending lookups through deferred callbacks: one pass of the loop runs them,
 * so every callback still runs once and nothing leaks. */
void resolve_shutdown(void)
{
    if (!resolve_dns)
        return;
    evdns_base_free(resolve_dns, 1);
    resolve_dns = NULL;
    if (resolve_pending)
        event_base_loop(transport_base, EVLOOP_NONBLOCK);
    if (resolve_pending)
        log_warn("%u name lookups still pending at shutdown", resolve_pending);
}
