/* SIP messages: one pass indexes the start line and the header lines of the received bytes;
 * edits replace, insert or delete whole header lines (new lines live in the message's arena)
 * and the start line; sipmsg_write copies what nobody touched byte for byte. */
#include "sip/sipmsg_int.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct arena_chunk {
    struct arena_chunk *next;
    char data[];
};

static const struct {
    const char *name;
    char compact;
    unsigned char list; /* comma-separated values count one by one */
} hdr_defs[HDR_COUNT] = {
    [HDR_VIA] = { "Via", 'v', 1 },           [HDR_FROM] = { "From", 'f', 0 },
    [HDR_TO] = { "To", 't', 0 },             [HDR_CALL_ID] = { "Call-ID", 'i', 0 },
    [HDR_CSEQ] = { "CSeq", 0, 0 },           [HDR_CONTACT] = { "Contact", 'm', 1 },
    [HDR_ROUTE] = { "Route", 0, 1 },         [HDR_RECORD_ROUTE] = { "Record-Route", 0, 1 },
    [HDR_MAX_FORWARDS] = { "Max-Forwards", 0, 0 },
    [HDR_CONTENT_LENGTH] = { "Content-Length", 'l', 0 },
    [HDR_CONTENT_TYPE] = { "Content-Type", 'c', 0 },
    [HDR_EXPIRES] = { "Expires", 0, 0 },     [HDR_REQUIRE] = { "Require", 0, 1 },
    [HDR_PROXY_REQUIRE] = { "Proxy-Require", 0, 1 },
    [HDR_SUPPORTED] = { "Supported", 'k', 1 },
    [HDR_UNSUPPORTED] = { "Unsupported", 0, 1 },
    [HDR_ALLOW] = { "Allow", 0, 1 },         [HDR_PATH] = { "Path", 0, 1 },
    [HDR_SERVICE_ROUTE] = { "Service-Route", 0, 1 },
    [HDR_AUTHORIZATION] = { "Authorization", 0, 0 },
    [HDR_PROXY_AUTHORIZATION] = { "Proxy-Authorization", 0, 0 },
    [HDR_WWW_AUTHENTICATE] = { "WWW-Authenticate", 0, 0 },
    [HDR_PROXY_AUTHENTICATE] = { "Proxy-Authenticate", 0, 0 },
    [HDR_ACCEPT] = { "Accept", 0, 1 },       [HDR_ACCEPT_ENCODING] = { "Accept-Encoding", 0, 1 },
    [HDR_ACCEPT_LANGUAGE] = { "Accept-Language", 0, 1 },
    [HDR_CONTENT_ENCODING] = { "Content-Encoding", 'e', 1 },
    [HDR_CALL_INFO] = { "Call-Info", 0, 1 }, [HDR_ALERT_INFO] = { "Alert-Info", 0, 1 },
    [HDR_ERROR_INFO] = { "Error-Info", 0, 1 },
    [HDR_ALLOW_EVENTS] = { "Allow-Events", 'u', 1 },
    [HDR_SUBJECT] = { "Subject", 's', 0 },   [HDR_EVENT] = { "Event", 'o', 0 },
    [HDR_REFER_TO] = { "Refer-To", 'r', 0 }, [HDR_SESSION_EXPIRES] = { "Session-Expires", 'x', 0 },
    [HDR_IDENTITY] = { "Identity", 'y', 0 }, [HDR_ACCEPT_CONTACT] = { "Accept-Contact", 'a', 1 },
    [HDR_REFERRED_BY] = { "Referred-By", 'b', 0 },
    [HDR_REQUEST_DISPOSITION] = { "Request-Disposition", 'd', 1 },
    [HDR_REJECT_CONTACT] = { "Reject-Contact", 'j', 1 },
    [HDR_IDENTITY_INFO] = { "Identity-Info", 'n', 0 },
    [HDR_MIME_VERSION] = { "Mime-Version", 0, 0 },
};

/* Known names by hash (first letter, last letter and length, case folded): filled from hdr_defs
 * on first use, open addressing; 0 is an empty slot. */
