#include <lunasip/proxy.h>
#include "log.h"
#include "sip/route.h"
#include "stats.h"
#include <lunasip/via.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* One send waiting for its destination to resolve. A request forward keeps the message and
 * adds our Via once the address family (and so our listener) is known. */
struct send_job {
    enum sip_proto proto;
    uint64_t conn_id;
    struct sip_msg *msg; /* request to forward, or NULL when buf is ready */
    proxy_sent_fn cb;    /* request sends: told the outcome, or NULL */
    void *arg;
    char branch[64];     /* our Via branch; empty: the stateless branch */
    size_t len;
    char buf[];
};

static void job_failed(struct send_job *job, const char *why)
{
    stats_inc(STAT_TX_ERRORS);
    if (job->cb)
        job->cb(job->arg, NULL, NULL, 0, why);
}

static void send_ready(struct send_job *job, const struct sip_addr *dst)
{
    if (!job->msg) {
        transport_send(dst, job->conn_id, job->buf, job->len); /* counts its own errors */
        return;
    }
    osip_message_t *m = job->msg->m;
    const struct listener *lst = transport_listener_for(dst->proto, dst->sa.ss_family);
    if (!lst || lst->proto != dst->proto) {
        log_warn("cannot forward %s: no %s listener", m->sip_method, dst->proto == PROTO_TCP ? "tcp" : "udp");
        job_failed(job, dst->proto == PROTO_TCP ? "no tcp listener" : "no udp listener");
        return;
    }
    if (job->msg->rr_wanted) {
        const struct listener *in = job->msg->src.lst;
        if (in)
            route_record(m, in->proto, in->host, in->port);
        if (!in || in != lst) /* changing transport or family: record both sides (RFC 5658) */
            route_record(m, lst->proto, lst->host, lst->port);
        job->msg->rr_wanted = 0;
    }
    char *out;
    size_t len;
    if (!job->branch[0])
        via_branch_stateless(m, job->branch, sizeof job->branch);
    if (via_push(m, lst->proto, lst->host, lst->port, job->branch) != 0) {
        job_failed(job, "cannot add our Via");
        return;
    }
    int rc = sipmsg_print(m, &out, &len);
    via_pop(m);
    if (rc != 0) {
        job_failed(job, "cannot print the request");
        return;
    }
    if (transport_send(dst, 0, out, len) == 0) {
        stats_inc(STAT_FWD_REQUESTS);
        if (job->cb)
            job->cb(job->arg, dst, out, len, NULL);
    } else if (job->cb) {
        job->cb(job->arg, NULL, NULL, 0, "transport error"); /* transport_send counted it */
    }
    osip_free(out);
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
        send_ready(job, &dst);
    }
    sipmsg_unref(job->msg);
    free(job);
}

int proxy_send_to(const char *host, int port, enum sip_proto proto, uint64_t conn_id, const char *buf, size_t len)
{
    struct send_job *job = calloc(1, sizeof *job + len);
    if (!job)
        return -1;
    job->proto = proto;
    job->conn_id = conn_id;
    job->len = len;
    if (len)
        memcpy(job->buf, buf, len);
    transport_resolve(host, port, send_resolved, job);
    return 0;
}

int proxy_uri_target(const char *uri, char *host, size_t hostlen, int *port, enum sip_proto *proto,
                     char *err, size_t errlen)
{
    osip_uri_t *u;
    if (osip_uri_init(&u) != 0 || osip_uri_parse(u, uri) != 0 || !u->host || !u->scheme) {
        snprintf(err, errlen, "bad SIP URI '%s'", uri);
        osip_uri_free(u);
        return -1;
    }
    int rc = -1;
    osip_uri_param_t *t = NULL;
    osip_uri_uparam_get_byname(u, "transport", &t);
    const char *transport = t && t->gvalue ? t->gvalue : "udp";
    *proto = strcasecmp(transport, "tcp") == 0 ? PROTO_TCP : PROTO_UDP;
    if (strcasecmp(u->scheme, "sip") != 0)
        snprintf(err, errlen, "unsupported URI scheme '%s' (only sip: is supported)", u->scheme);
    else if (*proto == PROTO_UDP && strcasecmp(transport, "udp") != 0)
        snprintf(err, errlen, "unsupported transport '%s'", transport);
    else
        rc = 0;
    if (rc == 0) {
        *port = u->port ? atoi(u->port) : 5060;
        snprintf(host, hostlen, "%s", u->host);
        if (*port <= 0 || *port > 65535) {
            snprintf(err, errlen, "bad port in '%s'", uri);
            rc = -1;
        }
    }
    osip_uri_free(u);
    return rc;
}

int proxy_max_forwards(struct sip_msg *msg)
{
    osip_header_t *h = NULL;
    osip_message_header_get_byname(msg->m, "max-forwards", 0, &h);
    int mf = h && h->hvalue ? atoi(h->hvalue) : -1;
    if (msg->mf_done)
        return mf < 0 ? 70 : mf;
    if (mf == 0)
        return 0;
    msg->mf_done = 1;
    char v[16];
    if (mf < 0) {
        sipmsg_header_append(msg->m, "Max-Forwards", "70");
        return 70;
    }
    if (mf > 256)
        mf = 256; /* cap absurd values */
    snprintf(v, sizeof v, "%d", mf - 1);
    osip_free(h->hvalue);
    h->hvalue = osip_strdup(v);
    osip_message_force_update(msg->m);
    return mf - 1;
}

