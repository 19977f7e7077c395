/* Client branches: sending a request with our branch, retransmission (timers A/E), the final-reply
 * timers (fr_timer, fr_inv_timer), hop-by-hop ACK and CANCEL, and reply processing per RFC 3261
 * §16.7: provisionals and 2xx go upstream at once, negative finals wait for the branch set to end,
 * on_failure runs, then the best reply goes upstream. */
#include "tm_int.h"
#include <lauxlib.h>
#include <lunasip/branch.h>
#include <lunasip/lua.h>
#include <lunasip/proxy.h>
#include <lunasip/sip.h>
#include <lunasip/unit.h>
#include <lunasip/via.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void retrans_fired(evutil_socket_t fd, short what, void *arg);
static void fr_fired(evutil_socket_t fd, short what, void *arg);
static void cancel_fired(evutil_socket_t fd, short what, void *arg);
static void branch_final_local(struct tm_branch *br, int code, const char *why);
static void branch_set_check(struct tm_tx *tx);


void tm_branch_stop(struct tm_branch *br)
{
    if (!br->run)
        return;
    event_del(&br->run->retrans_ev);
    event_del(&br->run->fr_ev);
    event_del(&br->run->cancel_ev);
}

static void run_free(struct tm_branch *br)
{
    if (!br->run)
        return;
    tm_branch_stop(br);
    free(br->run->cancel_buf);
    free(br->run);
    br->run = NULL;
}

void tm_branch_free(struct tm_branch *br)
{
    run_free(br);
    sipmsg_unref(br->reply);
    free(br->out);
    free(br->why);
    free(br);
}

struct tm_branch *tm_branch_get(const struct tm_tx *tx, unsigned bno)
{
    struct tm_branch *br = tx->branches;
    while (br && br->no != bno)
        br = br->next;
    return br;
}

int tm_branches_pending(const struct tm_tx *tx)
{
    int n = 0;
    for (const struct tm_branch *br = tx->branches; br; br = br->next)
        n += br->pending;
    return n;
}

/* Keep why (at most 127 bytes of it) as the reason of br's local reply. */
static void set_why(struct tm_branch *br, const char *why)
{
    free(br->why);
    br->why = strndup(why ? why : "error", 127);
}

static struct tm_sent *sent_new(const struct sip_addr *dst, const char *buf, size_t len)
{
    struct tm_sent *s = malloc(sizeof *s + len);
    if (s) {
        s->dst = *dst;
        s->len = len;
        memcpy(s->buf, buf, len);
    }
    return s;
}

/* br has its final reply: its timers and CANCEL go, and the request it sent unless an INVITE's
 * negative reply will need it for the ACK (send_ack then keeps only the ACK). */
static void branch_final(struct tm_branch *br, int code, int local)
{
    br->pending = 0;
    br->status = code;
    br->local_reply = local;
    run_free(br);
    if (!br->tx->invite || code < 300 || local) {
        free(br->out);
        br->out = NULL;
    }
}

static long fr_ms(const struct tm_branch *br)
{
    if (br->run->timeout_ms > 0)
        return br->run->timeout_ms;
    return br->tx->invite && br->provisional ? tm_cfg.fr_inv_timer : tm_cfg.fr_timer;
}

/* ---- sending ---- */

static void branch_sent(void *arg, const struct sip_addr *dst, const char *buf, size_t len, const char *err)
{
    struct tm_branch *br = arg;
    struct tm_tx *tx = br->tx;
    if (!tx->linked || !br->pending) {
        /* released (or timed out) while resolving: nothing to do */
    } else if (!dst) {
        if (tx->relaying) {
            char why[160];
            br->sync_failed = 1;
            snprintf(why, sizeof why, "cannot send: %s", err ? err : "error");
            set_why(br, why);
        } else {
            ls_log(LS_LOG_WARN, "tm", "%s %.*s: cannot send: %s", tx->method, (int)sipmsg_call_id(tx->req).len,
                   sipmsg_call_id(tx->req).s, err);
            branch_final_local(br, 503, err);
        }
    } else {
        br->out = sent_new(dst, buf, len);
        if (br->out && dst->proto == PROTO_UDP) {
            br->run->retrans_ms = TM_T1;
            ls_timer_arm(&br->run->retrans_ev, br->run->retrans_ms);
        }
        if (tx->canceled)
            br->cancel_wanted = 1;
    }
    tm_tx_unref(tx);
}

