/* tm internals shared by tm.c (unit, Lua), tm_tx.c (table, server side), tm_branch.c (client
 * branches, replies) and tm_uac.c (local requests). Main loop only. */
#ifndef TM_INT_H
#define TM_INT_H
#include <event2/event.h>
#include <event2/event_struct.h>
#include <lua.h>
#include <lunasip/coro.h>
#include <lunasip/log.h>
#include <lunasip/loop.h>
#include <lunasip/msg.h>
#include <lunasip/tm.h>
#include "tm_util.h"

#define TM_T1 500            /* ms, RFC 3261 round-trip estimate */
#define TM_T2 4000           /* ms, longest non-INVITE retransmission interval */
#define TM_MAX_BRANCHES 16   /* serial relays of one transaction */
#define TM_TRIM_FRESH 1      /* trim queue of transactions completed since the last pass */
#define TM_TRIM_RETRY 2      /* ... of those whose request was still in use: tried again later */
#define TM_TRIM_RETRY_MS 100
#define TM_HASH_BITS 14
#define TM_HASH_SIZE (1u << TM_HASH_BITS)

#define tm_debug(...) do { if (ls_log_enabled(LS_LOG_DEBUG)) ls_log(LS_LOG_DEBUG, "tm", __VA_ARGS__); } while (0)

struct tm_config {
    long fr_timer;     /* ms for a final reply (non-INVITE) or a provisional (INVITE) */
    long fr_inv_timer; /* ms for a final reply to an INVITE once a provisional arrived */
    long wait_timer;   /* ms a completed transaction lingers to absorb retransmissions */
    long max_transactions; /* live transactions; new requests past it get 503 + Retry-After */
};
extern unsigned long tm_refused;
/* Transactions still waiting for a final reply (a linear scan: for shutdown). */
unsigned long tm_tx_pending(void); /* requests answered 503 over max_transactions */
extern struct tm_config tm_cfg;

struct tm_tx;

/* What a pending branch needs and a final one does not: its timers and its CANCEL. Allocated by
 * tm_relay, freed when the branch gets its final reply (or with the branch). */
struct tm_branch_run {
    struct event retrans_ev;      /* timers A/E */
    struct event fr_ev;           /* fr_timer / fr_inv_timer (timers B/F) */
    struct event cancel_ev;       /* CANCEL retransmissions */
    unsigned retrans_ms;          /* current timer A/E interval */
    unsigned cancel_ms;           /* current CANCEL retransmission interval */
    long timeout_ms;              /* final-reply timer override of this relay, 0: defaults */
    char *cancel_buf;             /* our CANCEL of this branch, once sent */
    size_t cancel_len;
};

/* Bytes sent on a branch and where they went (one allocation). */
struct tm_sent {
    struct sip_addr dst;
    size_t len;
    char buf[];
};

/* One client transaction: the request sent to one destination. What stays once it is final is
 * what a late or retransmitted reply needs: the status, and for a negative final reply to an
 * INVITE the ACK (and its destination) to send again. */
struct tm_branch {
    struct tm_tx *tx;
    struct tm_branch *next;       /* next branch of tx, in relay order */
    unsigned no;                  /* position in tx's list, encoded in our Via branch */
    unsigned pending : 1;         /* no final reply yet */
    unsigned sync_failed : 1;     /* the send failed inside tm_relay */
    unsigned provisional : 1;     /* a 1xx arrived */
    unsigned cancel_wanted : 1;   /* CANCEL to send once a provisional arrives */
    unsigned cancel_sent : 1;
    unsigned local_reply : 1;     /* reply was generated here (timeout, send failure) */
    int status;                   /* final reply code, 0 while pending */
    struct sip_msg *reply;        /* final negative reply, our Via removed; dropped when tx is trimmed */
    char *why;                    /* why a local reply was generated (malloc'd), or NULL */
    struct tm_sent *out;          /* while pending: the request as sent (NULL until on the wire);
                                   * after a negative final reply to an INVITE: the ACK we sent;
                                   * otherwise NULL */
    struct tm_branch_run *run;    /* while pending, NULL after */
};

/* The connection a request came on over TCP: its replies go there (RFC 3261 §18.2.2). */
struct tm_conn {
    struct sip_addr addr;
    uint64_t id;
};

/* A server transaction (request received), or the state of a local request (tm.request).
 * Once complete and idle it is trimmed (tm_tx_trim_later): the request and everything only
 * the route or the branch set needed are released; the wait state keeps the match key, the
 * last reply sent upstream and where it went, and the branches' ACKs. */
