#include <lunasip/proxy.h>
#include "log.h"
#include "sip/hook.h"
#include "sip/route.h"
#include "sip/sipmsg_int.h"
#include "stats.h"
#include <lunasip/stats.h>
#include <lunasip/fmt.h>
#include <lunasip/via.h>
#include <osipparser2/osip_parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>


/* One send waiting for its destination to resolve. A request forward keeps the message and
 * adds our Via once the address family (and so our listener) is known. */
struct send_job {
    enum sip_proto proto;
    uint64_t conn_id;
    const struct listener *lst; /* buf: our listener to send from, or NULL */
    struct sip_msg *msg; /* request to forward, or NULL when buf is ready */
    proxy_sent_fn cb;    /* request sends: told the outcome, or NULL */
    void *arg;
    char branch[64];     /* our Via branch; empty: the stateless branch */
    int stateful;        /* a tm branch (a branch was given), not a stateless forward */
    int sips;            /* the R-URI is sips: (TLS on every hop), or the next hop is */
    char name[256];      /* the host we resolved: a new TLS connection's SNI and name check */
    size_t len;
    char buf[];
};

/* A NUL-terminated copy of s into dst (size bytes), truncated like snprintf's "%s". */
static void str_copy(char *dst, size_t size, const char *s)
{
    sip_str_copy((struct sip_str){ s, strlen(s) }, dst, size);
}

static int uri_is_sips(struct sip_str uri)
{
    return uri.len > 5 && strncasecmp(uri.s, "sips:", 5) == 0;
}

static void job_failed(struct send_job *job, const char *why)
{
    stats_inc(STAT_TX_ERRORS);
    if (job->cb)
        job->cb(job->arg, NULL, NULL, 0, why);
}

/* msg.socket names a listener that cannot reach dst (another family, or no listener of dst's
 * transport on its address): say so, at most once a second. */
static void socket_mismatch(const struct listener *want, const struct listener *got, const struct sip_addr *dst)
{
    static time_t logged;
    char w[80], g[80], d[64];
    if (time(NULL) == logged)
        return;
    logged = time(NULL);
    log_warn("msg.socket %s cannot send to %s:%s: using %s", transport_listener_str(want, w, sizeof w),
             transport_proto_name(dst->proto), addr_str(&dst->sa, d, sizeof d),
             got ? transport_listener_str(got, g, sizeof g) : "none");
}

/* Send to dst. Returns 0 when sent (or when another target would not help); -1 when not, told
 * to job->cb only when this was the last target to try (RFC 3263 failover tries the next one). */
static int send_ready(struct send_job *job, const struct sip_addr *dst, int last)
{
    struct sip_addr to = *dst; /* with msg.socket: sent (and resent by tm) from that listener */
    if (!job->msg) {
        to.lst = job->lst;
        return transport_send_named(&to, job->conn_id, job->name, job->buf, job->len); /* counts its own errors */
    }
    struct sip_msg *msg = job->msg;
    to.lst = msg->socket;
    const struct listener *lst = transport_send_listener(&to);
    if (msg->socket && (!lst || !transport_addr_equal(&lst->sa, &msg->socket->sa)))
        socket_mismatch(msg->socket, lst, dst);
    if (!lst || lst->proto != dst->proto) {
        struct sip_str m = sipmsg_method(msg);
        char why[64];
        snprintf(why, sizeof why, "no %s listener", transport_proto_name(dst->proto));
        log_warn("cannot forward %.*s: %s", (int)m.len, m.s, why);
        if (last)
            job_failed(job, why);
        return -1;
    }
    if (uri_is_sips(sipmsg_ruri(msg)) && !PROTO_SECURE(dst->proto)) { /* a NAPTR target: not for sips */
        if (last)
            job_failed(job, "a SIPS request goes over TLS only (RFC 5630)");
        return -1;
    }
    if (msg->rr_wanted) {
        const struct listener *in = msg->src.lst;
        if (in)
            route_record(msg, in->proto, in->host, in->port, job->sips);
        if (!in || in != lst) /* changing transport or family: record both sides (RFC 5658) */
            route_record(msg, lst->proto, lst->host, lst->port, job->sips);
        msg->rr_wanted = 0;
    }
    char via[512], *out;
    size_t len;
    if (!job->branch[0])
        via_branch_stateless(msg, job->branch, sizeof job->branch);
    size_t vlen = via_line(via, sizeof via, lst->proto, lst->host, lst->port, job->branch);
    if (!vlen || sipmsg_write(msg, via, vlen, PROTO_STREAM(dst->proto), &out, &len) != 0) {
        job_failed(job, "cannot write the request");
        return 0;
    }
    to.lst = msg->socket ? lst : NULL;
    int rc = transport_send_named(&to, 0, job->name, out, len);
    if (rc == 0) {
        ls_stats_forwarded(job->stateful, 0);
        if (job->cb)
            job->cb(job->arg, &to, out, len, NULL);
    } else if (job->cb && last) {
        job->cb(job->arg, NULL, NULL, 0, "transport error"); /* transport_send counted it */
    }
    free(out);
    return rc;
}