int tm_relay_msg(struct tm_tx *tx, struct sip_msg *msg, const char *uri, long timeout_ms, char *err,
                 size_t errlen)
{
    if (tx->nbranches == TM_MAX_BRANCHES) {
        snprintf(err, errlen, "too many branches (%d)", TM_MAX_BRANCHES);
        return -1;
    }
    struct tm_branch *br = calloc(1, sizeof *br);
    if (!br || !(br->run = calloc(1, sizeof *br->run))) {
        free(br);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    br->tx = tx;
    br->no = (unsigned)tx->nbranches;
    br->pending = 1;
    br->run->timeout_ms = timeout_ms;
    event_assign(&br->run->retrans_ev, server_base(), -1, 0, retrans_fired, br);
    event_assign(&br->run->fr_ev, server_base(), -1, 0, fr_fired, br);
    event_assign(&br->run->cancel_ev, server_base(), -1, 0, cancel_fired, br);
    struct tm_branch **tail = &tx->branches;
    while (*tail)
        tail = &(*tail)->next;
    *tail = br;
    tx->nbranches++;
    char id[TM_BRANCH_MAX];
    tm_branch_encode(id, sizeof id, tx->idx, tx->id, br->no);
    tm_tx_ref(tx); /* until branch_sent */
    tx->relaying = 1;
    int rc = proxy_send_request(msg, uri, id, branch_sent, br, err, errlen);
    tx->relaying = 0;
    if (rc != 0)
        tm_tx_unref(tx);
    else if (br->sync_failed)
        snprintf(err, errlen, "%s", br->why);
    if (rc != 0 || br->sync_failed) {
        *tail = NULL;
        tx->nbranches--;
        tm_branch_free(br);
        return -1;
    }
    ls_timer_arm(&br->run->fr_ev, fr_ms(br));
    return 0;
}

/* The request as it goes to branch b (RFC 3261 §16.6): a copy of req with b's R-URI and b's own
 * Route set (its Path) instead of req's. NULL when it cannot be made. */
static struct sip_msg *fork_copy(struct sip_msg *req, const struct sip_branch *b)
{
    char *buf;
    size_t len;
    const char *why;
    if (sipmsg_print(req, &buf, &len) != 0)
        return NULL;
    struct sip_msg *c = sipmsg_parse(buf, len, &req->src, &why);
    free(buf);
    if (!c)
        return NULL;
    c->mf_done = 1;                 /* Max-Forwards was handled on req before the copy */
    c->socket = req->socket;
    c->rr_wanted = req->rr_wanted;  /* each branch records its own route */
    if (sipmsg_set_ruri(c, b->uri) != 0 || sipmsg_header_remove(c, "Route") < 0 ||
        (b->path && sipmsg_header_insert(c, "Route", 0, "Route", b->path) != 0)) {
        sipmsg_unref(c);
        return NULL;
    }
    return c;
}

static int q_of(int q)
{
    return q < 0 ? 1000 : q;
}

static int below_q(const struct sip_branch *b, void *qmin)
{
    return q_of(b->q) < *(int *)qmin;
}

/* Send a copy of req to every branch with q >= qmin (all: qmin -1); those stay out of the set,
 * the others wait in it. Returns how many were sent. */
static int send_branches(struct tm_tx *tx, int qmin, long timeout_ms)
{
    int nb = 0, sent = 0;
    const struct sip_branch *bs = sip_branches(tx->req, &nb);
    struct sip_msg *copies[SIP_MAX_BRANCHES];
    char *dus[SIP_MAX_BRANCHES], *uris[SIP_MAX_BRANCHES];
    int n = 0;
    for (int i = 0; i < nb; i++)
        if (q_of(bs[i].q) >= qmin) {
            copies[n] = fork_copy(tx->req, &bs[i]);
            dus[n] = bs[i].du ? strdup(bs[i].du) : NULL;
            uris[n++] = strdup(bs[i].uri);
        }
    sip_branches_keep(tx->req, below_q, &qmin);
    for (int i = 0; i < n; i++) {
        char e[256];
        if (!copies[i])
            ls_log(LS_LOG_WARN, "tm", "%s: branch %s left out: cannot copy the request", tx->method, uris[i]);
        else if (tm_relay_msg(tx, copies[i], dus[i], timeout_ms, e, sizeof e) == 0)
            sent++;
        else
            ls_log(LS_LOG_WARN, "tm", "%s: branch %s not sent: %s", tx->method, uris[i], e);
        sipmsg_unref(copies[i]);
        free(dus[i]);
        free(uris[i]);
    }
    return sent;
}

int tm_relay(struct tm_tx *tx, const char *uri, long timeout_ms, char *err, size_t errlen)
{
    int nb = 0;
    const struct sip_branch *bs = uri ? NULL : sip_branches(tx->req, &nb);
    if (!bs)
        return tm_relay_msg(tx, tx->req, uri, timeout_ms, err, errlen);
    /* forking: the R-URI (msg.du) and every branch at once, or the R-URI and the branches of
     * its q first, the lower q groups later (tm_fork_next) */
    if (!tx->req->mf_done && proxy_max_forwards(tx->req) == 0) {
        snprintf(err, errlen, "Max-Forwards is 0");
        return -1;
    }
    long *groups = sipmsg_slot_get(tx->req, "tm_qgroups");
    int qmin = groups ? q_of(sip_branches_ruri_q(tx->req)) : -1;
    int sent = tm_relay_msg(tx, tx->req, NULL, timeout_ms, err, errlen) == 0;
    sent += send_branches(tx, qmin, timeout_ms);
    tm_debug("%s %.*s forked to %d branch(es)", tx->method, (int)sipmsg_call_id(tx->req).len,
             sipmsg_call_id(tx->req).s, sent);
    if (!groups)
        sip_branches_clear(tx->req); /* consumed: a failover relay from on_failure starts afresh */
    return sent ? 0 : -1;
}

int tm_fork_next(struct tm_tx *tx)
{
    long *groups = tx->req ? sipmsg_slot_get(tx->req, "tm_qgroups") : NULL;
    int nb = 0;
    const struct sip_branch *bs = groups ? sip_branches(tx->req, &nb) : NULL;
    while (bs && !tx->canceled) {
        int qmax = -1;
        for (int i = 0; i < nb; i++)
            if (q_of(bs[i].q) > qmax)
                qmax = q_of(bs[i].q);
        int sent = send_branches(tx, qmax, *groups);
        tm_debug("%s: next q group (q=%d.%03d): %d branch(es)", tx->method, qmax / 1000, qmax % 1000, sent);
        if (sent)
            return 1;
        bs = sip_branches(tx->req, &nb);
    }
    if (groups)
        sipmsg_slot_set(tx->req, "tm_qgroups", NULL, NULL);
    return 0;
}

static void retrans_fired(evutil_socket_t fd, short what, void *arg)
{
    struct tm_branch *br = arg;
    struct tm_branch_run *run = br->run;
    transport_send(&br->out->dst, 0, br->out->buf, br->out->len);
    if (br->tx->invite)
        run->retrans_ms *= 2; /* timer A: doubles until the final-reply timer ends it */
    else
        run->retrans_ms = br->provisional || run->retrans_ms * 2 > TM_T2 ? TM_T2 : run->retrans_ms * 2; /* E */
    ls_timer_arm(&run->retrans_ev, run->retrans_ms);
}

/* A CANCEL or the ACK of a negative final reply, built from the request as sent (RFC 3261 §9.1,
 * §17.1.1.3): same R-URI, top Via, From, Call-ID, CSeq number and Route; To from the reply for ACK.
 * br->out may also be an ACK built here before: it carries the same fields, so the result is the
 * same as from the request. */
static int hop_request(struct tm_branch *br, const char *method, const struct sip_msg *reply, char **out,
                       size_t *len)
{
    const char *why;
    struct sip_msg *p;
    if (!br->out || !(p = sipmsg_parse(br->out->buf, br->out->len, NULL, &why)))
        return -1;
    struct sip_str ruri = sipmsg_ruri(p), via = sipmsg_header(p, "Via", 0), from = sipmsg_header(p, "From", 0),
                   to = sipmsg_header(reply ? reply : p, "To", 0), cid = sipmsg_call_id(p), v;
    uint32_t cseq;
    if (!ruri.s || !via.s || !from.s || !to.s || !cid.s || sipmsg_cseq(p, &cseq, NULL) != 0) {
        sipmsg_unref(p);
        return -1;
    }
    size_t cap = 256 + ruri.len + via.len + from.len + to.len + cid.len + br->out->len;
    char *b = malloc(cap);
    if (!b) {
        sipmsg_unref(p);
        return -1;
    }
    size_t n = (size_t)snprintf(b, cap, "%s %.*s SIP/2.0\r\nVia: %.*s\r\nFrom: %.*s\r\nTo: %.*s\r\n"
                                "Call-ID: %.*s\r\nCSeq: %u %s\r\n", method, (int)ruri.len, ruri.s, (int)via.len,
                                via.s, (int)from.len, from.s, (int)to.len, to.s, (int)cid.len, cid.s, cseq, method);
    struct sip_hdr_iter it;
    sipmsg_iter_init(&it, p, "Route");
    while (sipmsg_iter_next(&it, &v) && n + v.len + 64 < cap)
        n += (size_t)snprintf(b + n, cap - n, "Route: %.*s\r\n", (int)v.len, v.s);
    n += (size_t)snprintf(b + n, cap - n, "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n");
    sipmsg_unref(p);
    *out = b;
    *len = n;
    return 0;
}

/* ACK a negative final reply to an INVITE; from then on br->out is that ACK (what a
 * retransmission of the reply needs) instead of the request. */
static void send_ack(struct tm_branch *br, const struct sip_msg *reply)
{
    char *out;
    size_t len;
    if (hop_request(br, "ACK", reply, &out, &len) != 0)
        return;
    transport_send(&br->out->dst, 0, out, len);
    struct tm_sent *ack = sent_new(&br->out->dst, out, len);
    if (ack) {
        free(br->out);
        br->out = ack;
    }
    free(out);
}

/* Only for a pending branch (it has br->run). */
static void send_cancel(struct tm_branch *br)
{
    struct tm_branch_run *run = br->run;
    if (br->cancel_sent || !br->out)
        return;
    if (hop_request(br, "CANCEL", NULL, &run->cancel_buf, &run->cancel_len) != 0)
        return;
    br->cancel_sent = 1;
    br->cancel_wanted = 0;
    if (ls_log_enabled(LS_LOG_DEBUG)) {
        char id[TM_BRANCH_MAX];
        tm_branch_encode(id, sizeof id, br->tx->idx, br->tx->id, br->no);
        tm_debug("CANCEL on branch %s", id);
    }
    transport_send(&br->out->dst, 0, run->cancel_buf, run->cancel_len);
    if (br->out->dst.proto == PROTO_UDP) {
        run->cancel_ms = TM_T1;
        ls_timer_arm(&run->cancel_ev, run->cancel_ms);
    }
}

/* Armed only while br is pending (a final reply frees run and stops it). */
static void cancel_fired(evutil_socket_t fd, short what, void *arg)
{
    struct tm_branch *br = arg;
    struct tm_branch_run *run = br->run;
    if (run->cancel_ms >= 32 * TM_T1)
        return;
    transport_send(&br->out->dst, 0, run->cancel_buf, run->cancel_len);
    run->cancel_ms = run->cancel_ms * 2 > TM_T2 ? TM_T2 : run->cancel_ms * 2;
    ls_timer_arm(&run->cancel_ev, run->cancel_ms);
}

void tm_cancel_branches(struct tm_tx *tx)
{
    for (struct tm_branch *br = tx->branches; br; br = br->next) {
        if (!br->pending || br->cancel_sent)
            continue;
        if (br->provisional)
            send_cancel(br);
        else
            br->cancel_wanted = 1; /* RFC 3261 §9.1: not before a provisional */
    }
}

/* RFC 3263 §4.3: a branch that got no reply at all, or a 503, goes on to the next target of the
 * name it was sent to (a new branch, so a new transaction downstream). was: where br went;
 * timeout_ms: the relay's final-reply timer override (0: none). */
static void failover_dns(struct tm_branch *br, const struct sip_addr *was, long timeout_ms, const char *what)
{
    struct sip_addr next;
    char ip[64], uri[128], err[160], from[80];
    int port;
    if (br->tx->canceled || transport_resolve_next(was, &next) != 0)
        return;
    addr_ip_port(&next.sa, ip, sizeof ip, &port);
    snprintf(uri, sizeof uri, strchr(ip, ':') ? "sip:[%s]:%d;transport=%s" : "sip:%s:%d;transport=%s", ip, port,
             transport_proto_name(next.proto));
    addr_str(&was->sa, from, sizeof from);
    if (tm_relay(br->tx, uri, timeout_ms, err, sizeof err) == 0)
        ls_log(LS_LOG_INFO, "tm", "%s from %s: trying the next DNS target %s", what, from, uri);
    else
        ls_log(LS_LOG_WARN, "tm", "%s from %s; the next DNS target %s: %s", what, from, uri, err);
}

static void fr_fired(evutil_socket_t fd, short what, void *arg)
{
    struct tm_branch *br = arg;
    if (br->tx->invite && br->provisional)
        send_cancel(br); /* timer C-like: give up on the branch */
    else if (!br->provisional && br->out)
        failover_dns(br, &br->out->dst, br->run->timeout_ms, "no reply in time");
    branch_final_local(br, br->tx->canceled ? 487 : 408, "no final reply in time");
}

/* ---- Lua callbacks ---- */

static void callback_done(struct coro *c, enum coro_status st, const char *err)
{
    tm_tx_unref(coro_data(c));
}

static void failure_done(struct coro *c, enum coro_status st, const char *err)
{
    struct tm_tx *tx = coro_data(c);
    tx->in_failure = 0;
    if (tx->linked && tx->status < 200 && !tm_branches_pending(tx)) {
        if (st == CORO_ERROR)
            tm_tx_reply(tx, 500, "Server Internal Error");
        else
            branch_set_check(tx);
    }
    tm_tx_unref(tx);
}

/* Run the Lua function *ref(msg, reply) of tx in a new coroutine; *ref is consumed when once. */
static void run_callback(struct tm_tx *tx, int *ref, int once, struct sip_msg *reply, coro_done_fn done)
{
    struct coro *c = coro_new(tx->s, CORO_REQUEST, tx->req);
    lua_rawgeti(coro_L(c), LUA_REGISTRYINDEX, *ref);
    if (once) {
        luaL_unref(tx->Lmain, LUA_REGISTRYINDEX, *ref);
        *ref = LUA_NOREF;
    }
    lmsg_push(coro_L(c), tx->req);
    lmsg_push(coro_L(c), reply);
    coro_set_done(c, done, tx);
    tm_tx_ref(tx);
    coro_resume(c, NULL, 2);
}

/* ---- replies ---- */

static struct tm_branch *best_branch(struct tm_tx *tx)
{
    int codes[TM_MAX_BRANCHES], n = 0;
    for (struct tm_branch *br = tx->branches; br; br = br->next)
        codes[n++] = br->reply ? br->status : 0;
    int b = tm_best_reply(codes, n);
    return b < 0 ? NULL : tm_branch_get(tx, (unsigned)b);
}

/* RFC 3261 §16.7 step 7: a 401/407 going upstream carries the challenges of all of them. */
static void merge_challenges(struct tm_tx *tx, struct tm_branch *best)
{
    static const char *names[] = { "WWW-Authenticate", "Proxy-Authenticate" };
    for (struct tm_branch *br = tx->branches; br; br = br->next) {
        if (br == best || !br->reply || (br->status != 401 && br->status != 407))
            continue;
        for (int k = 0; k < 2; k++) {
            struct sip_hdr_iter it;
            struct sip_str v;
            sipmsg_iter_init(&it, br->reply, names[k]);
            while (sipmsg_iter_next(&it, &v)) {
                char *copy = strndup(v.s, v.len);
                if (copy)
                    sipmsg_header_append(best->reply, names[k], copy);
                free(copy);
            }
        }
    }
}

/* No branch is pending: run on_failure, or send the best reply upstream. */
static void branch_set_check(struct tm_tx *tx)
{
    if (tm_branches_pending(tx) || tx->in_failure || (tx->status >= 200 && !tx->local))
        return;
    struct tm_branch *best = best_branch(tx);
    if (tx->local) {
        if (!tm_auth_retry(tx, best))
            tm_uac_finish(tx, best);
        return;
    }
    if (!best) {
        tm_tx_reply(tx, 500, "Server Internal Error");
        return;
    }
    if (tm_fork_next(tx))
        return; /* the next q group is under way */
    if (tm_auth_retry(tx, best))
        return; /* sent again with credentials: that branch decides */
    if (tx->on_failure != LUA_NOREF && !tx->canceled) {
        tx->in_failure = 1;
        run_callback(tx, &tx->on_failure, 1, best->reply, failure_done);
        return;
    }
    if (best->status == 401 || best->status == 407)
        merge_challenges(tx, best);
    tm_tx_forward_reply(tx, best->reply);
}

static void branch_final_local(struct tm_branch *br, int code, const char *why)
{
    struct tm_tx *tx = br->tx;
    size_t len;
    const char *perr;
    char *r = proxy_build_reply(tx->req, code, NULL, NULL, NULL, 0, &len); /* pending: tx is not trimmed */
    branch_final(br, code, 1);
    set_why(br, why);
    if (r)
        br->reply = sipmsg_parse(r, len, NULL, &perr);
    free(r);
    tm_debug("%s %.*s: branch %u gets a local %d (%s)", tx->method, (int)sipmsg_call_id(tx->req).len,
             sipmsg_call_id(tx->req).s, br->no, code, why);
    branch_set_check(tx);
}

static void process_reply(struct tm_tx *tx, struct tm_branch *br, struct sip_msg *rpl)
{
    int code = sipmsg_status(rpl);
    if (!sipmsg_method_is(rpl, tx->method)) {
        if (sipmsg_method_is(rpl, "CANCEL") && br->run)
            event_del(&br->run->cancel_ev); /* our CANCEL was answered */
        return;
    }
    if (!br->pending) { /* retransmission, or a reply after our timeout */
        if (tx->invite && code >= 300 && !br->local_reply)
            send_ack(br, rpl);
        else if (tx->invite && code >= 200 && code < 300 && via_pop(rpl) == 0)
            tm_tx_forward_reply(tx, rpl); /* every 2xx goes upstream */
        return;
    }
    if (code < 200) {
        if (!br->provisional) {
            br->provisional = 1;
            if (tx->invite) {
                event_del(&br->run->retrans_ev);
                event_del(&br->run->fr_ev);
                ls_timer_arm(&br->run->fr_ev, fr_ms(br));
            }
        }
        if (br->cancel_wanted)
            send_cancel(br);
        if (tx->on_reply != LUA_NOREF)
            run_callback(tx, &tx->on_reply, 0, rpl, callback_done);
        if (code > 100 && via_pop(rpl) == 0)
            tm_tx_forward_reply(tx, rpl);
        return;
    }
    struct sip_addr was = br->out ? br->out->dst : (struct sip_addr){ .salen = 0 };
    long timeout_ms = br->run ? br->run->timeout_ms : 0;
    branch_final(br, code, 0);
    if (tx->invite && code >= 300)
        send_ack(br, rpl);
    if (code == 503 && was.salen && tx->linked)
        failover_dns(br, &was, timeout_ms, "503"); /* before this reply counts: the set is not over */
    if (tx->on_reply != LUA_NOREF)
        run_callback(tx, &tx->on_reply, 0, rpl, callback_done);
    if (!tx->linked)
        return;
    if (via_pop(rpl) != 0)
        return;
    if (code < 300) {
        if (tx->local) {
            br->reply = sipmsg_ref(rpl);
            tm_uac_finish(tx, br);
        } else {
            tm_tx_forward_reply(tx, rpl);
        }
        return;
    }
    br->reply = sipmsg_ref(rpl);
    if (code >= 600 && tx->invite)
        tm_cancel_branches(tx); /* §16.7 step 5: a 6xx ends the search everywhere */
    branch_set_check(tx);
}

/* The branch a reply belongs to, from its top Via, or NULL. */
static struct tm_branch *reply_branch(struct sip_msg *rpl)
{
    struct sip_via via;
    char branch[128];
    unsigned idx, bno;
    unsigned long long id;
    if (sipmsg_top_via(rpl, &via) != 0 || !via.branch.s ||
        tm_branch_decode(sip_str_copy(via.branch, branch, sizeof branch), &idx, &id, &bno) != 0)
        return NULL;
    struct tm_tx *tx = tm_tx_by_id(idx, id);
    return tx ? tm_branch_get(tx, bno) : NULL;
}

static void reply_route_done(struct coro *c, enum coro_status st, const char *err)
{
    struct tm_branch *br;
    if (coro_msg(c)->dropped)
        return;
    if ((br = reply_branch(coro_msg(c))) != NULL)
        process_reply(br->tx, br, coro_msg(c));
    else
        proxy_forward_reply(coro_msg(c)); /* the transaction ended while the route ran */
}

int tm_reply_hook(struct sip_msg *rpl)
{
    struct tm_branch *br = reply_branch(rpl);
    if (!br)
        return 0;
    if (!sip_route_start("on_reply", CORO_REPLY, rpl, reply_route_done))
        process_reply(br->tx, br, rpl);
    return 1;
}
