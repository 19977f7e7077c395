/* The HTTP/1.x request parser (see http_parse.h). RFC 9112: request line, header fields without
 * obsolete line folding, Content-Length or chunked bodies; bare LF accepted as a line end. */
#include "http/http_parse.h"
#include <string.h>
#include <strings.h>

enum { CH_SIZE, CH_DATA, CH_CRLF, CH_TRAILERS };

#define MAX_CHUNK_LINE 1024     /* a chunk-size line with its extensions */
#define MAX_CHUNK_FRAMING 65536 /* chunk lines beyond max_body (tiny chunks cost buffer) */

static int fail(struct http_parser *p, int status, const char *why)
{
    p->error = why;
    return status;
}

/* RFC 9110 tchar */
static int is_tchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Is tok one of the comma-separated tokens of list (case-insensitive)? */
int http_parse_has_token(const char *list, const char *tok)
{
    size_t tl = strlen(tok);
    for (const char *s = list; *s;) {
        s += strspn(s, " \t,");
        size_t n = strcspn(s, ",");
        size_t e = n;
        while (e && (s[e - 1] == ' ' || s[e - 1] == '\t'))
            e--;
        if (e == tl && !strncasecmp(s, tok, tl))
            return 1;
        s += n;
    }
    return 0;
}

/* %XX-decode the NUL-terminated s in place. Returns -1 when it would hold a NUL. Malformed
 * escapes stay as they are. */
static int url_decode(char *s)
{
    char *o = s;
    for (; *s; s++) {
        int h, l;
        if (*s == '%' && (h = hexval((unsigned char)s[1])) >= 0 && (l = hexval((unsigned char)s[2])) >= 0) {
            if (!(*o++ = (char)(h * 16 + l)))
                return -1;
            s += 2;
        } else {
            *o++ = *s;
        }
    }
    *o = '\0';
    return 0;
}

/* The request line at buf[at..end) (end at its LF or CR). */
static int parse_request_line(struct http_parser *p, char *buf, size_t at, size_t end)
{
    size_t m = at;
    while (m < end && is_tchar((unsigned char)buf[m]))
        m++;
    if (m == at || m >= end || buf[m] != ' ')
        return fail(p, 400, "malformed request line");
    buf[m] = '\0';
    p->method = (uint16_t)at;
    size_t t = m + 1, te = t;
    while (te < end && buf[te] != ' ')
        te++;
    if (te == t || te >= end)
        return fail(p, 400, "malformed request line");
    for (size_t i = t; i < te; i++)
        if ((unsigned char)buf[i] <= ' ' || buf[i] == 0x7f)
            return fail(p, 400, "control characters in the request target");
    buf[te] = '\0';
    const char *v = buf + te + 1;
    size_t vlen = end - (te + 1);
    if (vlen != 8 || strncmp(v, "HTTP/", 5) != 0 || v[6] != '.' || v[5] < '0' || v[5] > '9' || v[7] < '0' || v[7] > '9')
        return fail(p, 400, "malformed HTTP version");
    if (v[5] != '1')
        return fail(p, 505, "only HTTP/1.x is supported");
    p->minor = (uint8_t)(v[7] - '0');
    /* the target: origin form "/path?query", absolute form "http://host/path?query", or "*" */
    char *tg = buf + t;
    char *q = strchr(tg, '#');
    if (q)
        *q = '\0';
    if ((q = strchr(tg, '?'))) {
        *q = '\0';
        p->query = (uint16_t)(q + 1 - buf);
    }
    if (!strncasecmp(tg, "http://", 7) || !strncasecmp(tg, "https://", 8)) {
        char *slash = strchr(strstr(tg, "//") + 2, '/');
        p->path = slash ? (uint16_t)(slash - buf) : 0;
    } else if (tg[0] == '/' || !strcmp(tg, "*")) {
        p->path = (uint16_t)t;
    } else {
        return fail(p, 400, "malformed request target");
    }
    if (p->path && url_decode(buf + p->path) != 0)
        return fail(p, 400, "%00 in the request path");
    return HTTP_PARSE_MORE;
}

struct head_info {
    size_t clen;              /* Content-Length */
    int has_clen, close, keep_alive; /* the last two: Connection tokens */
};