#define HDR_HASH_SLOTS 256
static unsigned char hdr_by_hash[HDR_HASH_SLOTS], hdr_by_compact[128];
static int hdr_lookup_ready;

static unsigned hdr_hash(const char *name, size_t len) /* (c | 0x20): ASCII letters case-folded */
{
    return ((unsigned)((unsigned char)name[0] | 0x20) * 7u + (unsigned)((unsigned char)name[len - 1] | 0x20) * 3u +
            (unsigned)len * 11u) % HDR_HASH_SLOTS;
}

static void hdr_lookup_init(void)
{
    for (int i = 1; i < HDR_COUNT; i++) {
        unsigned k = hdr_hash(hdr_defs[i].name, strlen(hdr_defs[i].name));
        while (hdr_by_hash[k])
            k = (k + 1) % HDR_HASH_SLOTS;
        hdr_by_hash[k] = (unsigned char)i;
        if (hdr_defs[i].compact)
            hdr_by_compact[(unsigned char)hdr_defs[i].compact] = (unsigned char)i;
    }
    hdr_lookup_ready = 1;
}

int sipmsg_hdr_id(const char *name, size_t len)
{
    if (!hdr_lookup_ready)
        hdr_lookup_init();
    if (len == 1) {
        int c = tolower((unsigned char)name[0]);
        return c < 128 ? hdr_by_compact[c] : HDR_OTHER;
    }
    if (!len)
        return HDR_OTHER;
    for (unsigned k = hdr_hash(name, len); hdr_by_hash[k]; k = (k + 1) % HDR_HASH_SLOTS) {
        const char *known = hdr_defs[hdr_by_hash[k]].name;
        if (strncasecmp(known, name, len) == 0 && known[len] == '\0')
            return hdr_by_hash[k];
    }
    return HDR_OTHER;
}

const char *sipmsg_hdr_canon(int id)
{
    return id > 0 && id < HDR_COUNT ? hdr_defs[id].name : NULL;
}

const char *sipmsg_header_name(const char *name, char *buf, size_t len)
{
    int id = sipmsg_hdr_id(name, strlen(name));
    if (id)
        return hdr_defs[id].name;
    /* Capitalise each dash-separated word: "max-forwards" -> "Max-Forwards". */
    size_t i = 0;
    for (int up = 1; name[i] && i + 1 < len; i++) {
        buf[i] = (char)(up ? toupper((unsigned char)name[i]) : tolower((unsigned char)name[i]));
        up = name[i] == '-';
    }
    buf[i] = '\0';
    return buf;
}

void sipmsg_init(void)
{
}

/* ---- arena ---- */

void *sipmsg_alloc(const struct sip_msg *cmsg, size_t len)
{
    struct sip_msg_priv *p = cmsg->p;
    len = (len + 15) & ~(size_t)15;
    if ((size_t)(p->end - p->cur) < len) {
        size_t size = len > 4000 ? len : 4000;
        struct arena_chunk *c = malloc(sizeof *c + size + 16);
        if (!c)
            abort();
        c->next = p->arena;
        p->arena = c;
        p->cur = (char *)(((uintptr_t)c->data + 15) & ~(uintptr_t)15);
        p->end = p->cur + size;
    }
    void *r = p->cur;
    p->cur += len;
    return r;
}

