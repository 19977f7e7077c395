/* Branches of a request for parallel forking, kept in the message slot "branch"; see
 * include/lunasip/branch.h. */
#include <lunasip/branch.h>
#include <lunasip/msg.h>
#include <stdlib.h>
#include <string.h>

struct branch_set {
    int n;
    int ruri_q; /* q of the R-URI, -1 unknown */
    struct sip_branch v[SIP_MAX_BRANCHES];
};

static void branch_free(struct sip_branch *b)
{
    free(b->uri);
    free(b->du);
    free(b->path);
}

static void set_free(void *p)
{
    struct branch_set *s = p;
    for (int i = 0; i < s->n; i++)
        branch_free(&s->v[i]);
    free(s);
}

/* msg's branch set, made when missing (NULL when out of memory). */
static struct branch_set *set_get(struct sip_msg *msg)
{
    struct branch_set *s = sipmsg_slot_get(msg, "branch");
    if (!s) {
        if (!(s = calloc(1, sizeof *s)))
            return NULL;
        s->ruri_q = -1;
        if (sipmsg_slot_set(msg, "branch", s, set_free) != 0)
            return NULL;
    }
    return s;
}

int sip_branch_add(struct sip_msg *msg, const char *uri, const char *du, const char *path, int q)
{
    struct branch_set *s = set_get(msg);
    if (!s)
        return -1;
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

void sip_branches_keep(struct sip_msg *msg, int (*keep)(const struct sip_branch *b, void *arg), void *arg)
{
    struct branch_set *s = sipmsg_slot_get(msg, "branch");
    int n = 0;
    for (int i = 0; s && i < s->n; i++) {
        if (keep(&s->v[i], arg))
            s->v[n++] = s->v[i];
        else
            branch_free(&s->v[i]);
    }
    if (s)
        s->n = n;
}

void sip_branches_set_ruri_q(struct sip_msg *msg, int q)
{
    struct branch_set *s = set_get(msg);
    if (s)
        s->ruri_q = q;
}

int sip_branches_ruri_q(const struct sip_msg *msg)
{
    struct branch_set *s = sipmsg_slot_get(msg, "branch");
    return s ? s->ruri_q : -1;
}