/* One header line buf[at..end) (end at its CR or LF). */
static int parse_header(struct http_parser *p, char *buf, size_t at, size_t end, struct head_info *hi)
{
    if (buf[at] == ' ' || buf[at] == '\t')
        return fail(p, 400, "obsolete header line folding");
    size_t c = at;
    while (c < end && is_tchar((unsigned char)buf[c]))
        c++;
    if (c == at || c >= end || buf[c] != ':')
        return fail(p, 400, "malformed header line");
    if (p->nhdrs >= HTTP_MAX_HEADER_LINES)
        return fail(p, 431, "too many header lines");
    size_t vs = c + 1, ve = end;
    while (vs < ve && (buf[vs] == ' ' || buf[vs] == '\t'))
        vs++;
    while (ve > vs && (buf[ve - 1] == ' ' || buf[ve - 1] == '\t'))
        ve--;
    for (size_t i = vs; i < ve; i++)
        if (((unsigned char)buf[i] < ' ' && buf[i] != '\t') || buf[i] == 0x7f)
            return fail(p, 400, "control characters in a header value");
    buf[c] = '\0';
    buf[ve] = '\0';
    const char *name = buf + at, *value = buf + vs;
    p->hdrs[p->nhdrs++] = (struct http_span){ (uint16_t)at, (uint16_t)vs };
    if (!strcasecmp(name, "Content-Length")) {
        size_t n = 0;
        if (!*value)
            return fail(p, 400, "empty Content-Length");
        for (const char *d = value; *d; d++) {
            if (*d < '0' || *d > '9' || n > (SIZE_MAX - 9) / 10)
                return fail(p, 400, "malformed Content-Length");
            n = n * 10 + (size_t)(*d - '0');
        }
        if (hi->has_clen && n != hi->clen)
            return fail(p, 400, "conflicting Content-Length headers");
        hi->clen = n;
        hi->has_clen = 1;
    } else if (!strcasecmp(name, "Transfer-Encoding")) {
        if (strcasecmp(value, "chunked") != 0 || p->chunked)
            return fail(p, 501, "unsupported Transfer-Encoding (only chunked)");
        p->chunked = 1;
    } else if (!strcasecmp(name, "Connection")) {
        hi->close |= http_parse_has_token(value, "close");
        hi->keep_alive |= http_parse_has_token(value, "keep-alive");
    } else if (!strcasecmp(name, "Expect")) {
        if (strcasecmp(value, "100-continue") != 0)
            return fail(p, 417, "unsupported Expect");
        p->expect = 1;
    }
    return HTTP_PARSE_MORE;
}

/* The whole head buf[skip..head). */
static int parse_head(struct http_parser *p, char *buf, size_t skip, const struct http_limits_parse *lim)
{
    size_t at = skip;
    struct head_info hi = { 0 };
    int first = 1, r;
    while (at < p->head) {
        size_t nl = (size_t)((char *)memchr(buf + at, '\n', p->head - at) - buf);
        size_t end = nl > at && buf[nl - 1] == '\r' ? nl - 1 : nl;
        if (end == at)
            break; /* the empty line */
        if (first)
            r = parse_request_line(p, buf, at, end);
        else
            r = parse_header(p, buf, at, end, &hi);
        if (r != HTTP_PARSE_MORE)
            return r;
        first = 0;
        at = nl + 1;
    }
    p->keep_alive = !hi.close && (p->minor >= 1 || hi.keep_alive);
    if (p->chunked && hi.has_clen)
        return fail(p, 400, "both Content-Length and Transfer-Encoding");
    if (hi.has_clen && hi.clen > lim->max_body)
        return fail(p, 413, "body too large (config.http.max_body)");
    p->body = p->chunked ? 0 : hi.clen;
    p->raw = p->head;
    return HTTP_PARSE_MORE;
}

