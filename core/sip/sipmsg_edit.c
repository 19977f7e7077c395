/* Edits of a message (recorded as new or relinked header lines and a new start line or body in
 * the message's arena; the received bytes never change) and the output that applies them. */
#include "sip/sipmsg_int.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int sipmsg_hdr_splice(struct sip_msg *msg, unsigned i, size_t off, size_t len, const char *text, size_t tlen)
{
    struct sip_hdr *h = &msg->p->h[i];
    size_t nlen = h->len - len + tlen;
    char *line = sipmsg_alloc(msg, nlen + 1);
    memcpy(line, h->line, off);
    memcpy(line + off, text, tlen);
    memcpy(line + off + tlen, h->line + off + len, h->len - off - len);
    line[nlen] = '\0';
    struct sip_hdr n;
    if (sipmsg_hdr_index(&n, line, nlen) != 0)
        return -1;
    *h = n;
    return 0;
}

int sipmsg_hdr_insert_line(struct sip_msg *msg, unsigned i, const char *text, size_t len)
{
    struct sip_msg_priv *p = msg->p;
    char *line = sipmsg_alloc(msg, len + 3);
    memcpy(line, text, len);
    memcpy(line + len, "\r\n", 3);
    struct sip_hdr n;
    if (sipmsg_hdr_index(&n, line, len + 2) != 0 || n.folded)
        return -1;
    if (p->nh == p->cap) {
        unsigned cap = p->cap * 2 + 8;
        struct sip_hdr *h = sipmsg_alloc(msg, cap * sizeof *h);
        memcpy(h, p->h, p->nh * sizeof *h);
        p->h = h;
        p->cap = cap;
    }
    if (i > p->nh)
        i = p->nh;
    memmove(&p->h[i + 1], &p->h[i], (p->nh - i) * sizeof *p->h);
    p->h[i] = n;
    p->nh++;
    return 0;
}

void sipmsg_hdr_delete(struct sip_msg *msg, unsigned i)
{
    struct sip_msg_priv *p = msg->p;
    memmove(&p->h[i], &p->h[i + 1], (p->nh - i - 1) * sizeof *p->h);
    p->nh--;
}

unsigned sipmsg_hdr_after(const struct sip_msg *msg, int id)
{
    unsigned at = 0;
    for (unsigned k = 0; k < msg->p->nh; k++)
        if (msg->p->h[k].id == id)
            at = k + 1;
    return at;
}

/* A value a route may put in a header: no CR, LF or NUL; structured headers must parse, each
 * of their comma-separated values (From and To take one; Contact may be "*"). */
static int value_ok(int id, const char *value)
{
    size_t len = strlen(value);
    const char *end = value + len;
    if (strpbrk(value, "\r\n"))
        return 0;
    switch (id) {
    case HDR_CSEQ: case HDR_MAX_FORWARDS: case HDR_CALL_ID:
        return len > 0;
    case HDR_CONTACT: {
        size_t a = strspn(value, " \t"), b = len;
        while (b > a && (value[b - 1] == ' ' || value[b - 1] == '\t'))
            b--;
        if (b == a + 1 && value[a] == '*')
            return 1;
    }
        /* fall through */
    case HDR_VIA: case HDR_FROM: case HDR_TO: case HDR_ROUTE: case HDR_RECORD_ROUTE: case HDR_PATH:
    case HDR_SERVICE_ROUTE:
        for (const char *s = value, *e;; s = e + 1) {
            struct sip_via via;
            struct sip_nameaddr na;
            e = sipmsg_value_end(s, end);
            if (id == HDR_VIA ? sip_via_parse(s, (size_t)(e - s), &via) != 0
                              : sip_nameaddr_parse(s, (size_t)(e - s), &na) != 0)
                return 0;
            if (e == end)
                return (id != HDR_FROM && id != HDR_TO) || s == value;
        }
    default:
        return 1;
    }
}

static int single_valued(int id)
{
    return id == HDR_FROM || id == HDR_TO || id == HDR_CALL_ID || id == HDR_CSEQ || id == HDR_MAX_FORWARDS ||
           id == HDR_CONTENT_TYPE || id == HDR_CONTENT_LENGTH;
}

