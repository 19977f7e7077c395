/* The transaction table and the server side: matching requests to transactions (hash of the top
 * Via's branch and sent-by, then method class), absorbing retransmissions, 100 Trying, stateful
 * replies with their retransmission (timer G), trimming a completed transaction down to what its
 * wait state needs, and the wait state before a transaction is freed. */
#include "tm_int.h"
#include <lauxlib.h>
#include <lunasip/stats.h>
#include <lunasip/lua.h>
#include <lunasip/proxy.h>
#include <lunasip/sip.h>
#include <lunasip/unit.h>
#include <lunasip/fmt.h>
#include <lunasip/via.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

unsigned long tm_active, tm_created, tm_refused;
static struct tm_tx *table[TM_HASH_SIZE];
static unsigned long long next_id;

static void tx_link(struct tm_tx *tx)
{
    tx->hnext = table[tx->idx];
    if (tx->hnext)
        tx->hnext->hprev = tx;
    table[tx->idx] = tx;
    tx->linked = 1;
}

static void tx_unlink(struct tm_tx *tx)
{
    if (tx->hprev)
        tx->hprev->hnext = tx->hnext;
    else
        table[tx->idx] = tx->hnext;
    if (tx->hnext)
        tx->hnext->hprev = tx->hprev;
    tx->hnext = tx->hprev = NULL;
    tx->linked = 0;
}

static void g_fired(evutil_socket_t fd, short what, void *arg);
static void wait_fired(evutil_socket_t fd, short what, void *arg);

/* ---- trimming: what a completed transaction keeps ----
 *
 * A transaction that has its final outcome lingers (wait state, timers H/I/J/K) to absorb
 * retransmissions; that needs the match key, the last reply and where it went, and the ACK of
 * negative INVITE branches, not the parsed request or the Lua callbacks. tm_tx_trim_later queues
 * it; the queue is worked off from the event loop, so no caller loses the request under its
 * feet. The request goes only when the transaction is its last holder (a route, a tm callback
 * or a Lua value not yet collected may still use it): until then it is retried every
 * TM_TRIM_RETRY_MS. */

struct tm_queue {
    struct tm_tx *first, *last;
    struct event *ev;             /* the pass over this queue, made on first use */
};
static struct tm_queue queues[2]; /* TM_TRIM_FRESH - 1, TM_TRIM_RETRY - 1 */

static void queue_pass(evutil_socket_t fd, short what, void *arg);

static void queue_remove(struct tm_tx *tx)
{
    if (!tx->queued)
        return;
    struct tm_queue *q = &queues[tx->queued - 1];
    if (tx->qprev)
        tx->qprev->qnext = tx->qnext;
    else
        q->first = tx->qnext;
    if (tx->qnext)
        tx->qnext->qprev = tx->qprev;
    else
        q->last = tx->qprev;
    tx->qnext = tx->qprev = NULL;
    tx->queued = 0;
}

/* Append tx to queue which (TM_TRIM_FRESH: passed over at the next loop turn; TM_TRIM_RETRY:
 * within TM_TRIM_RETRY_MS). */
static void queue_add(struct tm_tx *tx, unsigned which)
{
    struct tm_queue *q = &queues[which - 1];
    if (!q->ev && !(q->ev = evtimer_new(server_base(), queue_pass, q)))
        return; /* out of memory: tx just stays untrimmed */
    queue_remove(tx);
    tx->qprev = q->last;
    if (q->last)
        q->last->qnext = tx;
    else
        q->first = tx;
    q->last = tx;
    tx->queued = which;
    if (!evtimer_pending(q->ev, NULL)) {
        ls_timer_arm(q->ev, which == TM_TRIM_FRESH ? 0 : TM_TRIM_RETRY_MS);
    }
}

/* Nothing but the table holds tx and its request, and nothing can still need the request:
 * the outcome is known, no branch waits for a reply, no route or callback runs for it. */
static int tx_idle(const struct tm_tx *tx)
{
    return tx->linked && tx->refs == 1 && (tx->local ? tx->status != 0 : tx->status >= 200) && !tx->in_failure &&
           !tx->relaying && !tx->suspended && !tm_branches_pending(tx) && (!tx->req || tx->req->refs == 1);
}

