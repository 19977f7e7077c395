/* Name resolution for next hops with c-ares on the libevent loop: IP literals at once, names as
 * RFC 3263 says (NAPTR, then SRV with priorities and weights, then A/AAAA; /etc/hosts first for
 * addresses). The name servers are the system's, or config.dns.servers. Main loop only. */
#include "transport/resolve.h"
#include "transport/transport_internal.h"
#include "log.h"
#include <ares.h>
#include <arpa/nameser.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define RESOLVE_MAX_SRV 16     /* SRV records used per lookup */
#define RESOLVE_RECENT 64      /* answers remembered for transport_resolve_next() */

static ares_channel channel;   /* created on the first lookup */
static int channel_ok;
static struct event *timeout_ev;
static unsigned resolve_pending; /* lookups whose callback has not run yet */
static struct resolve_settings settings = RESOLVE_SETTINGS_DEFAULT;
static int settings_dirty;       /* settings changed while the channel was busy */

/* One watched c-ares socket. */
struct dns_sock {
    struct dns_sock *next;
    int fd;
    struct event *ev;
};
static struct dns_sock *socks;

static void arm_timeout(void)
{
    struct timeval tv, *t;
    if (!channel_ok || !timeout_ev)
        return;
    if ((t = ares_timeout(channel, NULL, &tv)) != NULL)
        evtimer_add(timeout_ev, t);
    else
        evtimer_del(timeout_ev);
}

static void sock_ready(evutil_socket_t fd, short what, void *arg)
{
    ares_process_fd(channel, (what & EV_READ) ? fd : ARES_SOCKET_BAD, (what & EV_WRITE) ? fd : ARES_SOCKET_BAD);
    arm_timeout();
}

static void timeout_fired(evutil_socket_t fd, short what, void *arg)
{
    ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    arm_timeout();
}

/* c-ares opens, watches and closes its sockets through this. */
static void sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
    struct dns_sock **pp = &socks, *s;
    while (*pp && (*pp)->fd != fd)
        pp = &(*pp)->next;
    s = *pp;
    if (s) {
        event_free(s->ev);
        s->ev = NULL;
    }
    if (!readable && !writable) {
        if (s) {
            *pp = s->next;
            free(s);
        }
        return;
    }
    if (!s) {
        if (!(s = calloc(1, sizeof *s)))
            return;
        s->fd = fd;
        s->next = socks;
        socks = s;
    }
    s->ev = event_new(transport_base, fd, EV_PERSIST | (readable ? EV_READ : 0) | (writable ? EV_WRITE : 0),
                      sock_ready, NULL);
    if (s->ev)
        event_add(s->ev, NULL);
}

static int resolve_stopped; /* resolve_stop() ran: every later lookup fails at once */

static int channel_get(void)
{
    if (channel_ok && settings_dirty && !resolve_pending)
        resolve_shutdown(); /* idle: start again with the new settings */
    if (channel_ok)
        return 0;
    settings_dirty = 0;
    if (!transport_base || resolve_stopped)
        return -1;
    static int lib;
    if (!lib && ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS)
        return -1;
    lib = 1;
    struct ares_options o = { .sock_state_cb = sock_state, .timeout = settings.timeout_ms, .tries = settings.tries,
                              .lookups = (char *)"fb" };
    int rc = ares_init_options(&channel, &o, ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES |
                                                 ARES_OPT_LOOKUPS);
    if (rc != ARES_SUCCESS) {
        log_error("dns: %s", ares_strerror(rc));
        return -1;
    }
    if (settings.servers[0] && (rc = ares_set_servers_ports_csv(channel, settings.servers)) != ARES_SUCCESS) {
        log_error("dns: servers '%s': %s", settings.servers, ares_strerror(rc));
        ares_destroy(channel);
        return -1;
    }
    timeout_ev = evtimer_new(transport_base, timeout_fired, NULL);
    channel_ok = 1;
    return 0;
}

