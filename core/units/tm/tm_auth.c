/* Client side digest authentication (Kamailio's uac_auth): a request relayed or sent by tm with
 * credentials answers one 401/407 by going out again with an Authorization or
 * Proxy-Authorization header. The digest itself is the auth unit's (include/lunasip/auth.h).
 * Main loop only. */
#include "tm_int.h"
#include <lunasip/auth.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tm_auth {
    char *user, *password;
    long timeout_ms;
    int tried;
};

static void auth_free(void *p)
{
    struct tm_auth *a = p;
    free(a->user);
    free(a->password);
    free(a);
}

int tm_auth_set(struct sip_msg *req, const char *user, const char *password, long timeout_ms, char *err,
                size_t errlen)
{
    if (!auth_load_api()) {
        snprintf(err, errlen, "credentials need the auth unit: add auth = {} to config.units");
        return -1;
    }
    struct tm_auth *a = calloc(1, sizeof *a);
    if (!a || !(a->user = strdup(user)) || !(a->password = strdup(password))) {
        if (a)
            auth_free(a);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    a->timeout_ms = timeout_ms;
    if (sipmsg_slot_set(req, "tm_auth", a, auth_free) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

int tm_auth_retry(struct tm_tx *tx, struct tm_branch *best)
{
    struct tm_auth *a = tx->req ? sipmsg_slot_get(tx->req, "tm_auth") : NULL;
    if (!a || a->tried || !best || !best->reply || best->local_reply || tx->canceled ||
        (best->status != 401 && best->status != 407))
        return 0;
    a->tried = 1; /* one answer only: a second challenge goes to the caller */
    const struct auth_api *api = auth_load_api();
    struct sip_str ch = sipmsg_header(best->reply, best->status == 401 ? "WWW-Authenticate" : "Proxy-Authenticate", 0);
    char chal[2048], ruri[2048], cred[2048], err[256] = "no challenge in the reply";
    if (!api || !ch.s || ch.len >= sizeof chal) {
        ls_log(LS_LOG_WARN, "tm", "%s: cannot answer the %d: %s", tx->method, best->status, err);
        return 0;
    }
    sip_str_copy(ch, chal, sizeof chal);
    sip_str_copy(sipmsg_ruri(tx->req), ruri, sizeof ruri);
    if (api->answer(chal, a->user, a->password, tx->method, ruri, cred, sizeof cred, err, sizeof err) != 0) {
        ls_log(LS_LOG_WARN, "tm", "%s: cannot answer the %d: %s", tx->method, best->status, err);
        return 0;
    }
    /* the request as it went out (Record-Route and Max-Forwards applied), our Via apart */
    char *buf;
    size_t len;
    const char *why;
    if (sipmsg_print(tx->req, &buf, &len) != 0)
        return 0;
    struct sip_msg *c = sipmsg_parse(buf, len, &tx->req->src, &why);
    free(buf);
    if (!c)
        return 0;
    c->mf_done = 1;
    c->socket = tx->req->socket;
    int ok = !tx->req->du || (c->du = strdup(tx->req->du)) != NULL;
    uint32_t cseq;
    if (ok && tx->local && sipmsg_cseq(c, &cseq, NULL) == 0) { /* we are the UAC: a new request */
        char v[64];
        snprintf(v, sizeof v, "%u %s", cseq + 1, tx->method);
        ok = sipmsg_header_replace_value(c, "CSeq", 0, v) == 0;
    }
    ok = ok && sipmsg_header_append(c, best->status == 401 ? "Authorization" : "Proxy-Authorization", cred) == 0;
    ok = ok && tm_relay_msg(tx, c, NULL, a->timeout_ms, err, sizeof err) == 0;
    sipmsg_unref(c);
    if (!ok) {
        ls_log(LS_LOG_WARN, "tm", "%s: cannot send again with credentials: %s", tx->method, err);
        return 0;
    }
    tm_debug("%s answered the %d of branch %u with credentials of %s", tx->method, best->status, best->no, a->user);
    sipmsg_unref(best->reply); /* the new branch decides now */
    best->reply = NULL;
    return 1;
}