static void tx_trim(struct tm_tx *tx)
{
    tm_tx_clear_lua(tx);
    for (struct tm_branch *br = tx->branches; br; br = br->next) {
        sipmsg_unref(br->reply);
        br->reply = NULL;
    }
    if (tx->req) {
        tx->req->tx = NULL;
        sipmsg_unref(tx->req);
        tx->req = NULL;
    }
}

void tm_tx_trim_later(struct tm_tx *tx)
{
    if (tx->linked && tx->req)
        queue_add(tx, TM_TRIM_FRESH);
}

static void queue_pass(evutil_socket_t fd, short what, void *arg)
{
    struct tm_queue *q = arg;
    struct tm_tx *tx, *end = q->last;
    /* Each transaction queued before this pass, once: those not idle yet go (back) to the retry
     * queue, which queue_add re-arms. */
    while ((tx = q->first) != NULL) {
        queue_remove(tx);
        if (tx_idle(tx))
            tx_trim(tx);
        else
            queue_add(tx, TM_TRIM_RETRY);
        if (tx == end)
            break;
    }
}

struct tm_tx *tm_tx_new(struct sip_msg *req, const char *key, unsigned idx)
{
    char up_host[256] = "";
    int up_port = 0;
    enum sip_proto up_proto = PROTO_UDP;
    if (key) {
        struct sip_via via;
        if (sipmsg_top_via(req, &via) != 0 || via_reply_target(&via, up_host, sizeof up_host, &up_port, &up_proto) != 0) {
            addr_ip_port(&req->src.addr.sa, up_host, sizeof up_host, &up_port);
            up_proto = req->src.addr.proto;
        }
    }
    char method[32];
    sip_str_copy(sipmsg_method(req), method, sizeof method);
    size_t klen = key ? strlen(key) + 1 : 0, mlen = strlen(method) + 1, hlen = strlen(up_host) + 1;
    struct tm_tx *tx = calloc(1, sizeof *tx + klen + mlen + hlen);
    if (!tx)
        return NULL;
    if (key && PROTO_STREAM(up_proto) && req->src.conn_id) {
        tx->up_conn = malloc(sizeof *tx->up_conn);
        if (!tx->up_conn) {
            free(tx);
            return NULL;
        }
        tx->up_conn->addr = req->src.addr;
        tx->up_conn->id = req->src.conn_id;
    }
    char *p = tx->strs;
    tx->method = memcpy(p, method, mlen);
    tx->up_host = memcpy(p + mlen, up_host, hlen);
    tx->key = key ? memcpy(p + mlen + hlen, key, klen) : NULL;
    tx->up_port = up_port;
    tx->up_proto = up_proto;
    tx->up_lst = req->src.lst;
    if (!next_id)
        next_id = ((unsigned long long)time(NULL) << 20 ^ (unsigned long long)getpid() << 8) & 0xffffffffffULL;
    tx->id = ++next_id;
    tx->refs = 1;
    tx->req = sipmsg_ref(req);
    tx->invite = !strcmp(tx->method, "INVITE");
    tx->on_failure = tx->on_reply = LUA_NOREF;
    if (key) {
        tx->idx = idx & (TM_HASH_SIZE - 1);
        req->tx = tx;
    } else {
        tx->local = 1;
        tx->idx = (unsigned)(tx->id * 0x9e3779b97f4a7c15ULL >> (64 - TM_HASH_BITS));
    }
    event_assign(&tx->wait_ev, server_base(), -1, 0, wait_fired, tx);
    tx_link(tx);
    tm_active++;
    tm_created++;
    return tx;
}

void tm_tx_ref(struct tm_tx *tx)
{
    tx->refs++;
}

void tm_tx_clear_lua(struct tm_tx *tx)
{
    if (!tx->s)
        return;
    luaL_unref(tx->Lmain, LUA_REGISTRYINDEX, tx->on_failure);
    luaL_unref(tx->Lmain, LUA_REGISTRYINDEX, tx->on_reply);
    tx->on_failure = tx->on_reply = LUA_NOREF;
    script_unref(tx->s);
    tx->s = NULL;
    tx->Lmain = NULL;
}