char *sipmsg_strdup(const struct sip_msg *msg, const char *s, size_t len)
{
    char *d = sipmsg_alloc(msg, len + 1);
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

/* ---- index ---- */

static int is_ws(char c)
{
    return c == ' ' || c == '\t';
}

static int lws(char c)
{
    return is_ws(c) || c == '\r' || c == '\n';
}

/* Index one header line (len bytes with its line end, continuation lines included). */
int sipmsg_hdr_index(struct sip_hdr *h, const char *line, size_t len)
{
    size_t n = 0;
    while (n < len && sip_is_token(line[n]))
        n++;
    size_t c = n;
    while (c < len && is_ws(line[c]))
        c++;
    if (!n || c >= len || line[c] != ':' || n > 255)
        return -1;
    size_t v = c + 1, e = len;
    while (v < e && (is_ws(line[v]) || line[v] == '\r' || line[v] == '\n'))
        v++;
    while (e > v && (is_ws(line[e - 1]) || line[e - 1] == '\r' || line[e - 1] == '\n'))
        e--;
    h->line = line;
    h->len = (uint32_t)len;
    h->name_len = (uint32_t)n;
    h->voff = (uint32_t)v;
    h->vlen = (uint32_t)(e - v);
    h->id = (uint16_t)sipmsg_hdr_id(line, n);
    h->folded = memchr(line + v, '\n', e - v) != NULL;
    if (memchr(line + v, '\0', e - v))
        return -1; /* a NUL is not allowed raw (escaped as %00 it is fine) */
    return 0;
}

/* Index the start line sl (with its line end). */
int sipmsg_sl_index(struct sip_msg_priv *p, const char *sl, size_t len)
{
    size_t e = len;
    while (e && (sl[e - 1] == '\r' || sl[e - 1] == '\n'))
        e--;
    p->sl = (struct sip_str){ sl, len };
    const char *sp1 = memchr(sl, ' ', e);
    if (!sp1)
        return -1;
    if (e > 4 && !strncmp(sl, "SIP/", 4)) {
        p->request = 0;
        p->version = (struct sip_str){ sl, (size_t)(sp1 - sl) };
        const char *c = sp1 + 1;
        if ((size_t)(sl + e - c) < 3 || !isdigit((unsigned char)c[0]) || !isdigit((unsigned char)c[1]) ||
            !isdigit((unsigned char)c[2]) || (c + 3 < sl + e && c[3] != ' '))
            return -1;
        p->status = (c[0] - '0') * 100 + (c[1] - '0') * 10 + (c[2] - '0');
        if (p->status < 100 || p->status > 699)
            return -1;
        const char *r = c + 3 < sl + e ? c + 4 : c + 3;
        p->reason = (struct sip_str){ r, (size_t)(sl + e - r) };
        for (size_t i = 0; i < p->reason.len; i++)
            if ((unsigned char)r[i] < ' ' && r[i] != '\t')
                return -1;
        return 0;
    }
    p->request = 1;
    for (const char *q = sl; q < sp1; q++)
        if (!sip_is_token(*q))
            return -1;
    const char *u = sp1 + 1, *sp2 = memchr(u, ' ', (size_t)(sl + e - u));
    if (!sp2 || sp2 == u || sp1 == sl)
        return -1;
    const char *v = sp2 + 1;
    if ((size_t)(sl + e - v) < 5 || strncmp(v, "SIP/", 4) != 0 || memchr(v, ' ', (size_t)(sl + e - v)))
        return -1;
    p->method = (struct sip_str){ sl, (size_t)(sp1 - sl) };
    p->ruri = (struct sip_str){ u, (size_t)(sp2 - u) };
    p->version = (struct sip_str){ v, (size_t)(sl + e - v) };
    return 0;
}

/* Freed message blocks of the usual size wait here for the next message (at most
 * MSG_POOL_MAX of them): glibc serves blocks this large from its slower bins, not its per-thread
 * cache. Off under AddressSanitizer, which has to see every block freed. */
#define MSG_BLOCK 4096
#define MSG_POOL_MAX 16
#if defined(__SANITIZE_ADDRESS__)
#define MSG_POOL_ON 0
#else
#define MSG_POOL_ON 1
#endif
static void *msg_pool[MSG_POOL_MAX];
static unsigned msg_pooled;

static void *msg_block(size_t *size)
{
    if (*size > MSG_BLOCK)
        return malloc(*size);
    *size = MSG_BLOCK; /* the rest is arena space for edits */
    return msg_pooled ? msg_pool[--msg_pooled] : malloc(MSG_BLOCK);
}

static void msg_block_free(void *block, size_t size)
{
    if (MSG_POOL_ON && size == MSG_BLOCK && msg_pooled < MSG_POOL_MAX)
        msg_pool[msg_pooled++] = block;
    else
        free(block);
}

struct sip_msg *sipmsg_parse(const char *buf, size_t len, const struct sip_source *src, const char **why)
{
    while (len && (*buf == '\r' || *buf == '\n')) { /* RFC 3261 §7.5: CRLFs before the start line */
        buf++;
        len--;
    }
    size_t lines = 1;
    for (const char *q = buf; (q = memchr(q, '\n', (size_t)(buf + len - q))) != NULL; q++)
        lines++;
    size_t at_p = (sizeof(struct sip_msg) + 15) & ~(size_t)15; /* p follows msg, 16-aligned */
    size_t head = (at_p + sizeof(struct sip_msg_priv) + 15) & ~(size_t)15;
    size_t size = head + ((len + 16) & ~(size_t)15) + (lines + 8) * sizeof(struct sip_hdr) + 1024;
    char *block = msg_block(&size);
    if (!block)
        abort();
    struct sip_msg *msg = (struct sip_msg *)block;
    memset(msg, 0, sizeof *msg);
    struct sip_msg_priv *p = (struct sip_msg_priv *)(block + at_p);
    memset(p, 0, sizeof *p);
    msg->p = p;
    msg->refs = 1;
    if (src)
        msg->src = *src;
    p->cur = block + head;
    p->end = block + size;
    p->size = size;
    char *copy = sipmsg_alloc(msg, len + 1);
    memcpy(copy, buf, len);
    copy[len] = '\0';
    p->buf = copy;
    p->len = len;
    p->cap = (unsigned)lines + 8;
    p->h = sipmsg_alloc(msg, p->cap * sizeof *p->h);

    const char *end = copy + len, *q = copy;
    const char *eol = memchr(q, '\n', len);
    if (!eol || sipmsg_sl_index(p, q, (size_t)(eol + 1 - q)) != 0) {
        *why = "malformed start line";
        goto fail;
    }
    q = eol + 1;
    for (;;) {
        if (q >= end) {
            *why = "no end of headers";
            goto fail;
        }
        if (*q == '\n' || (*q == '\r' && q + 1 < end && q[1] == '\n')) {
            size_t el = *q == '\n' ? 1 : 2;
            p->eoh = (struct sip_str){ q, el };
            q += el;
            break;
        }
        if (is_ws(*q)) {
            *why = "continuation line without a header";
            goto fail;
        }
        const char *s = q;
        do { /* a header line and its continuation lines */
            eol = memchr(q, '\n', (size_t)(end - q));
            if (!eol) {
                *why = "no end of headers";
                goto fail;
            }
            q = eol + 1;
        } while (q < end && is_ws(*q));
        if (sipmsg_hdr_index(&p->h[p->nh], s, (size_t)(q - s)) != 0) {
            *why = "malformed header line";
            goto fail;
        }
        p->nh++;
    }
    /* the body: Content-Length bytes (extra datagram bytes are ignored, RFC 3261 §18.3) */
    size_t rest = (size_t)(end - q);
    p->body = (struct sip_str){ q, rest };
    int seen = 0;
    for (unsigned i = 0; i < p->nh; i++) {
        if (p->h[i].id != HDR_CONTENT_LENGTH)
            continue;
        long long cl = sip_number((struct sip_str){ p->h[i].line + p->h[i].voff, p->h[i].vlen }, SIP_MAX_MESSAGE);
        if (cl < 0 || seen++ || (size_t)cl > rest)
            p->cl_bad = 1;
        else
            p->body.len = (size_t)cl;
    }
    return msg;
fail:
    sipmsg_unref(msg);
    return NULL;
}

struct sip_msg *sipmsg_ref(struct sip_msg *msg)
{
    msg->refs++;
    return msg;
}

void sipmsg_unref(struct sip_msg *msg)
{
    if (!msg || --msg->refs > 0)
        return;
    for (unsigned i = 0; i < msg->nslots; i++)
        if (msg->slots[i].free)
            msg->slots[i].free(msg->slots[i].ptr);
    free(msg->slots);
    free(msg->du);
    struct arena_chunk *c = msg->p->arena;
    while (c) {
        struct arena_chunk *n = c->next;
        free(c);
        c = n;
    }
    msg_block_free(msg, msg->p->size);
}

void *sipmsg_slot_get(const struct sip_msg *msg, const char *key)
{
    for (unsigned i = 0; i < msg->nslots; i++)
        if (!strcmp(msg->slots[i].key, key))
            return msg->slots[i].ptr;
    return NULL;
}

int sipmsg_slot_set(struct sip_msg *msg, const char *key, void *ptr, void (*free_fn)(void *))
{
    for (unsigned i = 0; i < msg->nslots; i++) {
        struct sip_msg_slot *sl = &msg->slots[i];
        if (strcmp(sl->key, key) != 0)
            continue;
        if (sl->free && sl->ptr != ptr)
            sl->free(sl->ptr);
        sl->ptr = ptr;
        sl->free = free_fn;
        return 0;
    }
    if (!ptr)
        return 0;
    struct sip_msg_slot *n = realloc(msg->slots, (msg->nslots + 1) * sizeof *n);
    if (!n) {
        if (free_fn)
            free_fn(ptr);
        return -1;
    }
    msg->slots = n;
    msg->slots[msg->nslots++] = (struct sip_msg_slot){ .key = key, .ptr = ptr, .free = free_fn };
    return 0;
}

/* ---- start line and views ---- */

int sipmsg_is_request(const struct sip_msg *msg)
{
    return msg->p->request;
}

struct sip_str sipmsg_method(const struct sip_msg *msg)
{
    if (msg->p->request)
        return msg->p->method;
    struct sip_str m = { NULL, 0 };
    sipmsg_cseq(msg, NULL, &m);
    return m;
}

int sipmsg_method_is(const struct sip_msg *msg, const char *method)
{
    struct sip_str m = sipmsg_method(msg);
    return m.s && m.len == strlen(method) && !memcmp(m.s, method, m.len);
}

struct sip_str sipmsg_ruri(const struct sip_msg *msg)
{
    return msg->p->request ? msg->p->ruri : (struct sip_str){ NULL, 0 };
}

struct sip_str sipmsg_version(const struct sip_msg *msg)
{
    return msg->p->version;
}

int sipmsg_status(const struct sip_msg *msg)
{
    return msg->p->request ? 0 : msg->p->status;
}

struct sip_str sipmsg_reason(const struct sip_msg *msg)
{
    return msg->p->request ? (struct sip_str){ NULL, 0 } : msg->p->reason;
}

static struct sip_str hdr_value(const struct sip_hdr *h)
{
    return (struct sip_str){ h->line + h->voff, h->vlen };
}

/* The only line of a single-valued header, or NULL. */
static const struct sip_hdr *hdr_first(const struct sip_msg *msg, int id)
{
    int i = sipmsg_hdr_find(msg, id, NULL, 0);
    return i < 0 ? NULL : &msg->p->h[i];
}

struct sip_str sipmsg_call_id(const struct sip_msg *msg)
{
    const struct sip_hdr *h = hdr_first(msg, HDR_CALL_ID);
    return h && h->vlen ? hdr_value(h) : (struct sip_str){ NULL, 0 };
}

int sipmsg_cseq(const struct sip_msg *msg, uint32_t *num, struct sip_str *method)
{
    const struct sip_hdr *h = hdr_first(msg, HDR_CSEQ);
    if (!h)
        return -1;
    const char *s = h->line + h->voff, *e = s + h->vlen, *q = s;
    while (q < e && isdigit((unsigned char)*q))
        q++;
    long long n = sip_number((struct sip_str){ s, (size_t)(q - s) }, 0x7fffffffLL);
    if (n < 0 || q == e || !(is_ws(*q) || *q == '\r' || *q == '\n'))
        return -1;
    while (q < e && (is_ws(*q) || *q == '\r' || *q == '\n'))
        q++;
    const char *m = q;
    while (q < e && sip_is_token(*q))
        q++;
    if (q == m || q != e)
        return -1;
    if (num)
        *num = (uint32_t)n;
    if (method)
        *method = (struct sip_str){ m, (size_t)(q - m) };
    return 0;
}

int sipmsg_nameaddr(const struct sip_msg *msg, const char *which, struct sip_nameaddr *na)
{
    const struct sip_hdr *h = hdr_first(msg, sipmsg_hdr_id(which, strlen(which)));
    if (!h)
        return -1;
    return sip_nameaddr_parse(h->line + h->voff, h->vlen, na);
}

static struct sip_str addr_part(const struct sip_msg *msg, const char *which, int tag)
{
    struct sip_nameaddr na;
    struct sip_str v = { NULL, 0 };
    if (sipmsg_nameaddr(msg, which, &na) != 0)
        return v;
    if (!tag)
        return na.uri;
    if (sip_param_get(na.params, "tag", &v) && v.len)
        return v;
    return (struct sip_str){ NULL, 0 };
}

struct sip_str sipmsg_from_uri(const struct sip_msg *msg) { return addr_part(msg, "From", 0); }
struct sip_str sipmsg_to_uri(const struct sip_msg *msg) { return addr_part(msg, "To", 0); }
struct sip_str sipmsg_from_tag(const struct sip_msg *msg) { return addr_part(msg, "From", 1); }
struct sip_str sipmsg_to_tag(const struct sip_msg *msg) { return addr_part(msg, "To", 1); }

/* The parsed top Via is kept while the first Via line is the same line: lines never change in
 * place (an edit makes a new one), so its spans stay valid. Not kept when the value does not lie
 * in that line (folded, or the line holds no value and a later one is the top). */
int sipmsg_top_via(const struct sip_msg *msg, struct sip_via *via)
{
    struct sip_msg_priv *p = msg->p;
    int i = sipmsg_hdr_find(msg, HDR_VIA, NULL, 0);
    const struct sip_hdr *h = i < 0 ? NULL : &p->h[i];
    if (!h || h->line != p->via_line) {
        struct sip_str v = { NULL, 0 };
        if (h && !h->folded) { /* the usual case: the first value of the first line, no copy */
            const char *s = h->line + h->voff, *e = sipmsg_value_end(s, s + h->vlen);
            while (s < e && lws(*s))
                s++;
            while (e > s && lws(e[-1]))
                e--;
            v = (struct sip_str){ s, (size_t)(e - s) };
        }
        if (!v.len) /* folded, or an empty first value: the iterator finds it */
            v = sipmsg_header(msg, "Via", 0);
        p->via_rc = v.s ? sip_via_parse(v.s, v.len, &p->via) : -1;
        p->via_line = h && v.s >= h->line && v.s < h->line + h->len ? h->line : NULL;
    }
    if (p->via_rc == 0)
        *via = p->via;
    return p->via_rc;
}

long long sipmsg_expires(const struct sip_msg *msg)
{
    const struct sip_hdr *h = hdr_first(msg, HDR_EXPIRES);
    return h ? sip_number(hdr_value(h), 0xffffffffLL) : -1;
}

struct sip_str sipmsg_body(const struct sip_msg *msg)
{
    return msg->p->body;
}

/* ---- header values by name ---- */

int sipmsg_hdr_find(const struct sip_msg *msg, int id, const char *name, unsigned start)
{
    const struct sip_msg_priv *p = msg->p;
    size_t nlen = name ? strlen(name) : 0;
    for (unsigned i = start; i < p->nh; i++) {
        const struct sip_hdr *h = &p->h[i];
        if (id ? h->id == id : (h->id == HDR_OTHER && h->name_len == nlen && !strncasecmp(h->line, name, nlen)))
            return (int)i;
    }
    return -1;
}

/* End of the value starting at s: the next top-level comma (outside quotes and <>), or e. */
const char *sipmsg_value_end(const char *s, const char *e)
{
    static const unsigned char special[256] = { ['"'] = 1, ['<'] = 1, ['>'] = 1, [','] = 1 };
    int angle = 0;
    for (const char *q = s; q < e; q++) {
        while (q < e && !special[(unsigned char)*q]) /* most bytes are none of these */
            q++;
        if (q == e)
            break;
        if (*q == '"') {
            for (q++; q < e && *q != '"'; q++)
                if (*q == '\\' && q + 1 < e)
                    q++;
            if (q == e)
                return e;
        } else if (*q == '<') {
            angle = 1;
        } else if (*q == '>') {
            angle = 0;
        } else if (*q == ',' && !angle) {
            return q;
        }
    }
    return e;
}

unsigned sipmsg_hdr_values(const struct sip_hdr *h, struct sip_str *v, unsigned max)
{
    const char *s = h->line + h->voff, *e = s + h->vlen;
    if (!hdr_defs[h->id].list) {
        if (max)
            v[0] = (struct sip_str){ s, h->vlen };
        return max ? 1 : 0;
    }
    unsigned n = 0;
    while (s <= e && n < max) {
        const char *ve = sipmsg_value_end(s, e), *a = s, *b = ve;
        while (a < b && lws(*a))
            a++;
        while (b > a && lws(b[-1]))
            b--;
        if (b > a) /* empty elements ("a,,b") are skipped, as RFC 7230 §7 allows */
            v[n++] = (struct sip_str){ a, (size_t)(b - a) };
        s = ve + 1;
    }
    return n;
}

/* value with folded line ends replaced by one space (a copy in the arena when needed) */
static struct sip_str unfold(const struct sip_msg *msg, struct sip_str v)
{
    if (!memchr(v.s, '\n', v.len))
        return v;
    char *d = sipmsg_alloc(msg, v.len + 1);
    size_t n = 0;
    for (size_t i = 0; i < v.len; i++) {
        if (v.s[i] == '\r' || v.s[i] == '\n') {
            while (n && is_ws(d[n - 1]))
                n--;
            while (i + 1 < v.len && lws(v.s[i + 1]))
                i++;
            d[n++] = ' ';
        } else {
            d[n++] = v.s[i];
        }
    }
    d[n] = '\0';
    return (struct sip_str){ d, n };
}

void sipmsg_iter_init(struct sip_hdr_iter *it, const struct sip_msg *msg, const char *name)
{
    memset(it, 0, sizeof *it);
    it->msg = msg;
    it->id = sipmsg_hdr_id(name, strlen(name));
    if (!it->id)
        snprintf(it->name, sizeof it->name, "%s", name);
}

int sipmsg_iter_next(struct sip_hdr_iter *it, struct sip_str *value)
{
    const struct sip_msg_priv *p = it->msg->p;
    for (;;) {
        if (!it->in_line) {
            int i = sipmsg_hdr_find(it->msg, it->id, it->name, it->hdr);
            if (i < 0)
                return 0;
            it->hdr = (unsigned)i;
            it->pos = 0;
            it->in_line = 1;
        }
        const struct sip_hdr *h = &p->h[it->hdr];
        const char *s = h->line + h->voff, *e = s + h->vlen;
        if (!hdr_defs[h->id].list) {
            it->in_line = 0;
            it->hdr++;
            *value = unfold(it->msg, (struct sip_str){ s, h->vlen });
            return 1;
        }
        while (s + it->pos <= e) {
            const char *a = s + it->pos, *ve = sipmsg_value_end(a, e), *b = ve;
            it->pos = (size_t)(ve - s) + 1;
            while (a < b && lws(*a))
                a++;
            while (b > a && lws(b[-1]))
                b--;
            if (b > a) {
                *value = unfold(it->msg, (struct sip_str){ a, (size_t)(b - a) });
                return 1;
            }
        }
        it->in_line = 0;
        it->hdr++;
    }
}

struct sip_str sipmsg_header(const struct sip_msg *msg, const char *name, int pos)
{
    struct sip_hdr_iter it;
    struct sip_str v = { NULL, 0 };
    sipmsg_iter_init(&it, msg, name);
    while (sipmsg_iter_next(&it, &v))
        if (pos-- == 0)
            return v;
    return (struct sip_str){ NULL, 0 };
}

void sipmsg_header_each(const struct sip_msg *msg, void (*fn)(void *arg, const char *name, struct sip_str value),
                        void *arg)
{
    for (unsigned i = 0; i < msg->p->nh; i++) {
        const struct sip_hdr *h = &msg->p->h[i];
        char tmp[256], nbuf[256];
        const char *full = h->id ? hdr_defs[h->id].name
                                 : sipmsg_header_name(sip_str_copy((struct sip_str){ h->line, h->name_len }, nbuf, sizeof nbuf),
                                                      tmp, sizeof tmp);
        fn(arg, full, unfold(msg, hdr_value(h)));
    }
}