/* The RFC 3263 targets of a request: the first one that takes the bytes. */
static void send_resolved_sip(int err, const struct sip_addr *targets, int n, void *arg)
{
    struct send_job *job = arg;
    if (err || n == 0) {
        log_warn("cannot send: destination does not resolve");
        job_failed(job, "destination does not resolve");
    }
    for (int i = 0; i < n && send_ready(job, &targets[i], i == n - 1) != 0; i++)
        if (i < n - 1) {
            char b[80];
            log_info("cannot send to %s, trying the next target", addr_str(&targets[i].sa, b, sizeof b));
        }
    sipmsg_unref(job->msg);
    free(job);
}

static void send_resolved(int err, const struct sockaddr_storage *sa, socklen_t salen, void *arg);

/* Resolve host for job, then send. A WebSocket client's own host (xxx.invalid) names its
 * connection, not a DNS name (see transport_ws_alias). send_resolved frees the job. */
static void job_resolve(struct send_job *job, const char *host, int port)
{
    struct sip_addr ws;
    if ((job->proto == PROTO_WS || job->proto == PROTO_WSS) && transport_ws_lookup(host, &ws) == 0) {
        job->proto = ws.proto; /* browsers write ;transport=ws over wss too */
        send_resolved(0, &ws.sa, ws.salen, job);
    } else
        transport_resolve(host, port, send_resolved, job);
}

static void send_resolved(int err, const struct sockaddr_storage *sa, socklen_t salen, void *arg)
{
    struct send_job *job = arg;
    if (err) {
        log_warn("cannot send: destination does not resolve");
        job_failed(job, "destination does not resolve");
    } else {
        struct sip_addr dst = { .proto = job->proto, .salen = salen };
        memcpy(&dst.sa, sa, salen);
        send_ready(job, &dst, 1);
    }
    sipmsg_unref(job->msg);
    free(job);
}

int proxy_send_to(const char *host, int port, enum sip_proto proto, uint64_t conn_id, const char *buf, size_t len)
{
    return proxy_send_from(NULL, host, port, proto, conn_id, buf, len);
}

int proxy_send_from(const struct listener *lst, const char *host, int port, enum sip_proto proto, uint64_t conn_id,
                    const char *buf, size_t len)
{
    struct send_job *job = calloc(1, sizeof *job + len);
    if (!job)
        return -1;
    job->proto = proto;
    job->conn_id = conn_id;
    job->lst = lst;
    str_copy(job->name, sizeof job->name, host);
    job->len = len;
    if (len)
        memcpy(job->buf, buf, len);
    job_resolve(job, host, port);
    return 0;
}

/* RFC 5630 §3.1.3 and §5.1.1: a SIPS request that cannot go on over TLS is answered 480 with
 * Warning 380 "SIPS Not Allowed", never sent over a weaker transport. Only the route's own
 * received request gets the answer (not a fork copy, an ACK or a request we made). */