static void tx_free(struct tm_tx *tx)
{
    while (tx->branches) {
        struct tm_branch *br = tx->branches;
        tx->branches = br->next;
        tm_branch_free(br);
    }
    tm_tx_clear_lua(tx);
    if (tx->req && tx->req->tx == tx)
        tx->req->tx = NULL;
    sipmsg_unref(tx->req);
    if (tx->g_ev)
        event_free(tx->g_ev);
    free(tx->up_conn);
    free(tx->last);
    free(tx);
    tm_active--;
}

void tm_tx_unref(struct tm_tx *tx)
{
    if (--tx->refs == 0)
        tx_free(tx);
}

void tm_tx_release(struct tm_tx *tx)
{
    if (!tx->linked)
        return;
    tx_unlink(tx);
    queue_remove(tx);
    if (tx->g_ev)
        event_del(tx->g_ev);
    event_del(&tx->wait_ev);
    for (struct tm_branch *br = tx->branches; br; br = br->next)
        tm_branch_stop(br);
    if (tx->req && tx->req->tx == tx)
        tx->req->tx = NULL;
    tm_tx_unref(tx);
}

unsigned long tm_tx_pending(void)
{
    unsigned long n = 0;
    for (unsigned i = 0; i < TM_HASH_SIZE; i++)
        for (struct tm_tx *tx = table[i]; tx; tx = tx->hnext)
            n += tx->status < 200;
    return n;
}

void tm_tx_release_all(void)
{
    for (unsigned i = 0; i < TM_HASH_SIZE; i++)
        while (table[i])
            tm_tx_release(table[i]);
    for (int i = 0; i < 2; i++)
        if (queues[i].ev)
            event_free(queues[i].ev);
    memset(queues, 0, sizeof queues);
}

struct tm_tx *tm_tx_by_id(unsigned idx, unsigned long long id)
{
    if (idx >= TM_HASH_SIZE)
        return NULL;
    for (struct tm_tx *tx = table[idx]; tx; tx = tx->hnext)
        if (tx->id == id)
            return tx;
    return NULL;
}


/* ---- matching ---- */

/* The match key of a received request: RFC 3261 branch + sent-by, or for RFC 2543 peers what
 * identifies the transaction apart from the method (§17.2.3). Returns its hash. */
static uint64_t request_key(const struct sip_msg *m, char *key, size_t len)
{
    struct sip_via via;
    int have = sipmsg_top_via(m, &via) == 0;
    struct sip_str branch = have ? via.branch : (struct sip_str){ NULL, 0 };
    struct sip_str host = have ? via.host : (struct sip_str){ "", 0 };
    int port = have && via.port ? via.port : 5060;
    int rfc3261 = branch.len >= 7 && !strncmp(branch.s, BRANCH_COOKIE, strlen(BRANCH_COOKIE));
    if (rfc3261 && branch.len + host.len + 8 <= len) { /* "branch|host:port", port <= 5 digits */
        char *p = fmt_mem(key, branch.s, branch.len);
        *p++ = '|';
        p = fmt_mem(p, host.s, host.len);
        *p++ = ':';
        *fmt_uint(p, (unsigned)port) = '\0';
    } else if (rfc3261) {
        snprintf(key, len, "%.*s|%.*s:%d", (int)branch.len, branch.s, (int)host.len, host.s, port);
    } else {
        struct sip_str ruri = sipmsg_ruri(m), cid = sipmsg_call_id(m), ftag = sipmsg_from_tag(m);
        uint32_t cseq = 0;
        sipmsg_cseq(m, &cseq, NULL);
        snprintf(key, len, "2543|%.*s|%.*s|%u|%.*s|%.*s:%d|%.*s", (int)ruri.len, ruri.s ? ruri.s : "",
                 (int)cid.len, cid.s ? cid.s : "", cseq, (int)ftag.len, ftag.s ? ftag.s : "", (int)host.len,
                 host.s, port, (int)branch.len, branch.s ? branch.s : "");
    }
    return fnv1a_str(FNV_SEED, key);
}