/* Checks and writes "Name: value" for an insert; -1 when not allowed. */
static int new_line(struct sip_msg *msg, const char *name, const char *value, char **line, size_t *len, int *id)
{
    size_t nl = strlen(name);
    if (!nl || nl > 200 || strcspn(name, " \t\r\n:") != nl)
        return -1;
    for (size_t i = 0; i < nl; i++)
        if (!sip_is_token(name[i]))
            return -1;
    *id = sipmsg_hdr_id(name, nl);
    if (*id == HDR_CONTENT_LENGTH || !value_ok(*id, value))
        return -1;
    if (single_valued(*id) && sipmsg_hdr_find(msg, *id, NULL, 0) >= 0)
        return -1;
    char tmp[256];
    const char *full = sipmsg_header_name(name, tmp, sizeof tmp);
    *len = strlen(full) + 2 + strlen(value);
    *line = sipmsg_alloc(msg, *len + 1);
    snprintf(*line, *len + 1, "%s: %s", full, value);
    return 0;
}

int sipmsg_header_insert(struct sip_msg *msg, const char *anchor, int after, const char *name, const char *value)
{
    char *line;
    size_t len;
    int id;
    if (new_line(msg, name, value, &line, &len, &id) != 0)
        return -1;
    int at = -1;
    if (anchor) {
        int aid = sipmsg_hdr_id(anchor, strlen(anchor));
        at = sipmsg_hdr_find(msg, aid, aid ? NULL : anchor, 0);
    }
    unsigned pos = at < 0 ? (after ? msg->p->nh : 0) : (unsigned)at + (after ? 1 : 0);
    return sipmsg_hdr_insert_line(msg, pos, line, len);
}

int sipmsg_header_append(struct sip_msg *msg, const char *name, const char *value)
{
    return sipmsg_header_insert(msg, NULL, 1, name, value);
}

int sipmsg_header_remove(struct sip_msg *msg, const char *name)
{
    int id = sipmsg_hdr_id(name, strlen(name)), n = 0, i;
    if (id == HDR_CONTENT_LENGTH)
        return -1;
    struct sip_str v[64];
    while ((i = sipmsg_hdr_find(msg, id, id ? NULL : name, 0)) >= 0) {
        n += (int)sipmsg_hdr_values(&msg->p->h[i], v, 64);
        sipmsg_hdr_delete(msg, (unsigned)i);
    }
    return n;
}

/* Header line and value span (relative to the line) of value number pos of name. */
static int value_locate(const struct sip_msg *msg, const char *name, int pos, unsigned *line, struct sip_str *v,
                        unsigned *nvals, unsigned *k)
{
    int id = sipmsg_hdr_id(name, strlen(name)), i = -1;
    struct sip_str vals[256];
    while ((i = sipmsg_hdr_find(msg, id, id ? NULL : name, (unsigned)(i + 1))) >= 0) {
        unsigned n = sipmsg_hdr_values(&msg->p->h[i], vals, 256);
        if ((unsigned)pos < n) {
            *line = (unsigned)i;
            *v = vals[pos];
            *nvals = n;
            *k = (unsigned)pos;
            if (pos + 1 < (int)n)
                v[1] = vals[pos + 1]; /* the next one, for removal */
            if (pos > 0)
                v[2] = vals[pos - 1];
            return 0;
        }
        pos -= (int)n;
    }
    return -1;
}

int sipmsg_header_remove_value(struct sip_msg *msg, const char *name, int pos)
{
    unsigned i, n, k;
    struct sip_str v[3] = { { 0 } };
    if (sipmsg_hdr_id(name, strlen(name)) == HDR_CONTENT_LENGTH || value_locate(msg, name, pos, &i, v, &n, &k) != 0)
        return -1;
    if (n == 1) {
        sipmsg_hdr_delete(msg, i);
        return 0;
    }
    const char *base = msg->p->h[i].line;
    size_t from, to;
    if (k + 1 < n) { /* up to the next value */
        from = (size_t)(v[0].s - base);
        to = (size_t)(v[1].s - base);
    } else {         /* from the end of the previous one */
        from = (size_t)(v[2].s + v[2].len - base);
        to = (size_t)(v[0].s + v[0].len - base);
    }
    return sipmsg_hdr_splice(msg, i, from, to - from, "", 0);
}

