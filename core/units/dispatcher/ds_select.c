/* Selection: the algorithms of dispatcher.select, and the failover list kept with the request
 * (a message slot) for dispatcher.next and dispatcher.mark. Main loop only. */
#include "ds.h"
#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

#define DS_SLOT "dispatcher"


static const struct { int no; const char *name; } algs[] = {
    { DS_ALG_HASH_CALLID, "hash-callid" }, { DS_ALG_HASH_FROM, "hash-from" }, { DS_ALG_HASH_TO, "hash-to" },
    { DS_ALG_HASH_RURI, "hash-ruri" },     { DS_ALG_ROUND_ROBIN, "round-robin" }, { DS_ALG_PRIORITY, "priority" },
    { DS_ALG_WEIGHT, "weight" },
};

/* The failover list of a request: one malloc'd block (released with libc's free, so a message
 * outliving the unit's code at exit is harmless). */
struct ds_pick {
    int set;
    int cur;        /* index of the destination msg->du names */
    const struct listener *base; /* msg.socket before select: for destinations without a socket */
    int n;
    char *uri[];    /* n pointers, then the strings */
};

int ds_alg_parse(lua_State *L, int idx)
{
    if (lua_type(L, idx) == LUA_TNUMBER) {
        lua_Integer v = lua_tointeger(L, idx);
        for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++)
            if (algs[i].no == v)
                return algs[i].no;
        return -1;
    }
    const char *s = lua_tostring(L, idx);
    for (size_t i = 0; s && i < sizeof algs / sizeof algs[0]; i++)
        if (!strcmp(algs[i].name, s))
            return algs[i].no;
    return -1;
}

/* The hash key of msg for a hash algorithm: Call-ID, or user@host of the From/To/R-URI. */
static uint32_t msg_hash(struct sip_msg *msg, int alg)
{
    char buf[1024] = "";
    struct sip_str us = alg == DS_ALG_HASH_FROM ? sipmsg_from_uri(msg)
                      : alg == DS_ALG_HASH_TO   ? sipmsg_to_uri(msg)
                      : alg == DS_ALG_HASH_RURI ? sipmsg_ruri(msg) : (struct sip_str){ NULL, 0 };
    struct sip_uri u;
    if (alg == DS_ALG_HASH_CALLID)
        sip_str_copy(sipmsg_call_id(msg), buf, sizeof buf);
    else if (us.s && sip_uri_parse(us.s, us.len, &u) == 0)
        snprintf(buf, sizeof buf, "%.*s@%.*s", (int)u.user.len, u.user.s ? u.user.s : "", (int)u.host.len,
                 u.host.s ? u.host.s : "");
    return ds_hash(buf, strlen(buf));
}

/* msg goes to uri from d's socket, else from the listener the route chose (base). */
static void set_du(struct sip_msg *msg, const char *uri, const struct ds_dest *d, const struct listener *base)
{
    free(msg->du);
    msg->du = strdup(uri);
    msg->socket = d && d->socket ? d->socket : base;
}

int ds_select(struct sip_msg *msg, struct ds_set *set, int alg, int limit)
{
    if (!set || set->n == 0)
        return 0;
    int n = set->n, first = -1, usable = 0;
    unsigned char *ok = calloc((size_t)n, 1);
    for (int i = 0; i < n; i++)
        usable += ok[i] = ds_dest_usable(&set->d[i]);
    if (!usable) {
        free(ok);
        sipmsg_slot_set(msg, DS_SLOT, NULL, NULL);
        return 0;
    }
    switch (alg) {
    case DS_ALG_ROUND_ROBIN:
        first = (int)(set->rr++ % (unsigned)n);
        break;
    case DS_ALG_PRIORITY:
        first = 0;
        break;
    case DS_ALG_WEIGHT: {
        int *w = malloc((size_t)n * sizeof *w), *cur = malloc((size_t)n * sizeof *cur);
        for (int i = 0; i < n; i++) {
            w[i] = set->d[i].weight;
            cur[i] = set->d[i].wrr;
        }
        first = ds_wrr_pick(w, cur, ok, n);
        for (int i = 0; i < n; i++)
            set->d[i].wrr = cur[i];
        free(w);
        free(cur);
        break;
    }
    default:
        first = (int)(msg_hash(msg, alg) % (unsigned)n);
        break;
    }
    /* the chosen one (or the next usable after it), then the other usable ones in list order */
    while (!ok[first])
        first = (first + 1) % n;
    int keep = limit > 0 && limit < usable ? limit : usable;
    size_t size = sizeof(struct ds_pick) + (size_t)keep * sizeof(char *);
    int idx[keep], k = 0;
    for (int i = 0; i < n && k < keep; i++) {
        int j = (first + i) % n;
        if (ok[j]) {
            idx[k++] = j;
            size += strlen(set->d[j].uri) + 1;
        }
    }
    free(ok);
    struct ds_pick *p = malloc(size);
    p->set = set->id;
    p->cur = 0;
    p->base = msg->socket;
    p->n = keep;
    char *str = (char *)&p->uri[keep];
    for (int i = 0; i < keep; i++) {
        p->uri[i] = str;
        str = stpcpy(str, set->d[idx[i]].uri) + 1;
    }
    if (sipmsg_slot_set(msg, DS_SLOT, p, free) != 0)
        return 0;
    set_du(msg, p->uri[0], &set->d[idx[0]], p->base);
    return 1;
}

int ds_next(struct sip_msg *msg)
{
    struct ds_pick *p = sipmsg_slot_get(msg, DS_SLOT);
    if (!p)
        return 0;
    struct ds_set *set = ds_set_find(ds_current, p->set);
    for (int i = p->cur + 1; i < p->n; i++) {
        struct ds_dest *d = ds_dest_find(set, p->uri[i]);
        if (d && ds_dest_usable(d)) { /* skip those that went down (or away) meanwhile */
            p->cur = i;
            set_du(msg, p->uri[i], d, p->base);
            return 1;
        }
    }
    return 0;
}

int ds_current_of(struct sip_msg *msg, const char **uri)
{
    struct ds_pick *p = sipmsg_slot_get(msg, DS_SLOT);
    if (!p)
        return -1;
    *uri = p->uri[p->cur];
    return p->set;
}