static void refuse_sips(struct sip_msg *msg, const char *branch, enum sip_proto proto, char *err, size_t errlen)
{
    const struct listener *in = msg->src.lst;
    snprintf(err, errlen, "a SIPS request goes over TLS only, not %s (RFC 5630)", transport_proto_name(proto));
    stats_inc(STAT_TX_ERRORS);
    if (!in || msg->replied || sipmsg_method_is(msg, "ACK") || (branch && !msg->tx))
        return;
    char warn[160];
    snprintf(warn, sizeof warn, "Warning: 380 %s:%d \"SIPS Not Allowed\"\r\n", in->host, in->port);
    if (proxy_reply(msg, 480, NULL, warn, NULL, 0) == 0)
        snprintf(err + strlen(err), errlen - strlen(err), "; answered 480");
}

/* proxy_uri_target, with the parsed URI in *u (spans into uri). */
static int uri_target(const char *uri, struct sip_uri *up, char *host, size_t hostlen, int *port,
                      enum sip_proto *proto, char *err, size_t errlen)
{
    struct sip_uri u;
    if (sip_uri_parse(uri, strlen(uri), &u) != 0 || !u.host.len) {
        snprintf(err, errlen, "bad SIP URI '%s'", uri);
        return -1;
    }
    int sips = sip_str_ieq(u.scheme, "sips");
    if (!sips && !sip_str_ieq(u.scheme, "sip")) {
        snprintf(err, errlen, "unsupported URI scheme '%.*s' (only sip: and sips: are supported)", (int)u.scheme.len,
                 u.scheme.s);
        return -1;
    }
    struct sip_str t;
    if (!sip_param_get(u.params, "transport", &t) || !t.len) {
        *proto = sips ? PROTO_TLS : PROTO_UDP;
    } else if (transport_proto_parse(t.s, t.len, proto) != 0) {
        snprintf(err, errlen, "unsupported transport '%.*s'", (int)t.len, t.s);
        return -1;
    }
    if (sips && (*proto == PROTO_UDP || *proto == PROTO_TCP)) /* RFC 5630: sips means TLS hop by hop */
        *proto = PROTO_TLS;
    if (sips && *proto == PROTO_WS)
        *proto = PROTO_WSS;
    *port = u.port ? u.port : *proto == PROTO_TLS ? 5061 : 5060;
    if (u.host.len >= hostlen) {
        snprintf(err, errlen, "host too long in '%s'", uri);
        return -1;
    }
    sip_str_copy(u.host, host, hostlen);
    *up = u;
    return 0;
}

int proxy_uri_target(const char *uri, char *host, size_t hostlen, int *port, enum sip_proto *proto,
                     char *err, size_t errlen)
{
    struct sip_uri u;
    return uri_target(uri, &u, host, hostlen, port, proto, err, errlen);
}

int proxy_max_forwards(struct sip_msg *msg)
{
    struct sip_str v = sipmsg_header(msg, "Max-Forwards", 0);
    long long mf = v.s ? sip_number(v, 0x7fffffffLL) : -1;
    if (msg->mf_done)
        return mf < 0 ? 70 : (int)mf;
    if (mf == 0)
        return 0;
    msg->mf_done = 1;
    if (!v.s) {
        sipmsg_hdr_insert_line(msg, sipmsg_hdr_after(msg, HDR_VIA), "Max-Forwards: 70", 16);
        return 70;
    }
    if (mf < 0 || mf > 256)
        mf = mf < 0 ? 71 : 256; /* malformed (requests with one are refused before a route): 70 */
    char num[24];
    *fmt_uint(num, (unsigned long long)(mf - 1)) = '\0';
    sipmsg_header_replace_value(msg, "Max-Forwards", 0, num);
    return (int)mf - 1;
}

