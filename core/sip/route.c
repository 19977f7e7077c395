#include "sip/route.h"
#include "sip/sipmsg_int.h"
#include <lunasip/fmt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int route_uri_is_local(struct sip_str uri, route_is_local_fn is_local)
{
    struct sip_uri u;
    char host[256];
    if (!uri.s || sip_uri_parse(uri.s, uri.len, &u) != 0 || !u.host.len)
        return 0;
    int port = u.port ? u.port : sip_str_ieq(u.scheme, "sips") ? 5061 : 5060;
    return is_local(sip_str_copy(u.host, host, sizeof host), port);
}

/* The URI of Route value pos (spans into msg), or s == NULL. */
static struct sip_str route_uri(const struct sip_msg *msg, int pos)
{
    struct sip_nameaddr na;
    struct sip_str v = sipmsg_header(msg, "Route", pos);
    if (!v.s || sip_nameaddr_parse(v.s, v.len, &na) != 0)
        return (struct sip_str){ NULL, 0 };
    return na.uri;
}

static int route_count(const struct sip_msg *msg)
{
    struct sip_hdr_iter it;
    struct sip_str v;
    int n = 0;
    sipmsg_iter_init(&it, msg, "Route");
    while (sipmsg_iter_next(&it, &v))
        n++;
    return n;
}

static int has_lr(struct sip_str uri)
{
    struct sip_uri u;
    return sip_uri_parse(uri.s, uri.len, &u) == 0 && sip_param_get(u.params, "lr", NULL);
}

static int set_ruri(struct sip_msg *msg, struct sip_str uri)
{
    char buf[2048];
    if (uri.len >= sizeof buf)
        return -1;
    return sipmsg_set_ruri(msg, sip_str_copy(uri, buf, sizeof buf));
}

/* True when uri looks like a Record-Route value we wrote: no user part, our address, ;lr. */
static int is_our_rr(struct sip_str uri, route_is_local_fn is_local)
{
    struct sip_uri u;
    return uri.s && sip_uri_parse(uri.s, uri.len, &u) == 0 && !u.user.len && sip_param_get(u.params, "lr", NULL) &&
           route_uri_is_local(uri, is_local);
}

int route_loose(struct sip_msg *msg, route_is_local_fn is_local, char **next_hop)
{
    *next_hop = NULL;
    int n = route_count(msg);
    if (n <= 0)
        return 0;
    if (is_our_rr(sipmsg_ruri(msg), is_local)) {
        /* §16.4: a strict router put our Record-Route value in the R-URI. */
        struct sip_str last = route_uri(msg, n - 1);
        if (!last.s || set_ruri(msg, last) != 0)
            return -1;
        sipmsg_header_remove_value(msg, "Route", n - 1);
    }
    struct sip_str top;
    while ((top = route_uri(msg, 0)).s && route_uri_is_local(top, is_local))
        sipmsg_header_remove_value(msg, "Route", 0);
    if (!sipmsg_header(msg, "Route", 0).s)
        return 1;
    if (!top.s)
        return -1;
    if (has_lr(top)) {
        *next_hop = strndup(top.s, top.len);
        return *next_hop ? 1 : -1;
    }
    /* §16.6 step 7: strict next hop; the R-URI goes to the end of the route set. */
    struct sip_str old = sipmsg_ruri(msg);
    char buf[2100];
    snprintf(buf, sizeof buf, "<%.*s>", (int)old.len, old.s);
    if (set_ruri(msg, top) != 0)
        return -1;
    sipmsg_header_remove_value(msg, "Route", 0);
    int last = sipmsg_hdr_find(msg, HDR_ROUTE, NULL, 0), i = last;
    while (i >= 0 && (i = sipmsg_hdr_find(msg, HDR_ROUTE, NULL, (unsigned)i + 1)) >= 0)
        last = i;
    char line[2200];
    int len = snprintf(line, sizeof line, "Route: %s", buf);
    if (len <= 0 || (size_t)len >= sizeof line)
        return -1;
    unsigned at = last < 0 ? msg->p->nh : (unsigned)last + 1;
    return sipmsg_hdr_insert_line(msg, at, line, (size_t)len) == 0 ? 1 : -1;
}

int route_record(struct sip_msg *msg, enum sip_proto proto, const char *host, int port, int sips)
{
    char line[512]; /* Record-Route: <sip[s]:host:port[;transport=tp];lr> */
    int secure = sips && PROTO_SECURE(proto); /* RFC 5630: sips implies TLS; only WSS says ws */
    const char *tp = proto == PROTO_UDP ? NULL : !secure ? transport_proto_name(proto)
                   : proto == PROTO_WSS ? "ws" : NULL;
    if (strlen(host) + (tp ? strlen(tp) : 0) + 64 > sizeof line)
        return -1;
    char *p = fmt_str(fmt_str(line, secure ? "Record-Route: <sips:" : "Record-Route: <sip:"), host);
    *p++ = ':';
    p = fmt_uint(p, (unsigned)port);
    if (tp)
        p = fmt_str(fmt_str(p, ";transport="), tp);
    p = fmt_str(p, ";lr>");
    size_t len = (size_t)(p - line);
    int i = sipmsg_hdr_find(msg, HDR_RECORD_ROUTE, NULL, 0);
    if (i < 0) /* none yet: after the Via lines */
        i = (int)sipmsg_hdr_after(msg, HDR_VIA);
    return sipmsg_hdr_insert_line(msg, (unsigned)i, line, (size_t)len);
}