int resolve_check(const struct resolve_settings *s, char *err, size_t errlen)
{
    if (s->timeout_ms < 1 || s->timeout_ms > 60000 || s->tries < 1 || s->tries > 10) {
        snprintf(err, errlen, "config.dns.timeout must be 1-60000 ms and config.dns.tries 1-10");
        return -1;
    }
    if (s->servers[0]) {
        /* check the list on a scratch channel, so a bad one never replaces a good one */
        ares_channel probe;
        struct ares_options o = { .lookups = (char *)"b" };
        if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS || ares_init_options(&probe, &o, ARES_OPT_LOOKUPS)) {
            snprintf(err, errlen, "dns: cannot initialise c-ares");
            return -1;
        }
        int rc = ares_set_servers_ports_csv(probe, s->servers);
        ares_destroy(probe);
        ares_library_cleanup();
        if (rc != ARES_SUCCESS) {
            snprintf(err, errlen, "config.dns.servers: '%s': %s", s->servers, ares_strerror(rc));
            return -1;
        }
    }
    return 0;
}

int resolve_configure(const struct resolve_settings *s, char *err, size_t errlen)
{
    if (resolve_check(s, err, errlen) != 0)
        return -1;
    if (memcmp(&settings, s, sizeof settings) != 0) {
        settings = *s;
        settings_dirty = channel_ok; /* the next lookup on an idle channel recreates it */
    }
    return 0;
}

/* ---- addresses (A, AAAA) ---- */

struct addr_req {
    resolve_cb cb;
    void *arg;
    int port;
    char host[256];
};

/* Prefer an IPv4 answer, then IPv6. */
static void addr_done(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
    struct addr_req *req = arg;
    const struct ares_addrinfo_node *pick = NULL;
    for (const struct ares_addrinfo_node *n = res ? res->nodes : NULL; n; n = n->ai_next)
        if ((n->ai_family == AF_INET || n->ai_family == AF_INET6) &&
            (!pick || (pick->ai_family != AF_INET && n->ai_family == AF_INET)))
            pick = n;
    resolve_pending--;
    if (status != ARES_SUCCESS || !pick || pick->ai_addrlen > sizeof(struct sockaddr_storage)) {
        log_debug("resolve %s: %s", req->host, status != ARES_SUCCESS ? ares_strerror(status) : "no address");
        req->cb(status != ARES_SUCCESS ? status : ARES_ENODATA, NULL, 0, req->arg);
    } else {
        struct sockaddr_storage sa;
        memset(&sa, 0, sizeof sa);
        memcpy(&sa, pick->ai_addr, pick->ai_addrlen);
        ((struct sockaddr_in *)&sa)->sin_port = htons((uint16_t)req->port); /* same offset in v6 */
        req->cb(0, &sa, (socklen_t)pick->ai_addrlen, req->arg);
    }
    if (res)
        ares_freeaddrinfo(res);
    free(req);
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
    struct addr_req *req = channel_get() == 0 ? malloc(sizeof *req) : NULL;
    if (!req) {
        log_warn("resolve %s: no resolver available", host);
        cb(ARES_ENOTINITIALIZED, NULL, 0, arg);
        return;
    }
    *req = (struct addr_req){ .cb = cb, .arg = arg, .port = port };
    snprintf(req->host, sizeof req->host, "%s", host);
    resolve_pending++;
    struct ares_addrinfo_hints hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM };
    ares_getaddrinfo(channel, host, NULL, &hints, addr_done, req); /* always calls back */
    arm_timeout();
}

/* ---- RFC 3263 ---- */

void resolve_srv_order(struct resolve_srv *v, int n, unsigned (*rnd)(void *), void *rarg)
{
    /* priorities ascending (insertion sort: n is small, equal ones keep their order) */
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && v[j].priority < v[j - 1].priority; j--) {
            struct resolve_srv t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    /* within a priority, RFC 2782's weighted draw: zero weights first, then pick with
     * probability weight / sum of the remaining, repeatedly */
    for (int start = 0; start < n;) {
        int end = start;
        while (end < n && v[end].priority == v[start].priority)
            end++;
        for (int i = start; i < end; i++)
            for (int j = i; j > start && v[j].weight == 0 && v[j - 1].weight != 0; j--) {
                struct resolve_srv t = v[j];
                v[j] = v[j - 1];
                v[j - 1] = t;
            }
        for (int i = start; i < end - 1; i++) {
            unsigned long sum = 0;
            for (int j = i; j < end; j++)
                sum += v[j].weight;
            unsigned long r = sum ? rnd(rarg) % (sum + 1) : 0, run = 0;
            int pick = i;
            for (int j = i; j < end; j++) {
                run += v[j].weight;
                if (run >= r) {
                    pick = j;
                    break;
                }
            }
            struct resolve_srv t = v[pick];
            memmove(&v[i + 1], &v[i], (size_t)(pick - i) * sizeof *v);
            v[i] = t;
        }
        start = end;
    }
}