static struct tm_tx *find(unsigned idx, const char *key, const char *method)
{
    for (struct tm_tx *tx = table[idx & (TM_HASH_SIZE - 1)]; tx; tx = tx->hnext)
        if (tx->key && !strcmp(tx->method, method) && !strcmp(tx->key, key))
            return tx;
    return NULL;
}

struct tm_tx *tm_tx_lookup(struct sip_msg *msg)
{
    if (msg->tx)
        return msg->tx;
    char key[1024];
    unsigned idx = (unsigned)request_key(msg, key, sizeof key);
    char method[32];
    sip_str_copy(sipmsg_method(msg), method, sizeof method);
    return find(idx, key, !strcmp(method, "ACK") ? "INVITE" : method);
}

struct tm_tx *tm_tx_get(struct sip_msg *msg)
{
    if (!sipmsg_is_request(msg) || sipmsg_method_is(msg, "ACK"))
        return NULL;
    struct tm_tx *tx = tm_tx_lookup(msg);
    if (tx)
        return tx;
    char key[1024];
    unsigned idx = (unsigned)request_key(msg, key, sizeof key);
    return tm_tx_new(msg, key, idx);
}

/* ---- upstream ---- */

static int send_up(struct tm_tx *tx, const char *buf, size_t len)
{
    if (PROTO_STREAM(tx->up_proto) && tx->up_conn)
        return transport_send(&tx->up_conn->addr, tx->up_conn->id, buf, len);
    return proxy_send_from(tx->up_lst, tx->up_host, tx->up_port, tx->up_proto, 0, buf, len);
}

/* A final reply went upstream: wait for the ACK (negative INVITE replies, retransmitted by
 * timer G on UDP until timer H), else linger wait_timer to absorb retransmissions. */
static void tx_completed(struct tm_tx *tx)
{
    tx->req->replied = 1;
    if (tx->invite)
        tm_cancel_branches(tx);
    if (tx->local)
        return;
    tm_tx_trim_later(tx);
    if (tx->invite && tx->status >= 300) {
        if (tx->up_proto == PROTO_UDP && (tx->g_ev = evtimer_new(server_base(), g_fired, tx)) != NULL) {
            tx->g_ms = TM_T1;
            ls_timer_arm(tx->g_ev, tx->g_ms);
        }
        ls_timer_arm(&tx->wait_ev, 64 * TM_T1); /* timer H */
    } else {
        ls_timer_arm(&tx->wait_ev, tm_cfg.wait_timer);
    }
}

static int send_reply_bytes(struct tm_tx *tx, const char *buf, size_t len, int code)
{
    if (tx->status >= 200)
        return -1;
    if (code >= 200 || code > tx->status) {
        free(tx->last);
        tx->last = malloc(len);
        memcpy(tx->last, buf, len);
        tx->last_len = len;
    }
    int rc = send_up(tx, buf, len);
    if (rc == 0)
        ls_stats_reply_sent(tx->req, code);
    if (code > tx->status)
        tx->status = code;
    if (code >= 200)
        tx_completed(tx);
    return rc;
}

int tm_tx_reply_bytes(struct tm_tx *tx, int code, const char *buf, size_t len)
{
    if (tx->status >= 200 || tx->local)
        return -1;
    return send_reply_bytes(tx, buf, len, code);
}

int tm_tx_reply(struct tm_tx *tx, int code, const char *reason)
{
    if (!tx->req)
        return -1; /* trimmed: it has its final reply */
    size_t len;
    char *buf = proxy_build_reply(tx->req, code, reason, NULL, NULL, 0, &len);
    if (!buf)
        return -1;
    int rc = tm_tx_reply_bytes(tx, code, buf, len);
    free(buf);
    return rc;
}

int tm_tx_forward_reply(struct tm_tx *tx, struct sip_msg *reply)
{
    char *out;
    size_t len;
    int code = sipmsg_status(reply);
    if (tx->local)
        return -1;
    if (sipmsg_print(reply, &out, &len) != 0)
        return -1;
    int rc;
    if (tx->status >= 200) {
        rc = code >= 200 && code < 300 ? send_up(tx, out, len) : -1; /* more 2xx go up, end to end */
        if (rc == 0)
            ls_stats_reply_sent(NULL, code);
    } else {
        rc = send_reply_bytes(tx, out, len, code);
    }
    if (rc == 0)
        ls_stats_forwarded(1, 1);
    free(out);
    return rc;
}