int proxy_send_request(struct sip_msg *msg, const char *uri, const char *branch,
                       proxy_sent_fn cb, void *arg, char *err, size_t errlen)
{
    char *ruri = NULL, host[256];
    int port;
    enum sip_proto proto;
    if (!uri)
        uri = msg->du;
    if (!uri) {
        if (osip_uri_to_str(msg->m->req_uri, &ruri) != 0) {
            snprintf(err, errlen, "request has no usable R-URI");
            return -1;
        }
        uri = ruri;
    }
    int rc = proxy_uri_target(uri, host, sizeof host, &port, &proto, err, errlen);
    osip_free(ruri);
    if (rc != 0)
        return -1;
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
    job->msg = sipmsg_ref(msg);
    job->cb = cb;
    job->arg = arg;
    if (branch)
        snprintf(job->branch, sizeof job->branch, "%s", branch);
    transport_resolve(host, port, send_resolved, job);
    return 0;
}

int proxy_forward(struct sip_msg *msg, const char *uri, char *err, size_t errlen)
{
    return proxy_send_request(msg, uri, NULL, NULL, NULL, err, errlen);
}

int proxy_forward_reply(struct sip_msg *msg)
{
    osip_via_t *via = osip_list_get(&msg->m->vias, 0);
    char host[256];
    int port;
    enum sip_proto proto;
    if (!via_is_ours(via))
        return -1; /* not ours: drop (RFC 3261 §18.1.2) */
    via_pop(msg->m);
    via = osip_list_get(&msg->m->vias, 0);
    if (via_reply_target(via, host, sizeof host, &port, &proto) != 0)
        return -1;
    char *out;
    size_t len;
    if (sipmsg_print(msg->m, &out, &len) != 0)
        return -1;
    int rc = proxy_send_to(host, port, proto, 0, out, len);
    osip_free(out);
    if (rc == 0)
        stats_inc(STAT_FWD_REPLIES);
    return rc;
}

osip_message_t *proxy_build_reply(const struct sip_msg *req, int code, const char *reason)
{
    const osip_message_t *q = req->m;
    osip_message_t *r;
    if (osip_message_init(&r) != 0)
        return NULL;
    osip_message_set_version(r, osip_strdup("SIP/2.0"));
    osip_message_set_status_code(r, code);
    if (!reason)
        reason = osip_message_get_reason(code);
    osip_message_set_reason_phrase(r, osip_strdup(reason ? reason : "Unknown"));
    osip_via_t *via, *copy;
    for (int i = 0; (via = osip_list_get(&q->vias, i)) != NULL; i++)
        if (osip_via_clone(via, &copy) == 0)
            osip_list_add(&r->vias, copy, -1);
    if (q->from)
        osip_from_clone(q->from, &r->from);
    if (q->to)
        osip_to_clone(q->to, &r->to);
    if (q->call_id)
        osip_call_id_clone(q->call_id, &r->call_id);
    if (q->cseq)
        osip_cseq_clone(q->cseq, &r->cseq);
    if (code > 100 && r->to && !sipmsg_tag(r->to)) {
        /* The same tag for every retransmission of the request. */
        via = osip_list_get(&q->vias, 0);
        uint64_t h = fnv1a_str(FNV_SEED, q->call_id ? q->call_id->number : NULL);
        h = fnv1a_str(h, sipmsg_tag(q->from));
        h = fnv1a_str(h, via ? via_param(via, "branch") : NULL);
        char tag[24];
        snprintf(tag, sizeof tag, "ls%016llx", (unsigned long long)h);
        osip_to_set_tag(r->to, osip_strdup(tag));
    }
    return r;
}

int proxy_send_reply(const struct sip_msg *req, osip_message_t *reply)
{
    char host[256], *out;
    int port, rc = -1;
    size_t len;
    enum sip_proto proto;
    if (via_reply_target(osip_list_get(&reply->vias, 0), host, sizeof host, &port, &proto) != 0) {
        /* No usable Via: answer the packet's source, as a last resort. */
        addr_ip_port(&req->src.addr.sa, host, sizeof host, &port);
        proto = req->src.addr.proto;
    }
    if (sipmsg_print(reply, &out, &len) == 0) {
        if (proto == PROTO_TCP && req->src.conn_id)
            rc = transport_send(&req->src.addr, req->src.conn_id, out, len);
        else
            rc = proxy_send_to(host, port, proto, 0, out, len);
        osip_free(out);
    }
    osip_message_free(reply);
    if (rc == 0)
        stats_inc(STAT_LOCAL_REPLIES);
    return rc;
}

int proxy_reply(struct sip_msg *req, int code, const char *reason)
{
    osip_message_t *r = proxy_build_reply(req, code, reason);
    if (!r)
        return -1;
    if (code >= 200)
        req->replied = 1;
    return proxy_send_reply(req, r);
}