static unsigned rnd_default(void *arg) { return (unsigned)random(); }

/* A lookup in progress: NAPTR -> SRV names -> SRV records -> addresses. */
struct sip_lookup {
    resolve_sip_cb cb;
    void *arg;
    char host[256];
    enum sip_proto proto;          /* given, or the default when none was */
    struct { char name[300]; enum sip_proto proto; } srvq[4]; /* SRV names still to ask, in order */
    int nsrvq, srvi;
    struct resolve_srv srv[RESOLVE_MAX_SRV];
    int nsrv;
    struct sip_addr targets[RESOLVE_MAX_SRV];
    int ntargets, addr_left;
    struct srv_addr { struct sip_lookup *lk; int slot; } slots[RESOLVE_MAX_SRV]; /* A/AAAA of srv[i] */
};

/* Remembered answers, newest first, for failover. */
static struct { struct sip_addr t[RESOLVE_MAX_SRV]; int n; } recent[RESOLVE_RECENT];
static int recent_next;

static void lookup_finish(struct sip_lookup *lk)
{
    if (lk->ntargets > 1) {
        memcpy(recent[recent_next].t, lk->targets, (size_t)lk->ntargets * sizeof lk->targets[0]);
        recent[recent_next].n = lk->ntargets;
        recent_next = (recent_next + 1) % RESOLVE_RECENT;
    }
    if (ls_log_enabled(LS_LOG_DEBUG))
        for (int i = 0; i < lk->ntargets; i++) {
            char b[80];
            log_debug("resolve %s: target %d %s:%s", lk->host, i, transport_proto_name(lk->targets[i].proto),
                      addr_str(&lk->targets[i].sa, b, sizeof b));
        }
    resolve_pending--;
    lk->cb(lk->ntargets ? 0 : ARES_ENOTFOUND, lk->targets, lk->ntargets, lk->arg);
    free(lk);
}

int transport_resolve_next(const struct sip_addr *failed, struct sip_addr *next)
{
    for (int k = 1; k <= RESOLVE_RECENT; k++) {
        int r = (recent_next - k + RESOLVE_RECENT) % RESOLVE_RECENT;
        for (int i = 0; i + 1 < recent[r].n; i++)
            if (recent[r].t[i].proto == failed->proto && transport_addr_equal(&recent[r].t[i].sa, &failed->sa)) {
                *next = recent[r].t[i + 1];
                return 0;
            }
    }
    return -1;
}

/* One SRV target's address arrived: targets keep the SRV order (slot = index). */
static void srv_addr_done(int err, const struct sockaddr_storage *sa, socklen_t salen, void *arg)
{
    struct srv_addr *sa_req = arg;
    struct sip_lookup *lk = sa_req->lk;
    struct sip_addr *t = &lk->targets[sa_req->slot];
    if (!err) {
        t->sa = *sa;
        t->salen = salen;
    }
    if (--lk->addr_left)
        return;
    int n = 0; /* drop the targets that did not resolve (salen 0) and repeats */
    for (int i = 0; i < lk->nsrv; i++) {
        int seen = !lk->targets[i].salen;
        for (int j = 0; j < n && !seen; j++)
            seen = lk->targets[j].proto == lk->targets[i].proto &&
                   transport_addr_equal(&lk->targets[j].sa, &lk->targets[i].sa);
        if (!seen)
            lk->targets[n++] = lk->targets[i];
    }
    lk->ntargets = n;
    lk->nsrv = 0;
    lookup_finish(lk);
}