static void g_fired(evutil_socket_t fd, short what, void *arg)
{
    struct tm_tx *tx = arg;
    if (tx->last)
        send_up(tx, tx->last, tx->last_len);
    tx->g_ms = tx->g_ms * 2 > TM_T2 ? TM_T2 : tx->g_ms * 2;
    ls_timer_arm(tx->g_ev, tx->g_ms);
}

static void wait_fired(evutil_socket_t fd, short what, void *arg)
{
    struct tm_tx *tx = arg;
    if (tx->invite && tx->status >= 300 && !tx->acked)
        tm_debug("%s %s: no ACK for our %d (timer H)", tx->method, tx->key ? tx->key : "",
                 tx->status);
    tm_tx_release(tx);
}

/* ---- received requests ---- */

static void cancel_invite(struct tm_tx *inv)
{
    if (inv->status >= 200 || inv->canceled)
        return;
    inv->canceled = 1;
    tm_debug("INVITE %.*s cancelled", (int)sipmsg_call_id(inv->req).len, sipmsg_call_id(inv->req).s);
    if (tm_branches_pending(inv))
        tm_cancel_branches(inv);
    else
        tm_tx_reply(inv, 487, NULL); /* nothing relayed yet: the route cannot relay any more */
}

/* Over max_transactions: 503 with Retry-After, statelessly (a retransmission gets another). */
static int refuse_busy(struct sip_msg *msg)
{
    static time_t logged;
    tm_refused++;
    if (time(NULL) != logged) { /* at most once a second */
        logged = time(NULL);
        ls_log(LS_LOG_WARN, "tm", "%lu transactions live (max_transactions): new requests get 503", tm_active);
    }
    proxy_reply(msg, 503, NULL, "Retry-After: 5\r\n", NULL, 0); /* no transaction: stateless */
    return 1;
}

int tm_request_hook(struct sip_msg *msg)
{
    char method[32], key[1024];
    sip_str_copy(sipmsg_method(msg), method, sizeof method);
    unsigned idx = (unsigned)request_key(msg, key, sizeof key);
    struct tm_tx *tx;
    if (!strcmp(method, "ACK")) {
        tx = find(idx, key, "INVITE");
        if (!tx || tx->status < 300)
            return 0; /* ACK for a 2xx: a new request, routed end to end */
        if (!tx->acked) {
            tx->acked = 1;
            if (tx->g_ev)
                event_del(tx->g_ev);
            event_del(&tx->wait_ev);
            ls_timer_arm(&tx->wait_ev, tx->up_proto == PROTO_UDP ? tm_cfg.wait_timer : 0); /* timer I */
        }
        return 1;
    }
    tx = find(idx, key, method);
    if (tx) { /* a retransmission */
        if (tx->last)
            send_up(tx, tx->last, tx->last_len);
        return 1;
    }
    if (tm_active >= (unsigned long)tm_cfg.max_transactions && strcmp(method, "CANCEL") != 0)
        return refuse_busy(msg);
    tx = tm_tx_new(msg, key, idx);
    if (!tx)
        return 0;
    if (!strcmp(method, "CANCEL")) {
        struct tm_tx *inv = find(idx, key, "INVITE");
        tm_tx_reply(tx, inv ? 200 : 481, NULL);
        if (inv)
            cancel_invite(inv);
        return 1;
    }
    if (tx->invite)
        tm_tx_reply(tx, 100, NULL);
    return 0;
}

void tm_route_done(struct sip_msg *msg, int failed)
{
    struct tm_tx *tx = msg->tx;
    if (failed) {
        if (tx->status < 200 && !msg->dropped)
            tm_tx_reply(tx, 500, "Server Internal Error");
        return;
    }
    if (tx->status < 200 && !tx->nbranches && !tx->suspended) {
        tm_debug("%s %.*s dropped: the route neither replied nor relayed", tx->method,
                 (int)sipmsg_call_id(msg).len, sipmsg_call_id(msg).s ? sipmsg_call_id(msg).s : "");
        tm_tx_release(tx);
    }
}