int sipmsg_header_replace_value(struct sip_msg *msg, const char *name, int pos, const char *value)
{
    unsigned i, n, k;
    struct sip_str v[3] = { { 0 } };
    int id = sipmsg_hdr_id(name, strlen(name));
    if (id == HDR_CONTENT_LENGTH || !value_ok(id, value) || value_locate(msg, name, pos, &i, v, &n, &k) != 0)
        return -1;
    const char *base = msg->p->h[i].line;
    return sipmsg_hdr_splice(msg, i, (size_t)(v[0].s - base), v[0].len, value, strlen(value));
}

int sipmsg_set_ruri(struct sip_msg *msg, const char *uri)
{
    struct sip_msg_priv *p = msg->p;
    struct sip_uri u;
    if (!p->request || sip_uri_parse(uri, strlen(uri), &u) != 0)
        return -1;
    const char *le = p->version.s + p->version.len;
    size_t lel = (size_t)(p->sl.s + p->sl.len - le);
    size_t len = p->method.len + 1 + strlen(uri) + 1 + p->version.len + lel;
    char *sl = sipmsg_alloc(msg, len + 1);
    snprintf(sl, len + 1, "%.*s %s %.*s%.*s", (int)p->method.len, p->method.s, uri, (int)p->version.len,
             p->version.s, (int)lel, le);
    if (sipmsg_sl_index(p, sl, len) != 0)
        return -1;
    return 0;
}

int sipmsg_set_body(struct sip_msg *msg, const char *body, size_t len, const char *content_type)
{
    if (content_type) {
        int i;
        if (strpbrk(content_type, "\r\n"))
            return -1;
        while ((i = sipmsg_hdr_find(msg, HDR_CONTENT_TYPE, NULL, 0)) >= 0)
            sipmsg_hdr_delete(msg, (unsigned)i);
        if (sipmsg_header_append(msg, "Content-Type", content_type) != 0)
            return -1;
    }
    msg->p->body = (struct sip_str){ len ? sipmsg_strdup(msg, body, len) : "", len };
    msg->p->body_set = 1;
    return 0;
}

/* ---- output ---- */

int sipmsg_write(const struct sip_msg *msg, const char *top, size_t toplen, int add_cl, char **out, size_t *olen)
{
    const struct sip_msg_priv *p = msg->p;
    int has_cl = sipmsg_hdr_find(msg, HDR_CONTENT_LENGTH, NULL, 0) >= 0;
    int write_cl = p->body_set || (add_cl && !has_cl);
    size_t size = p->sl.len + toplen + p->eoh.len + p->body.len + (write_cl ? 32 : 0) + 2;
    for (unsigned i = 0; i < p->nh; i++)
        size += p->h[i].len;
    char *b = malloc(size + 1);
    if (!b)
        return -1;
    size_t n = 0;
#define PUT(s, l) do { memcpy(b + n, (s), (l)); n += (l); } while (0)
    PUT(p->sl.s, p->sl.len);
    if (top)
        PUT(top, toplen);
    for (unsigned i = 0; i < p->nh; i++)
        if (!(p->body_set && p->h[i].id == HDR_CONTENT_LENGTH))
            PUT(p->h[i].line, p->h[i].len);
    if (write_cl)
        n += (size_t)snprintf(b + n, 32, "Content-Length: %zu\r\n", p->body.len);
    if (p->eoh.len)
        PUT(p->eoh.s, p->eoh.len);
    else
        PUT("\r\n", 2);
    PUT(p->body.s, p->body.len);
#undef PUT
    b[n] = '\0';
    *out = b;
    *olen = n;
    return 0;
}

int sipmsg_print(const struct sip_msg *msg, char **out, size_t *len)
{
    return sipmsg_write(msg, NULL, 0, 0, out, len);
}