int proxy_send_request(struct sip_msg *msg, const char *uri, const char *branch,
                       proxy_sent_fn cb, void *arg, char *err, size_t errlen)
{
    char ruri[2048], host[256];
    int port;
    enum sip_proto proto;
    if (!uri)
        uri = msg->du;
    if (!uri) {
        struct sip_str r = sipmsg_ruri(msg);
        if (!r.s || r.len >= sizeof ruri) {
            snprintf(err, errlen, "request has no usable R-URI");
            return -1;
        }
        uri = sip_str_copy(r, ruri, sizeof ruri);
    }
    struct sip_uri u;
    if (uri_target(uri, &u, host, sizeof host, &port, &proto, err, errlen) != 0)
        return -1;
    struct sip_addr ws; /* a WebSocket client's own host (xxx.invalid) names its connection */
    int ws_conn = (proto == PROTO_WS || proto == PROTO_WSS) && transport_ws_lookup(host, &ws) == 0;
    int sips = uri_is_sips(sipmsg_ruri(msg)) || strncasecmp(uri, "sips:", 5) == 0;
    if (uri_is_sips(sipmsg_ruri(msg)) && !PROTO_SECURE(ws_conn ? ws.proto : proto)) {
        refuse_sips(msg, branch, ws_conn ? ws.proto : proto, err, errlen);
        return -1;
    }
    if (!msg->mf_done && proxy_max_forwards(msg) == 0) {
        snprintf(err, errlen, "Max-Forwards is 0");
        return -1;
    }
    struct send_job *job = calloc(1, sizeof *job);
    if (!job) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    msg->forwarded = 1;
    job->proto = proto;
    str_copy(job->name, sizeof job->name, host);
    job->msg = sipmsg_ref(msg);
    job->cb = cb;
    job->arg = arg;
    if (branch)
        str_copy(job->branch, sizeof job->branch, branch);
    job->stateful = branch != NULL;
    job->sips = sips;
    if (ws_conn) {
        send_resolved_sip(0, &ws, 1, job);
        return 0;
    }
    /* RFC 3263 looks at what the URI gives: a port, a transport, neither */
    struct sip_str t;
    int proto_given = sip_param_get(u.params, "transport", &t) && t.len;
    transport_resolve_sip(host, u.port ? port : 0, proto, proto_given, send_resolved_sip, job);
    return 0;
}

int proxy_forward(struct sip_msg *msg, const char *uri, char *err, size_t errlen)
{
    return proxy_send_request(msg, uri, NULL, NULL, NULL, err, errlen);
}

int proxy_forward_reply(struct sip_msg *msg)
{
    struct sip_via via;
    char host[256];
    int port;
    enum sip_proto proto;
    if (sipmsg_top_via(msg, &via) != 0 || !via_is_ours(&via))
        return -1; /* not ours: drop (RFC 3261 §18.1.2) */
    via_pop(msg);
    if (sipmsg_top_via(msg, &via) != 0 || via_reply_target(&via, host, sizeof host, &port, &proto) != 0)
        return -1;
    char *out;
    size_t len;
    if (sipmsg_write(msg, NULL, 0, PROTO_STREAM(proto), &out, &len) != 0)
        return -1;
    int rc = proxy_send_to(host, port, proto, 0, out, len);
    free(out);
    if (rc == 0) {
        ls_stats_forwarded(0, 1);
        ls_stats_reply_sent(NULL, sipmsg_status(msg));
    }
    return rc;
}

const char *proxy_reason(int code)
{
    const char *r = osip_message_get_reason(code);
    return r ? r : "Unknown";
}