struct tm_tx {
    struct tm_tx *hnext, *hprev;  /* hash bucket list */
    struct tm_tx *qnext, *qprev;  /* trim queue, while queued */
    unsigned idx;                 /* hash bucket */
    unsigned linked : 1;          /* in the table (not yet released) */
    unsigned invite : 1;
    unsigned local : 1;           /* tm.request: nobody upstream */
    unsigned canceled : 1;
    unsigned acked : 1;           /* ACK for our negative final reply came */
    unsigned in_failure : 1;      /* on_failure is running */
    unsigned relaying : 1;        /* inside tm_relay */
    unsigned queued : 2;          /* trim queue it is in: 0 none, TM_TRIM_FRESH, TM_TRIM_RETRY */
    unsigned long long id;        /* unique, encoded in our branches */
    int refs;                     /* the table, pending sends, tm coroutines */
    int suspended;                /* tm_api.suspend count */
    const char *key;              /* match key (top Via branch + sent-by), NULL for local; in strs */
    const char *method;           /* in strs */
    struct sip_msg *req;          /* the request (its ->tx points back while linked); NULL once trimmed */
    /* upstream (server side) */
    int status;                   /* highest status sent upstream, 0: none */
    char *last;                   /* last reply sent upstream (re-sent on retransmissions) */
    size_t last_len;
    const char *up_host;          /* where replies go (Via received/rport), in strs */
    int up_port;
    enum sip_proto up_proto;
    const struct listener *up_lst; /* the listener the request came in on: replies leave from it */
    struct tm_conn *up_conn;      /* the TCP connection the request came on, or NULL */
    unsigned g_ms;                /* timer G interval */
    struct event *g_ev;           /* timer G: negative final reply retransmissions (UDP), made when armed */
    struct event wait_ev;         /* timers H/I/J/K: end of life */
    /* client side */
    int nbranches;
    struct tm_branch *branches;   /* in relay order */
    /* Lua callbacks of the current relay (registry refs of script s, LUA_NOREF when unset) */
    struct script *s;
    lua_State *Lmain;
    int on_failure, on_reply;
    /* local request */
    tm_uac_fn done;
    void *done_arg;
    char strs[];                  /* key, method and up_host */
};

/* tm_tx.c: the table and the server side */
extern unsigned long tm_active, tm_created;
struct tm_tx *tm_tx_new(struct sip_msg *req, const char *key, unsigned idx);
void tm_tx_ref(struct tm_tx *tx);
void tm_tx_unref(struct tm_tx *tx);
/* Take tx out of the table and stop its timers; freed when the last reference goes. */
void tm_tx_release(struct tm_tx *tx);
struct tm_tx *tm_tx_by_id(unsigned idx, unsigned long long id);
struct tm_tx *tm_tx_get(struct sip_msg *msg);
struct tm_tx *tm_tx_lookup(struct sip_msg *msg);
/* Send reply bytes built for tx->req upstream. 0 or -1. */
int tm_tx_reply_bytes(struct tm_tx *tx, int code, const char *buf, size_t len);
int tm_tx_reply(struct tm_tx *tx, int code, const char *reason);
/* Send a received/stored reply upstream (our Via already removed); final ones complete tx. */
int tm_tx_forward_reply(struct tm_tx *tx, struct sip_msg *reply);
void tm_tx_clear_lua(struct tm_tx *tx);
/* tx has its final outcome: release what the wait state does not need as soon as nothing else
 * holds the request (checked from the event loop, never inside the caller). */
void tm_tx_trim_later(struct tm_tx *tx);
int tm_request_hook(struct sip_msg *msg);
void tm_route_done(struct sip_msg *msg, int failed);
void tm_tx_release_all(void);

/* tm_branch.c: client branches */
/* Relay tx->req to uri (NULL: du or R-URI). 0, or -1 with the reason (no branch made). */
int tm_relay(struct tm_tx *tx, const char *uri, long timeout_ms, char *err, size_t errlen);
/* Send msg (tx->req, or a copy of it) to uri (NULL: msg->du, else its R-URI) as a new branch. */
int tm_relay_msg(struct tm_tx *tx, struct sip_msg *msg, const char *uri, long timeout_ms, char *err,
                 size_t errlen);
/* Forking in q groups (opts.q_groups): when no branch is pending, send the next group of
 * branches (the highest q left). 1 when one is under way, 0 when none is left. */
int tm_fork_next(struct tm_tx *tx);
int tm_reply_hook(struct sip_msg *reply);
void tm_branch_free(struct tm_branch *br);
/* Stop br's timers (tx released); its state stays until tm_branch_free. */
void tm_branch_stop(struct tm_branch *br);
/* The branch number bno of tx, or NULL. */
struct tm_branch *tm_branch_get(const struct tm_tx *tx, unsigned bno);
/* CANCEL every pending branch (those without a provisional once one arrives). */
void tm_cancel_branches(struct tm_tx *tx);
int tm_branches_pending(const struct tm_tx *tx);

/* tm_auth.c: client side digest (answering one 401/407 with credentials) */
/* Keep user/password with request req for tm_auth_retry. 0, or -1 with the reason (no auth unit). */
int tm_auth_set(struct sip_msg *req, const char *user, const char *password, long timeout_ms, char *err,
                size_t errlen);
/* best (the final reply of tx's branch set) is a 401/407 and req has credentials not tried yet:
 * send req again with them as a new branch (CSeq + 1 for a local request). 1 when sent. */
int tm_auth_retry(struct tm_tx *tx, struct tm_branch *best);

/* tm_uac.c: local requests */
struct tm_uac *tm_request(const struct tm_uac_req *r, tm_uac_fn done, void *arg, char *err, size_t errlen);
void tm_request_cancel(struct tm_uac *h);
/* The branch set of a local request is done: report its outcome. */
void tm_uac_finish(struct tm_tx *tx, struct tm_branch *br);
int tm_lua_request(lua_State *L);
/* opts.auth = { user =, password = } of the table at idx (raises on a bad one); unchanged if absent. */
void tm_lua_auth_opt(lua_State *L, int idx, const char *fn, const char **user, const char **password);

#endif
