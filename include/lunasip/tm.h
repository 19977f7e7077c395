/* The tm unit's typed API (transactions), for other units. Bind it once, in your init:
 *
 *     static const struct tm_api *tm;
 *     tm = tm_load_api();          // NULL when tm is not loaded
 *
 * Everything runs on the main loop. A transaction is opaque; the request it belongs to
 * carries it in msg->tx. */
#ifndef LUNASIP_TM_H
#define LUNASIP_TM_H
#include <stddef.h>
#include <lunasip/msg.h>
#include <lunasip/unit.h>
#include <lunasip/api.h>

LS_API_BEGIN
struct tm_tx;   /* a server transaction (or the state of a local request) */
struct tm_uac;  /* handle of a request sent with tm_api.request */

/* Final outcome of a local request: status is the final reply's code (408 on timeout, with
 * reply NULL), or 0 when the request could not be sent (reason says why, reply NULL).
 * reply (the received final reply) is only valid during the call; take a reference to keep it. */
typedef void (*tm_uac_fn)(int status, const char *reason, struct sip_msg *reply, void *arg);

/* A new request sent as a UAC. method and uri are required; from defaults to
 * sip:lunasip@<our address>, to to uri, dst (the next hop URI) to uri. headers: extra header
 * lines "Name: value\r\n..." or NULL. timeout_ms: final-reply timer (0: fr_timer, or
 * fr_inv_timer for INVITE). */
struct tm_uac_req {
    const char *method, *uri, *from, *to, *dst, *headers;
    const char *body;
    size_t body_len;
    const char *content_type; /* of body; default application/sdp for INVITE, else text/plain */
    long timeout_ms;
    /* Answer one 401/407 challenge by sending the request again (CSeq + 1) with digest
     * credentials for this user and password; needs the auth unit. NULL: no credentials. */
    const char *auth_user, *auth_password;
    /* Send from this listener (and name it in From, Call-ID and Contact by default); NULL: the
     * transport's for the destination (see transport_send_listener). */
    const struct listener *socket;
};

struct tm_api {
    /* The server transaction of request msg: the existing one, or a new one (retransmissions
     * are absorbed from then on). NULL for ACK. lookup never creates. */
    struct tm_tx *(*tx_get)(struct sip_msg *msg);
    struct tm_tx *(*tx_lookup)(struct sip_msg *msg);
    /* Reply statefully (code 100-699; reason NULL: the RFC phrase). 0 or -1. */
    int (*reply)(struct sip_msg *msg, int code, const char *reason);
    /* Stateful forward to uri (NULL: msg->du, else the R-URI). 0, or -1 with the reason. */
    int (*relay)(struct sip_msg *msg, const char *uri, char *err, size_t errlen);
    /* Send a request as a UAC; done is called exactly once, never before this returns,
     * unless the handle is cancelled first. NULL with the reason when nothing was sent. */
    struct tm_uac *(*request)(const struct tm_uac_req *req, tm_uac_fn done, void *arg,
                              char *err, size_t errlen);
    /* Forget done/arg of a pending request (its owner goes away); the request itself runs on. */
    void (*request_cancel)(struct tm_uac *h);
    /* Keep msg's transaction when its route ends without an answer (async work in C); resume
     * undoes it: a transaction that then has neither a reply nor a branch is released. */
    int (*suspend)(struct sip_msg *msg);
    void (*resume)(struct sip_msg *msg);
    /* Transactions alive now / created since start (server ones and local requests). */
    unsigned long (*active)(void);
    unsigned long (*created)(void);
};

static inline const struct tm_api *tm_load_api(void)
{
    return (const struct tm_api *)ls_unit_api("tm");
}

LS_API_END
#endif