char *proxy_build_reply(const struct sip_msg *req, int code, const char *reason, const char *headers,
                        const char *body, size_t blen, size_t *len)
{
    const struct sip_msg_priv *p = req->p;
    char tag[40] = "";
    if (code > 100 && !sipmsg_to_tag(req).s) {
        /* The same tag for every retransmission of the request. */
        struct sip_via via;
        uint64_t h = fnv1a_span(FNV_SEED, sipmsg_call_id(req));
        h = fnv1a_span(h, sipmsg_from_tag(req));
        h = fnv1a_span(h, sipmsg_top_via(req, &via) == 0 ? via.branch : (struct sip_str){ NULL, 0 });
        *fmt_hex64(fmt_str(tag, ";tag=ls"), h) = '\0';
    }
    if (!reason)
        reason = proxy_reason(code);
    size_t hlen = headers ? strlen(headers) : 0;
    size_t size = 96 + strlen(reason) + strlen(tag) + hlen + blen;
    for (unsigned i = 0; i < p->nh; i++)
        size += p->h[i].len + 2;
    char *b = malloc(size);
    if (!b)
        return NULL;
    char *q = fmt_uint(fmt_str(b, "SIP/2.0 "), (unsigned)code); /* code: 100-699 */
    *q++ = ' ';
    q = fmt_str(fmt_str(q, reason), "\r\n");
    size_t n = (size_t)(q - b);
    int to_done = 0;
    for (unsigned i = 0; i < p->nh; i++) {
        const struct sip_hdr *h = &p->h[i];
        if (h->id != HDR_VIA && h->id != HDR_FROM && h->id != HDR_TO && h->id != HDR_CALL_ID && h->id != HDR_CSEQ)
            continue;
        if (h->id == HDR_TO && tag[0] && !to_done++) { /* the tag goes right after the value */
            size_t ve = h->voff + h->vlen, tl = strlen(tag);
            memcpy(b + n, h->line, ve);
            memcpy(b + n + ve, tag, tl);
            memcpy(b + n + ve + tl, h->line + ve, h->len - ve);
            n += h->len + tl;
        } else {
            memcpy(b + n, h->line, h->len);
            n += h->len;
        }
    }
    if (hlen) {
        memcpy(b + n, headers, hlen);
        n += hlen;
    }
    n = (size_t)(fmt_str(fmt_uint(fmt_str(b + n, "Content-Length: "), blen), "\r\n\r\n") - b);
    if (blen) {
        memcpy(b + n, body, blen);
        n += blen;
    }
    b[n] = '\0';
    *len = n;
    return b;
}

int proxy_send_reply(const struct sip_msg *req, const char *buf, size_t len)
{
    char host[256];
    int port, rc;
    enum sip_proto proto;
    struct sip_via via;
    if (req->src.conn_id && PROTO_STREAM(req->src.addr.proto)) {
        rc = transport_send(&req->src.addr, req->src.conn_id, buf, len); /* the connection it came on */
    } else if (req->src.lst && sipmsg_top_via(req, &via) == 0 &&
               via_reply_target(&via, host, sizeof host, &port, &proto) == 0) {
        rc = proxy_send_from(req->src.lst, host, port, req->src.addr.proto, 0, buf, len); /* received/rport */
    } else if (req->src.lst) {
        struct sip_addr to = req->src.addr; /* no usable Via: the packet's source */
        to.lst = req->src.lst;
        rc = transport_send(&to, 0, buf, len);
    } else if (sipmsg_top_via(req, &via) == 0 && via_reply_target(&via, host, sizeof host, &port, &proto) == 0) {
        rc = proxy_send_to(host, port, proto, 0, buf, len);
    } else {
        rc = -1;
    }
    if (rc == 0) {
        stats_inc(STAT_LOCAL_REPLIES);
        ls_stats_reply_sent(req, len > 12 ? atoi(buf + 8) : 0); /* "SIP/2.0 NNN " */
    }
    return rc;
}

int proxy_reply(struct sip_msg *req, int code, const char *reason, const char *headers, const char *body,
                size_t blen)
{
    size_t len;
    char *buf = proxy_build_reply(req, code, reason, headers, body, blen, &len);
    if (!buf)
        return -1;
    if (code >= 200)
        req->replied = 1;
    int hook = sip_hook_local_reply(req, code, buf, len);
    int rc = hook == LS_HOOK_NEXT ? proxy_send_reply(req, buf, len) : hook == LS_HOOK_DONE ? 0 : -1;
    free(buf);
    return rc;
}