static void host_addr_done(int err, const struct sockaddr_storage *sa, socklen_t salen, void *arg)
{
    struct sip_lookup *lk = arg;
    if (!err) {
        lk->targets[0] = (struct sip_addr){ .proto = lk->proto, .sa = *sa, .salen = salen };
        lk->ntargets = 1;
    }
    lookup_finish(lk);
}

static void next_srv(struct sip_lookup *lk);

static void srv_done(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
    struct sip_lookup *lk = arg;
    struct ares_srv_reply *srv = NULL;
    if (status == ARES_EDESTRUCTION) {
        lookup_finish(lk);
        return;
    }
    int first = lk->nsrv;
    if (status == ARES_SUCCESS && ares_parse_srv_reply(abuf, alen, &srv) == ARES_SUCCESS) {
        for (struct ares_srv_reply *r = srv; r && lk->nsrv < RESOLVE_MAX_SRV; r = r->next) {
            if (!strcmp(r->host, ".") || !r->host[0])
                continue; /* "service not available here" */
            struct resolve_srv *s = &lk->srv[lk->nsrv++];
            s->priority = r->priority;
            s->weight = r->weight;
            s->port = r->port;
            s->proto = lk->srvq[lk->srvi].proto;
            snprintf(s->host, sizeof s->host, "%s", r->host);
        }
        ares_free_data(srv);
    }
    resolve_srv_order(lk->srv + first, lk->nsrv - first, rnd_default, NULL); /* this name's records */
    lk->srvi++;
    next_srv(lk);
}

/* Ask the SRV names in turn (the NAPTR order, or UDP then TCP); once none is left, resolve what
 * their records named, every name's targets after the previous name's (RFC 3263 §4.3: on
 * failure the next target, then the next NAPTR's), or the host itself on 5060 when there were
 * none. */
static void next_srv(struct sip_lookup *lk)
{
    if (lk->srvi < lk->nsrvq && lk->nsrv < RESOLVE_MAX_SRV) {
        ares_query(channel, lk->srvq[lk->srvi].name, ns_c_in, ns_t_srv, srv_done, lk);
        arm_timeout();
        return;
    }
    if (lk->nsrv == 0) {
        transport_resolve(lk->host, 5060, host_addr_done, lk);
        return;
    }
    lk->addr_left = lk->nsrv;
    for (int i = 0; i < lk->nsrv; i++)
        lk->targets[i] = (struct sip_addr){ .proto = lk->srv[i].proto };
    int n = lk->nsrv; /* the last callback frees lk: do not read it after that */
    for (int i = 0; i < n; i++) {
        lk->slots[i] = (struct srv_addr){ lk, i };
        transport_resolve(lk->srv[i].host, lk->srv[i].port, srv_addr_done, &lk->slots[i]);
    }
}

static void srvq_add(struct sip_lookup *lk, const char *name, enum sip_proto proto)
{
    for (int i = 0; i < lk->nsrvq; i++)
        if (lk->srvq[i].proto == proto && !strcasecmp(lk->srvq[i].name, name))
            return; /* two NAPTR records naming one SRV name: asked once */
    if (lk->nsrvq < (int)(sizeof lk->srvq / sizeof lk->srvq[0])) {
        snprintf(lk->srvq[lk->nsrvq].name, sizeof lk->srvq[0].name, "%s", name);
        lk->srvq[lk->nsrvq++].proto = proto;
    }
}

static void srvq_default(struct sip_lookup *lk)
{
    char name[300];
    snprintf(name, sizeof name, "_sip._udp.%s", lk->host);
    srvq_add(lk, name, PROTO_UDP);
    snprintf(name, sizeof name, "_sip._tcp.%s", lk->host);
    srvq_add(lk, name, PROTO_TCP);
}

