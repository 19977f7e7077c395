/* Small scanners for the SIP grammar pieces routes and units read (RFC 3261 §25): URIs,
 * name-addr values, Via values, parameter lists and numbers. They never allocate: results are
 * spans into the scanned bytes. */
#include "sip/sipmsg_int.h"
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Skip linear white space (folded line ends included). */
static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && is_ws(*p))
        p++;
    return p;
}

static struct sip_str trim(const char *s, const char *end)
{
    s = skip_ws(s, end);
    while (end > s && is_ws(end[-1]))
        end--;
    return (struct sip_str){ s, (size_t)(end - s) };
}

int sip_str_ieq(struct sip_str a, const char *b)
{
    size_t n = strlen(b);
    return a.s && a.len == n && strncasecmp(a.s, b, n) == 0;
}

char *sip_str_copy(struct sip_str s, char *buf, size_t len)
{
    size_t n = s.len < len - 1 ? s.len : len - 1;
    if (n)
        memcpy(buf, s.s, n);
    buf[n] = '\0';
    return buf;
}

long long sip_number(struct sip_str s, long long max)
{
    if (!s.s || !s.len)
        return -1;
    long long v = 0;
    for (size_t i = 0; i < s.len; i++) {
        if (s.s[i] < '0' || s.s[i] > '9')
            return -1;
        v = v * 10 + (s.s[i] - '0');
        if (v > max)
            return -1;
    }
    return v;
}

/* End of a quoted string starting at p (on the opening quote): just past the closing quote, or
 * NULL when it does not close. */
static const char *quoted_end(const char *p, const char *end)
{
    for (p++; p < end; p++) {
        if (*p == '\\' && p + 1 < end)
            p++;
        else if (*p == '"')
            return p + 1;
    }
    return NULL;
}

/* Check ";name[=value]..." from p to end; returns 0 when well-formed. */
static int params_ok(const char *p, const char *end)
{
    while ((p = skip_ws(p, end)) < end) {
        if (*p != ';')
            return -1;
        p = skip_ws(p + 1, end);
        const char *n = p;
        while (p < end && (sip_is_token(*p) || *p == '[' || *p == ']' || *p == ':'))
            p++;
        if (p == n)
            return -1;
        p = skip_ws(p, end);
        if (p < end && *p == '=') {
            p = skip_ws(p + 1, end);
            if (p < end && *p == '"') {
                if (!(p = quoted_end(p, end)))
                    return -1;
            } else { /* an empty value ("tag=") is tolerated */
                while (p < end && *p != ';' && !is_ws(*p) && *p != ',')
                    p++;
            }
        }
    }
    return 0;
}

int sip_param_get(struct sip_str params, const char *name, struct sip_str *value)
{
    const char *p = params.s, *end = params.s + params.len;
    size_t nlen = strlen(name);
    if (!p)
        return 0;
    while (p < end) {
        const char *semi = memchr(p, ';', (size_t)(end - p));
        if (!semi)
            return 0;
        p = skip_ws(semi + 1, end);
        const char *n = p;
        while (p < end && *p != '=' && *p != ';' && !is_ws(*p))
            p++;
        int match = (size_t)(p - n) == nlen && strncasecmp(n, name, nlen) == 0;
        p = skip_ws(p, end);
        struct sip_str v = { NULL, 0 };
        if (p < end && *p == '=') {
            p = skip_ws(p + 1, end);
            const char *vs = p;
            if (p < end && *p == '"') {
                const char *q = quoted_end(p, end);
                p = q ? q : end;
            } else {
                while (p < end && *p != ';' && !is_ws(*p))
                    p++;
            }
            v = (struct sip_str){ vs, (size_t)(p - vs) };
        }
        if (match) {
            if (value)
                *value = v;
            return 1;
        }
    }
    return 0;
}

/* host = hostname / IPv4address / IPv6reference; returns the end of the host or NULL. */
static const char *host_end(const char *p, const char *end)
{
    if (p < end && *p == '[') {
        const char *q = p + 1;
        while (q < end && (isxdigit((unsigned char)*q) || *q == ':' || *q == '.'))
            q++;
        return q < end && *q == ']' && q > p + 1 ? q + 1 : NULL;
    }
    const char *s = p;
    while (p < end && (isalnum((unsigned char)*p) || *p == '-' || *p == '.' || *p == '_'))
        p++;
    return p > s ? p : NULL;
}

