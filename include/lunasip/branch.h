/* Extra destinations of a request for parallel forking (RFC 3261 §16.6): msg:append_branch()
 * and registrar.lookup add them, tm.relay sends the request to the R-URI (msg.du) and to every
 * branch. Kept with the request (a message slot); main loop only. */
#ifndef LUNASIP_BRANCH_H
#define LUNASIP_BRANCH_H
#include <lunasip/api.h>

LS_API_BEGIN
struct sip_msg;

struct sip_branch {
    char *uri;    /* the R-URI of this branch */
    char *du;     /* next hop (msg.du of the branch), or NULL: the uri */
    char *path;   /* Route values to put on top for this branch ("<sip:a;lr>,<sip:b;lr>"), or NULL */
    int q;        /* q-value times 1000 (0-1000), or -1 when none was given */
};

#define SIP_MAX_BRANCHES 12 /* branches one request may carry besides its R-URI */

/* Add a branch (strings copied; du/path may be NULL). 0, or -1 when full or out of memory. */
int sip_branch_add(struct sip_msg *msg, const char *uri, const char *du, const char *path, int q);
/* The branches of msg (*n of them), or NULL. Valid until the next add/clear. */
const struct sip_branch *sip_branches(const struct sip_msg *msg, int *n);
/* Forget every branch of msg. */
void sip_branches_clear(struct sip_msg *msg);
/* Keep only the branches for which keep(branch, arg) is true (in order). */
void sip_branches_keep(struct sip_msg *msg, int (*keep)(const struct sip_branch *b, void *arg), void *arg);
/* The q-value (times 1000) of the R-URI itself, for forking in q groups; -1 when unknown. */
void sip_branches_set_ruri_q(struct sip_msg *msg, int q);
int sip_branches_ruri_q(const struct sip_msg *msg);

LS_API_END
#endif