static void naptr_done(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
    struct sip_lookup *lk = arg;
    struct ares_naptr_reply *naptr = NULL;
    if (status == ARES_EDESTRUCTION) {
        lookup_finish(lk);
        return;
    }
    struct { unsigned short order, pref; enum sip_proto proto; char name[256]; } rec[8];
    int n = 0;
    if (status == ARES_SUCCESS && ares_parse_naptr_reply(abuf, alen, &naptr) == ARES_SUCCESS) {
        for (struct ares_naptr_reply *r = naptr; r && n < 8; r = r->next) {
            const char *svc = (const char *)r->service;
            if (strcasecmp((const char *)r->flags, "s") != 0 || !r->replacement || !r->replacement[0])
                continue;
            if (strcasecmp(svc, "SIP+D2U") && strcasecmp(svc, "SIP+D2T"))
                continue; /* SIPS, SCTP, WebSocket: not ours */
            rec[n].order = r->order;
            rec[n].pref = r->preference;
            rec[n].proto = strcasecmp(svc, "SIP+D2T") == 0 ? PROTO_TCP : PROTO_UDP;
            snprintf(rec[n].name, sizeof rec[n].name, "%s", r->replacement);
            n++;
        }
        ares_free_data(naptr);
    }
    for (int i = 1; i < n; i++) /* order, then preference, ascending */
        for (int j = i; j > 0 && (rec[j].order < rec[j - 1].order ||
                                  (rec[j].order == rec[j - 1].order && rec[j].pref < rec[j - 1].pref)); j--) {
            __typeof__(rec[0]) t = rec[j];
            rec[j] = rec[j - 1];
            rec[j - 1] = t;
        }
    for (int i = 0; i < n; i++)
        srvq_add(lk, rec[i].name, rec[i].proto);
    if (n == 0)
        srvq_default(lk); /* RFC 3263 §4.1: no NAPTR, SRV for each transport we support */
    next_srv(lk);
}

void transport_resolve_sip(const char *host, int port, enum sip_proto proto, int proto_given, resolve_sip_cb cb,
                           void *arg)
{
    struct sip_addr t = { .proto = proto };
    if (transport_addr_parse(host, port > 0 ? port : 5060, &t.sa, &t.salen) == 0) {
        cb(0, &t, 1, arg);
        return;
    }
    struct sip_lookup *lk = channel_get() == 0 ? calloc(1, sizeof *lk) : NULL;
    if (!lk) {
        log_warn("resolve %s: no resolver available", host);
        cb(ARES_ENOTINITIALIZED, NULL, 0, arg);
        return;
    }
    lk->cb = cb;
    lk->arg = arg;
    lk->proto = proto;
    snprintf(lk->host, sizeof lk->host, "%s", host);
    resolve_pending++;
    struct hostent *he = NULL;
    int in_hosts = ares_gethostbyname_file(channel, host, AF_INET, &he) == ARES_SUCCESS ||
                   ares_gethostbyname_file(channel, host, AF_INET6, &he) == ARES_SUCCESS;
    if (he)
        ares_free_hostent(he);
    if (port > 0 || in_hosts) { /* RFC 3263 §4.2: a port means A/AAAA only; so does a local name */
        transport_resolve(host, port, host_addr_done, lk);
    } else if (proto_given) { /* a transport and no port: SRV for that transport (none for ws/wss) */
        char name[300];
        snprintf(name, sizeof name, "%s.%s", proto == PROTO_TLS ? "_sips._tcp" : proto == PROTO_TCP ? "_sip._tcp" :
                                             proto == PROTO_UDP ? "_sip._udp" : "", host);
        if (proto == PROTO_UDP || proto == PROTO_TCP || proto == PROTO_TLS)
            srvq_add(lk, name, proto);
        next_srv(lk);
    } else {
        ares_query(channel, host, ns_c_in, ns_t_naptr, naptr_done, lk);
        arm_timeout();
    }
}

/* ares_destroy fails pending queries through their callbacks (ARES_EDESTRUCTION), so every
 * callback still runs once and nothing leaks. */
void resolve_stop(void)
{
    resolve_stopped = 1;
    resolve_shutdown();
}

void resolve_shutdown(void)
{
    if (!channel_ok)
        return;
    channel_ok = 0;
    ares_destroy(channel);
    if (timeout_ev)
        event_free(timeout_ev);
    timeout_ev = NULL;
    while (socks) {
        struct dns_sock *s = socks;
        socks = s->next;
        if (s->ev)
            event_free(s->ev);
        free(s);
    }
    ares_library_cleanup();
    if (resolve_pending)
        log_warn("%u name lookups still pending at shutdown", resolve_pending);
}
