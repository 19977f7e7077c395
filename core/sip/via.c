#include <lunasip/via.h>
#include <lunasip/fmt.h>
#include "sip/sipmsg_int.h"
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

uint64_t fnv1a_span(uint64_t h, struct sip_str s)
{
    return fnv1a(s.s ? fnv1a(h, s.s, s.len) : h, "\x1f", 1);
}

/* Host with IPv6 brackets removed, for comparing against inet_ntop output. */
static void host_bare(struct sip_str host, char *out, size_t len)
{
    if (host.len >= 2 && host.s[0] == '[' && host.s[host.len - 1] == ']')
        sip_str_copy((struct sip_str){ host.s + 1, host.len - 2 }, out, len);
    else
        sip_str_copy(host, out, len);
}

/* The top Via parsed, with its spans inside the header line that holds it. A top Via value
 * folded over several lines is parsed from an unfolded copy, whose spans are no offsets into
 * the line: such a value is first written back unfolded (we are about to edit it anyway). */
static int top_via_in_line(struct sip_msg *msg, struct sip_via *via, unsigned *line)
{
    int i = sipmsg_hdr_find(msg, HDR_VIA, NULL, 0);
    if (i < 0 || sipmsg_top_via(msg, via) != 0)
        return -1;
    const struct sip_hdr *h = &msg->p->h[i];
    if (via->host.s < h->line || via->host.s >= h->line + h->len) {
        struct sip_str v = sipmsg_header(msg, "Via", 0);
        char *copy = sipmsg_alloc(msg, v.len + 1);
        sip_str_copy(v, copy, v.len + 1);
        if (sipmsg_header_replace_value(msg, "Via", 0, copy) != 0 || sipmsg_top_via(msg, via) != 0)
            return -1;
        h = &msg->p->h[i];
        if (via->host.s < h->line || via->host.s >= h->line + h->len)
            return -1;
    }
    *line = (unsigned)i;
    return 0;
}

int via_fix_request(struct sip_msg *msg)
{
    struct sip_via via;
    unsigned i;
    if (top_via_in_line(msg, &via, &i) != 0)
        return -1;
    char ip[INET6_ADDRSTRLEN], sent_by[256];
    int port;
    addr_ip_port(&msg->src.addr.sa, ip, sizeof ip, &port);
    host_bare(via.host, sent_by, sizeof sent_by);
    struct sip_str recv, rport;
    int has_recv = sip_param_get(via.params, "received", &recv);
    int has_rport = sip_param_get(via.params, "rport", &rport);
    int want_recv = strcasecmp(sent_by, ip) != 0 || has_rport;
    /* A WebSocket client is reachable only over its connection: its Via (xxx.invalid) gets
     * rport as if it had asked (RFC 3581), so replies find the connection statelessly too. */
    int add_rport = !has_rport && (msg->src.addr.proto == PROTO_WS || msg->src.addr.proto == PROTO_WSS);
    char portstr[16];
    *fmt_uint(portstr, (unsigned)port) = '\0';
    if (!has_recv && !want_recv && !has_rport && !add_rport)
        return 0; /* nothing to change: the Via stays byte for byte */
    if (!add_rport && (!has_recv || (recv.len == strlen(ip) && !strncasecmp(recv.s, ip, recv.len))) && has_recv == want_recv &&
        (!has_rport || (rport.len == strlen(portstr) && !memcmp(rport.s, portstr, rport.len))))
        return 0; /* already what we would write */
    /* Rewrite the params: drop received, fill rport, then add our received. */
    char buf[2048];
    size_t n = 0;
    const char *p = via.params.s, *end = via.params.s + via.params.len;
    while (p < end && n < sizeof buf - 128) {
        const char *semi = memchr(p + 1, ';', (size_t)(end - p - 1));
        const char *e = semi ? semi : end;
        struct sip_str one = { p, (size_t)(e - p) };
        if (sip_param_get(one, "received", NULL)) {
            /* dropped */
        } else if (sip_param_get(one, "rport", NULL)) {
            n = (size_t)(fmt_str(fmt_str(buf + n, ";rport="), portstr) - buf);
        } else if ((size_t)(e - p) < sizeof buf - n - 128) {
            memcpy(buf + n, p, (size_t)(e - p));
            n += (size_t)(e - p);
        }
        p = e;
    }
    if (add_rport) /* the loop left room for these two */
        n = (size_t)(fmt_str(fmt_str(buf + n, ";rport="), portstr) - buf);
    if (want_recv)
        n = (size_t)(fmt_str(fmt_str(buf + n, ";received="), ip) - buf);
    /* splice into the header line that holds the top Via */
    const struct sip_hdr *h = &msg->p->h[i];
    size_t off = (size_t)(via.params.s - h->line);
    if (!via.params.len) { /* no params: after host[:port] */
        const char *q = via.host.s + via.host.len;
        const char *lim = h->line + h->voff + h->vlen;
        if (via.port)
            while (q < lim && *q != ',' && *q != ';' && *q != '(' && *q != ' ' && *q != '\t' && *q != '\r')
                q++;
        off = (size_t)(q - h->line);
    }
    return sipmsg_hdr_splice(msg, i, off, via.params.len, buf, n);
}