int sip_uri_parse(const char *s, size_t len, struct sip_uri *u)
{
    memset(u, 0, sizeof *u);
    const char *p = s, *end = s + len;
    if (!len || !isalpha((unsigned char)*p))
        return -1;
    while (p < end && (isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.'))
        p++;
    if (p == end || *p != ':')
        return -1;
    u->scheme = (struct sip_str){ s, (size_t)(p - s) };
    p++;
    for (const char *q = p; q < end; q++)
        if ((unsigned char)*q <= ' ' || *q == '<' || *q == '>' || *q == '"' || *q == 0x7f)
            return -1;
    if (p == end)
        return -1;
    if (!sip_str_ieq(u->scheme, "sip") && !sip_str_ieq(u->scheme, "sips")) {
        u->host = (struct sip_str){ p, (size_t)(end - p) }; /* opaque: tel:, urn:, unknown */
        return 0;
    }
    const char *qm = memchr(p, '?', (size_t)(end - p));
    const char *rend = qm ? qm : end;
    if (qm)
        u->headers = (struct sip_str){ qm + 1, (size_t)(end - qm - 1) };
    const char *at = NULL;
    for (const char *q = p; q < rend; q++)
        if (*q == '@')
            at = q;
    if (at) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        u->user = (struct sip_str){ p, (size_t)((colon ? colon : at) - p) };
        if (colon)
            u->password = (struct sip_str){ colon + 1, (size_t)(at - colon - 1) };
        p = at + 1;
    }
    const char *h = host_end(p, rend);
    if (!h)
        return -1;
    u->host = (struct sip_str){ p, (size_t)(h - p) };
    p = h;
    if (p < rend && *p == ':') {
        const char *ps = ++p;
        while (p < rend && isdigit((unsigned char)*p))
            p++;
        long long port = sip_number((struct sip_str){ ps, (size_t)(p - ps) }, 65535);
        if (port <= 0)
            return -1;
        u->port = (int)port;
    }
    if (p < rend && *p != ';')
        return -1;
    u->params = (struct sip_str){ p, (size_t)(rend - p) };
    return params_ok(p, rend);
}

int sip_nameaddr_parse(const char *s, size_t len, struct sip_nameaddr *na)
{
    memset(na, 0, sizeof *na);
    struct sip_str v = trim(s, s + len);
    const char *p = v.s, *end = v.s + v.len;
    if (!v.len)
        return -1;
    const char *lt = NULL;
    for (const char *q = p; q < end; q++) {
        if (*q == '"') {
            if (!(q = quoted_end(q, end)))
                return -1;
            q--;
        } else if (*q == '<') {
            lt = q;
            break;
        } else if (*q == ';' || *q == ',') {
            break;
        }
    }
    const char *after;
    if (lt) {
        const char *gt = memchr(lt, '>', (size_t)(end - lt));
        if (!gt)
            return -1;
        struct sip_str d = trim(p, lt);
        if (d.len) {
            if (*d.s == '"') {
                if (quoted_end(d.s, d.s + d.len) != d.s + d.len)
                    return -1;
            } else {
                for (size_t i = 0; i < d.len; i++)
                    if (!sip_is_token(d.s[i]) && !is_ws(d.s[i]))
                        return -1;
            }
            na->display = d;
        }
        na->uri = trim(lt + 1, gt);
        after = gt + 1;
    } else {
        const char *q = p;
        while (q < end && *q != ';' && *q != ',' && !is_ws(*q))
            q++;
        na->uri = (struct sip_str){ p, (size_t)(q - p) };
        after = q;
    }
    if (!na->uri.len)
        return -1;
    na->params = trim(after, end);
    return params_ok(after, end);
}

int sip_via_parse(const char *s, size_t len, struct sip_via *via)
{
    memset(via, 0, sizeof *via);
    const char *p = skip_ws(s, s + len), *end = s + len;
    /* sent-protocol = protocol-name SLASH protocol-version SLASH transport, LWS allowed */
    for (int part = 0; part < 3; part++) {
        const char *t = p;
        while (p < end && sip_is_token(*p))
            p++;
        if (p == t)
            return -1;
        if (part == 2)
            via->transport = (struct sip_str){ t, (size_t)(p - t) };
        p = skip_ws(p, end);
        if (part < 2) {
            if (p == end || *p != '/')
                return -1;
            p = skip_ws(p + 1, end);
        }
    }
    const char *h = host_end(p, end);
    if (!h)
        return -1;
    via->host = (struct sip_str){ p, (size_t)(h - p) };
    p = skip_ws(h, end);
    if (p < end && *p == ':') {
        p = skip_ws(p + 1, end);
        const char *ps = p;
        while (p < end && isdigit((unsigned char)*p))
            p++;
        long long port = sip_number((struct sip_str){ ps, (size_t)(p - ps) }, 65535);
        if (port <= 0)
            return -1;
        via->port = (int)port;
    }
    /* a trailing comment "(...)" is allowed by the grammar of some peers: ignore it */
    const char *pend = end;
    struct sip_str rest = trim(p, end);
    const char *paren = rest.len ? memchr(rest.s, '(', rest.len) : NULL;
    if (paren)
        pend = paren;
    via->params = trim(p, pend);
    if (params_ok(p, pend) != 0)
        return -1;
    sip_param_get(via->params, "branch", &via->branch);
    return 0;
}
