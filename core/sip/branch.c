/* Branches of a request for parallel forking, kept in the message slot "branch"; see
 * include/lunasip/branch.h. */
#include <lunasip/branch.h>
#include <lunasip/msg.h>
#include <stdlib.h>
#include <string.h>

struct branch_set {
    int n;
    struct sip_branch v[SIP_MAX_BRANCHES];
};

static void set_free(void *p)
{
    struct branch_set *s = p;
    for (int i = 0; i < s->n; i++) {
        free(s->v[i].uri);
        free(s->v[i].du);
        free(s->v[i].path);
    }
    free(s);
}

int sip_branch_add(struct sip_msg *msg, const char *uri, const char *du, const char *path, int q)
{
    struct branch_set *s = sipmsg_slot_get(msg, "branch");
    if (!s) {
        if (!(s = calloc(1, sizeof *s)) || sipmsg_slot_set(msg, "branch", s, set_free) != 0)
            return -1;
    }
    if (s->n == SIP_MAX_BRANCHES)
        return -1;
    struct sip_branch *b = &s->v[s->n];
    b->uri = strdup(uri);
    b->du = du ? strdup(du) : NULL;
    b->path = path ? strdup(path) : NULL;
    b->q = q;
    if (!b->uri || (du && !b->du) || (path && !b->path)) {
        free(b->uri);
        free(b->du);
        free(b->path);
        return -1;
    }
    s->n++;
    return 0;
}

const struct sip_branch *sip_branches(const struct sip_msg *msg, int *n)
{
    struct branch_set *s = sipmsg_slot_get(msg, "branch");
    *n = s ? s->n : 0;
    return s && s->n ? s->v : NULL;
}

void sip_branches_clear(struct sip_msg *msg)
{
    if (sipmsg_slot_get(msg, "branch"))
        sipmsg_slot_set(msg, "branch", NULL, NULL);
}
