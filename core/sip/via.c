#include <lunasip/via.h>
#include <lunasip/msg.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

uint64_t fnv1a_str(uint64_t h, const char *s)
{
    /* A separator keeps ("ab","c") and ("a","bc") apart. */
    return fnv1a(s ? fnv1a(h, s, strlen(s)) : h, "\x1f", 1);
}

const char *via_param(const osip_via_t *via, const char *name)
{
    osip_generic_param_t *p = NULL;
    osip_via_param_get_byname((osip_via_t *)via, (char *)name, &p);
    return p ? p->gvalue : NULL;
}

static int via_has_param(const osip_via_t *via, const char *name)
{
    osip_generic_param_t *p = NULL;
    osip_via_param_get_byname((osip_via_t *)via, (char *)name, &p);
    return p != NULL;
}

/* Host with IPv6 brackets removed, for comparing against inet_ntop output. */
static void host_bare(const char *host, char *out, size_t len)
{
    size_t n = strlen(host);
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']')
        snprintf(out, len, "%.*s", (int)(n - 2), host + 1);
    else
        snprintf(out, len, "%s", host);
}

int via_fix_request(osip_message_t *m, const struct sockaddr_storage *src)
{
    osip_via_t *via = osip_list_get(&m->vias, 0);
    if (!via || !via->host)
        return -1;
    char ip[INET6_ADDRSTRLEN], sent_by[256];
    int port;
    addr_ip_port(src, ip, sizeof ip, &port);
    host_bare(via->host, sent_by, sizeof sent_by);

    osip_generic_param_t *rport = NULL;
    osip_via_param_get_byname(via, "rport", &rport);
    /* received is added when the host differs, and always alongside rport (RFC 3581 §4). */
    if ((strcasecmp(sent_by, ip) != 0 || rport) && !via_has_param(via, "received"))
        osip_via_set_received(via, osip_strdup(ip));
    if (rport && !rport->gvalue) {
        char buf[16];
        snprintf(buf, sizeof buf, "%d", port);
        rport->gvalue = osip_strdup(buf);
    }
    osip_message_force_update(m);
    return 0;
}

void via_branch_stateless(osip_message_t *m, char *out, size_t len)
{
    osip_via_t *via = osip_list_get(&m->vias, 0);
    const char *branch = via ? via_param(via, "branch") : NULL;
    uint64_t h = FNV_SEED;
    if (branch && strncmp(branch, BRANCH_COOKIE, strlen(BRANCH_COOKIE)) == 0) {
        /* RFC 3261 branch: unique per transaction, the same in its CANCEL and non-2xx ACK. */
        h = fnv1a_str(h, branch);
        h = fnv1a_str(h, via->host);
        h = fnv1a_str(h, via->port);
    } else {
        /* RFC 2543 peer: hash what identifies the transaction, leaving out the method. */
        char *ruri = NULL;
        if (m->req_uri)
            osip_uri_to_str(m->req_uri, &ruri);
        h = fnv1a_str(h, ruri);
        osip_free(ruri);
        h = fnv1a_str(h, m->call_id ? m->call_id->number : NULL);
        h = fnv1a_str(h, m->cseq ? m->cseq->number : NULL);
        h = fnv1a_str(h, sipmsg_tag(m->from)); /* not the To tag: the ACK has one, its INVITE not */
        h = fnv1a_str(h, via ? via->host : NULL);
        h = fnv1a_str(h, via ? via->port : NULL);
        h = fnv1a_str(h, branch);
    }
    snprintf(out, len, BRANCH_COOKIE "sl%016llx", (unsigned long long)h);
}

int via_push(osip_message_t *m, enum sip_proto proto, const char *host, int port, const char *branch)
{
    char buf[512];
    snprintf(buf, sizeof buf, "SIP/2.0/%s %s:%d;branch=%s", proto == PROTO_TCP ? "TCP" : "UDP",
             host, port, branch);
    osip_via_t *via;
    if (osip_via_init(&via) != 0)
        return -1;
    if (osip_via_parse(via, buf) != 0) {
        osip_via_free(via);
        return -1;
    }
    osip_list_add(&m->vias, via, 0);
    osip_message_force_update(m);
    return 0;
}

int via_is_ours(const osip_via_t *via)
{
    return via && via->host && transport_is_local(via->host, via->port ? atoi(via->port) : 0);
}

int via_pop(osip_message_t *m)
{
    osip_via_t *via = osip_list_get(&m->vias, 0);
    if (!via)
        return -1;
    osip_list_remove(&m->vias, 0);
    osip_via_free(via);
    osip_message_force_update(m);
    return 0;
}

int via_reply_target(const osip_via_t *via, char *host, size_t hostlen, int *port, enum sip_proto *proto)
{
    if (!via || !via->host || !via->protocol)
        return -1;
    if (strcasecmp(via->protocol, "UDP") == 0)
        *proto = PROTO_UDP;
    else if (strcasecmp(via->protocol, "TCP") == 0)
        *proto = PROTO_TCP;
    else
        return -1;
    const char *received = via_param(via, "received");
    snprintf(host, hostlen, "%s", received ? received : via->host);
    const char *rport = via_param(via, "rport");
    const char *p = rport && *rport ? rport : via->port;
    *port = p ? atoi(p) : 5060;
    return *port > 0 && *port < 65536 ? 0 : -1;
}
