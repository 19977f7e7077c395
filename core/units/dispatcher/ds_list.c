/* The destination list: parsing a Kamailio-compatible list file into sets, atomic reload, state
 * changes, and the rule that probing flags never exist without tm. Main loop only. */
#include "ds.h"
#include <lunasip/proxy.h>
#include <lunasip/transport.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

struct ds_list *ds_current;

const char ds_no_tm_reason[] =
    "probing needs the tm unit, which is not loaded (add tm = {} to config.units to enable probing)";

void ds_list_free(struct ds_list *l)
{
    if (!l)
        return;
    for (int i = 0; i < l->nsets; i++) {
        for (int j = 0; j < l->sets[i].n; j++) {
            free(l->sets[i].d[j].uri);
            json_decref(l->sets[i].d[j].attrs);
        }
        free(l->sets[i].d);
    }
    free(l->sets);
    free(l);
}

struct ds_set *ds_set_find(struct ds_list *l, int id)
{
    for (int i = 0; l && i < l->nsets; i++)
        if (l->sets[i].id == id)
            return &l->sets[i];
    return NULL;
}

struct ds_dest *ds_dest_find(struct ds_set *s, const char *uri)
{
    for (int i = 0; s && i < s->n; i++)
        if (!strcmp(s->d[i].uri, uri))
            return &s->d[i];
    return NULL;
}

/* The socket attr (Kamailio's socket=udp:10.0.0.1:5060) names the listener requests to d leave
 * from. Checked against the open listeners; with none open (lunasip -c) only its form is. */
static int dest_socket(struct ds_dest *d, const char *spec, char *err, size_t errlen)
{
    size_t n;
    enum sip_proto proto;
    struct sockaddr_storage sa;
    socklen_t salen;
    char why[200];
    if (transport_parse_spec(spec, &proto, &sa, &salen, why, sizeof why) != 0) {
        snprintf(err, errlen, "bad socket: %s", why);
        return -1;
    }
    transport_listeners(&n);
    if (n && !(d->socket = transport_listener_find(spec, why, sizeof why))) {
        snprintf(err, errlen, "socket %s", why);
        return -1;
    }
    return 0;
}

static int dest_attrs(struct ds_dest *d, const char *attrs, char *err, size_t errlen)
{
    char key[64], val[512];
    int bad;
    d->attrs = json_object();
    const char *p = attrs;
    while ((p = ds_attr_next(p, key, sizeof key, val, sizeof val, &bad)) != NULL) {
        if (bad) {
            snprintf(err, errlen, "bad attribute '%.64s' (expected key=value;...)", key);
            return -1;
        }
        if (!strcmp(key, "weight")) {
            char *end;
            long w = strtol(val, &end, 10);
            if (*end || !*val || w < 0 || w > 1000000) {
                snprintf(err, errlen, "bad weight '%.32s' (a whole number 0-1000000)", val);
                return -1;
            }
            d->weight = (int)w;
        }
        json_object_set_new(d->attrs, key, json_string(val));
    }
    json_t *pf = json_object_get(d->attrs, "ping_from"), *sock = json_object_get(d->attrs, "socket");
    d->ping_from = pf ? json_string_value(pf) : NULL;
    return sock ? dest_socket(d, json_string_value(sock), err, errlen) : 0;
}

static int by_priority(const void *a, const void *b)
{
    const struct ds_dest *x = a, *y = b;
    if (x->priority != y->priority)
        return x->priority > y->priority ? -1 : 1;
    return x->wrr - y->wrr; /* file order (wrr holds the line number while sorting) */
}

static struct ds_set *set_get(struct ds_list *l, int id)
{
    struct ds_set *s = ds_set_find(l, id);
    if (s)
        return s;
    l->sets = realloc(l->sets, (size_t)(l->nsets + 1) * sizeof *l->sets);
    s = &l->sets[l->nsets++];
    *s = (struct ds_set){ .id = id };
    return s;
}

/* A bad line: with strict, the reason goes to err and loading stops (-1); else it is logged as a
 * warning and the line skipped (0). Either way "path:line: reason" is appended to bad. */
static int bad_line(const char *path, int lineno, const char *why, int strict, json_t *bad, char *err, size_t errlen)
{
    char msg[600];
    snprintf(msg, sizeof msg, "%s:%d: %s", path, lineno, why);
    json_array_append_new(bad, json_string(msg));
    if (strict) {
        snprintf(err, errlen, "%s (strict = true refuses the whole file)", msg);
        return -1;
    }
    ls_log(LS_LOG_WARN, DS_UNIT, "%s; line skipped", msg);
    return 0;
}