void via_branch_stateless(const struct sip_msg *msg, char *out, size_t len)
{
    struct sip_via via;
    int have = sipmsg_top_via(msg, &via) == 0;
    uint64_t h = FNV_SEED;
    char port[24];
    *fmt_uint(port, have ? (unsigned)via.port : 0) = '\0';
    if (have && via.branch.len >= 7 && !strncmp(via.branch.s, BRANCH_COOKIE, 7)) {
        /* RFC 3261 branch: unique per transaction, the same in its CANCEL and non-2xx ACK. */
        h = fnv1a_span(h, via.branch);
        h = fnv1a_span(h, via.host);
        h = fnv1a_str(h, port);
    } else {
        /* RFC 2543 peer: hash what identifies the transaction, leaving out the method. */
        uint32_t cseq = 0;
        char num[24];
        sipmsg_cseq(msg, &cseq, NULL);
        *fmt_uint(num, cseq) = '\0';
        h = fnv1a_span(h, sipmsg_ruri(msg));
        h = fnv1a_span(h, sipmsg_call_id(msg));
        h = fnv1a_str(h, num);
        h = fnv1a_span(h, sipmsg_from_tag(msg)); /* not the To tag: the ACK has one, its INVITE not */
        h = fnv1a_span(h, have ? via.host : (struct sip_str){ NULL, 0 });
        h = fnv1a_str(h, port);
        h = fnv1a_span(h, have ? via.branch : (struct sip_str){ NULL, 0 });
    }
    char b[32];
    *fmt_hex64(fmt_str(b, BRANCH_COOKIE "sl"), h) = '\0';
    sip_str_copy((struct sip_str){ b, strlen(b) }, out, len);
}

size_t via_line(char *buf, size_t len, enum sip_proto proto, const char *host, int port, const char *branch)
{
    const char *tp = transport_proto_via(proto);
    char pn[24];
    size_t pl = (size_t)(fmt_uint(pn, (unsigned)port) - pn);
    size_t tl = strlen(tp), hl = strlen(host), bl = strlen(branch);
    if (13 + tl + 1 + hl + 1 + pl + 8 + bl + 2 >= len)
        return 0;
    char *p = fmt_mem(fmt_mem(buf, "Via: SIP/2.0/", 13), tp, tl); /* Via: SIP/2.0/tp host:port;branch=b */
    *p++ = ' ';
    p = fmt_mem(p, host, hl);
    *p++ = ':';
    p = fmt_mem(fmt_mem(p, pn, pl), ";branch=", 8);
    p = fmt_mem(fmt_mem(p, branch, bl), "\r\n", 2);
    *p = '\0';
    return (size_t)(p - buf);
}

int via_is_ours(const struct sip_via *via)
{
    char host[256];
    return via && via->host.len && transport_is_local(sip_str_copy(via->host, host, sizeof host), via->port);
}

int via_pop(struct sip_msg *msg)
{
    if (sipmsg_header_remove_value(msg, "Via", 0) != 0)
        return -1;
    return 0;
}

int via_reply_target(const struct sip_via *via, char *host, size_t hostlen, int *port, enum sip_proto *proto)
{
    if (!via || !via->host.len)
        return -1;
    if (!via->transport.len || transport_proto_parse(via->transport.s, via->transport.len, proto) != 0)
        return -1;
    struct sip_str received, rport;
    if (sip_param_get(via->params, "received", &received) && received.len)
        sip_str_copy(received, host, hostlen);
    else
        sip_str_copy(via->host, host, hostlen);
    long long rp = sip_param_get(via->params, "rport", &rport) && rport.len ? sip_number(rport, 65535) : 0;
    *port = rp > 0 ? (int)rp : via->port ? via->port : *proto == PROTO_TLS ? 5061 : 5060;
    return *port > 0 && *port < 65536 ? 0 : -1;
}