/* The chunked body from p->raw on, decoded in place to buf[head..head+body). */
static int parse_chunked(struct http_parser *p, char *buf, size_t len, const struct http_limits_parse *lim)
{
    for (;;) {
        if (p->cstate == CH_DATA) {
            size_t n = len - p->raw < p->chunk ? len - p->raw : p->chunk;
            memmove(buf + p->head + p->body, buf + p->raw, n);
            p->body += n;
            p->raw += n;
            p->chunk -= n;
            if (p->chunk)
                return HTTP_PARSE_MORE;
            p->cstate = CH_CRLF;
        }
        if (p->cstate == CH_CRLF) {
            if (p->raw >= len || (buf[p->raw] == '\r' && p->raw + 1 >= len))
                return HTTP_PARSE_MORE;
            if (buf[p->raw] == '\r' && buf[p->raw + 1] == '\n')
                p->raw += 2;
            else if (buf[p->raw] == '\n')
                p->raw++;
            else
                return fail(p, 400, "chunk data longer than its size");
            p->cstate = CH_SIZE;
        }
        const char *nl = memchr(buf + p->raw, '\n', len - p->raw);
        if (!nl) {
            size_t limit = p->cstate == CH_TRAILERS ? lim->max_head : MAX_CHUNK_LINE;
            return len - p->raw > limit ? fail(p, p->cstate == CH_TRAILERS ? 431 : 400, "chunk line too long")
                                        : HTTP_PARSE_MORE;
        }
        size_t line = (size_t)(nl - buf) - p->raw;
        const char *s = buf + p->raw;
        p->raw += line + 1;
        if (p->cstate == CH_TRAILERS) { /* trailer fields are read and dropped */
            if (line == 0 || (line == 1 && s[0] == '\r'))
                return HTTP_PARSE_DONE;
            if (p->raw - p->chunk > lim->max_head) /* chunk: where the trailers started */
                return fail(p, 431, "chunked trailers too large");
            continue;
        }
        if (p->raw - p->head - p->body > MAX_CHUNK_FRAMING + lim->max_body)
            return fail(p, 413, "chunked body framing too large");
        size_t size = 0, i = 0;
        int h;
        for (; i < line && (h = hexval((unsigned char)s[i])) >= 0; i++) {
            if (size > lim->max_body)
                return fail(p, 413, "body too large (config.http.max_body)");
            size = size * 16 + (size_t)h;
        }
        if (i == 0 || (i < line && s[i] != ';' && s[i] != ' ' && s[i] != '\t' && s[i] != '\r'))
            return fail(p, 400, "malformed chunk size");
        if (size > lim->max_body - p->body)
            return fail(p, 413, "body too large (config.http.max_body)");
        p->chunk = size ? size : p->raw;
        p->cstate = size ? CH_DATA : CH_TRAILERS;
    }
}

int http_parse_request(struct http_parser *p, char *buf, size_t len, const struct http_limits_parse *lim)
{
    size_t max_head = lim->max_head > UINT16_MAX ? UINT16_MAX : lim->max_head;
    if (!p->head) {
        size_t skip = 0; /* empty lines before the request line are ignored (RFC 9112 2.2) */
        while (skip < len && (buf[skip] == '\r' || buf[skip] == '\n'))
            skip++;
        size_t i = p->scan > skip ? p->scan : skip;
        for (;;) {
            const char *nl = i < len ? memchr(buf + i, '\n', len - i) : NULL;
            if (!nl) {
                i = len;
                break;
            }
            i = (size_t)(nl - buf);
            if (i + 1 < len && buf[i + 1] == '\n') {
                p->head = i + 2;
                break;
            }
            if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n') {
                p->head = i + 3;
                break;
            }
            if (i + 1 >= len || (i + 2 >= len && buf[i + 1] == '\r'))
                break; /* cannot tell yet: look here again */
            i++;
        }
        p->scan = i;
        if (!p->head)
            return i - skip > max_head ? fail(p, 431, "request head too large") : HTTP_PARSE_MORE;
        if (p->head - skip > max_head)
            return fail(p, 431, "request head too large");
        int r = parse_head(p, buf, skip, lim);
        if (r != HTTP_PARSE_MORE)
            return r;
    }
    if (p->chunked)
        return parse_chunked(p, buf, len, lim);
    return len - p->head >= p->body ? HTTP_PARSE_DONE : HTTP_PARSE_MORE;
}

void http_parse_msg(const struct http_parser *p, char *buf, struct http_msg *m)
{
    m->method = buf + p->method;
    m->path = p->path ? buf + p->path : "/";
    m->query = p->query ? buf + p->query : NULL;
    m->body = buf + p->head;
    m->body_len = p->body;
    m->total = p->chunked ? p->raw : p->head + p->body;
}

const char *http_parse_header(const struct http_parser *p, const char *buf, const char *name)
{
    for (int i = 0; i < p->nhdrs; i++)
        if (!strcasecmp(buf + p->hdrs[i].name, name))
            return buf + p->hdrs[i].value;
    return NULL;
}