struct ds_list *ds_list_load(const char *path, int strict, json_t *bad, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    struct ds_list *l = calloc(1, sizeof *l);
    char line[4096], why[300];
    int lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (!strchr(line, '\n') && !feof(f)) {
            int c;
            while ((c = fgetc(f)) != EOF && c != '\n') /* skip the rest of it */
                ;
            if (bad_line(path, lineno, "line too long", strict, bad, err, errlen) != 0)
                goto fail;
            continue;
        }
        struct ds_line dl;
        int rc = ds_line_parse(line, &dl, why, sizeof why);
        if (rc == 0)
            continue;
        if (rc < 0) {
            if (bad_line(path, lineno, why, strict, bad, err, errlen) != 0)
                goto fail;
            continue;
        }
        struct ds_dest nd = { .uri = dl.uri, .flags = dl.flags, .file_flags = dl.flags, .priority = dl.priority,
                              .latency_ms = -1, .wrr = lineno };
        if (dest_attrs(&nd, dl.attrs, why, sizeof why) != 0) {
            json_decref(nd.attrs);
            if (bad_line(path, lineno, why, strict, bad, err, errlen) != 0)
                goto fail;
            continue;
        }
        /* A URI may be listed twice in a set (Kamailio allows it: a crude weight); state changes
         * by URI act on the first. */
        struct ds_set *s = set_get(l, dl.set);
        s->d = realloc(s->d, (size_t)(s->n + 1) * sizeof *s->d);
        struct ds_dest *d = &s->d[s->n++];
        *d = nd;
        d->uri = strdup(dl.uri);
    }
    if (ferror(f)) {
        snprintf(err, errlen, "%s: read error", path);
        goto fail;
    }
    fclose(f);
    for (int i = 0; i < l->nsets; i++) {
        qsort(l->sets[i].d, (size_t)l->sets[i].n, sizeof *l->sets[i].d, by_priority);
        for (int j = 0; j < l->sets[i].n; j++)
            l->sets[i].d[j].wrr = 0;
    }
    return l;
fail:
    fclose(f);
    ds_list_free(l);
    return NULL;
}

void ds_list_strip_probing(struct ds_list *l)
{
    if (ds_tm)
        return;
    for (int i = 0; l && i < l->nsets; i++)
        for (int j = 0; j < l->sets[i].n; j++)
            l->sets[i].d[j].flags &= ~(DS_PROBING | DS_TRYING);
}

int ds_reload(json_t *bad, char *err, size_t errlen)
{
    struct ds_list *l = ds_list_load(ds_cfg.list, ds_cfg.strict, bad, err, errlen);
    if (!l)
        return -1;
    ds_list_strip_probing(l);
    /* Keep the runtime state of destinations that stay: what was measured, and the flags and
     * counters set by probing or the API unless the file changed that destination's flags. */
    for (int i = 0; i < l->nsets; i++) {
        struct ds_set *old = ds_set_find(ds_current, l->sets[i].id);
        if (old)
            l->sets[i].rr = old->rr;
        for (int j = 0; j < l->sets[i].n; j++) {
            struct ds_dest *d = &l->sets[i].d[j], *o = ds_dest_find(old, d->uri);
            if (!o)
                continue;
            d->latency_ms = o->latency_ms;
            d->probing = o->probing;
            if (d->file_flags == o->file_flags) {
                d->flags = o->flags;
                d->fails = o->fails;
                d->oks = o->oks;
            }
            if (o->has_addr && !strcmp(d->uri, o->uri)) {
                d->addr = o->addr;
                d->has_addr = 1;
            }
        }
    }
    ds_list_free(ds_current);
    ds_current = l;
    ds_resolve_all();
    return 0;
}

int ds_set_flags(struct ds_dest *d, int flags, char *err, size_t errlen)
{
    if ((flags & (DS_PROBING | DS_TRYING)) && !ds_tm) {
        snprintf(err, errlen, "%s", ds_no_tm_reason);
        return -1;
    }
    if ((flags & DS_INACTIVE) != (d->flags & DS_INACTIVE))
        d->fails = d->oks = 0;
    d->flags = (flags & DS_STATES) | (d->flags & ~DS_STATES); /* 16 and 32 come from the list only */
    return 0;
}
