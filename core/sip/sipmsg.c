/* SIP message wrapper and by-name header access over libosip2's typed fields. */
#include <lunasip/msg.h>
#include <lunasip/log.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* libosip2 keeps well-known headers in typed fields (one pointer, or a list of parsed values)
 * and everything else in a generic list with lower-cased names. This table maps names onto the
 * typed fields so that routes see one uniform by-name interface. */
typedef int (*hdr_tostr)(const void *h, char **dest);
typedef void (*hdr_free)(void *h);

#define HDR_FNS(kind, type)                                                                        \
    static int kind##_tostr(const void *h, char **d) { return osip_##kind##_to_str((const type *)h, d); } \
    static void kind##_free(void *h) { osip_##kind##_free((type *)h); }
HDR_FNS(via, osip_via_t)
HDR_FNS(from, osip_from_t)
HDR_FNS(call_id, osip_call_id_t)
HDR_FNS(cseq, osip_cseq_t)
HDR_FNS(content_length, osip_content_length_t)
HDR_FNS(content_type, osip_content_type_t)
HDR_FNS(authorization, osip_authorization_t)
HDR_FNS(www_authenticate, osip_www_authenticate_t)
HDR_FNS(call_info, osip_call_info_t)
HDR_FNS(accept_encoding, osip_accept_encoding_t)
HDR_FNS(authentication_info, osip_authentication_info_t)

struct known_hdr {
    const char *name;  /* canonical spelling */
    char compact;      /* compact form letter or 0 */
    size_t off;        /* offset of the field in osip_message_t */
    int list;          /* 1: osip_list_t of values, 0: single pointer */
    hdr_tostr tostr;
    hdr_free free;
    int locked;        /* routes may not change it */
};

#define F(field) offsetof(osip_message_t, field)
static const struct known_hdr known[] = {
    { "Via", 'v', F(vias), 1, via_tostr, via_free, 0 },
    { "From", 'f', F(from), 0, from_tostr, from_free, 0 },
    { "To", 't', F(to), 0, from_tostr, from_free, 0 },
    { "Call-ID", 'i', F(call_id), 0, call_id_tostr, call_id_free, 0 },
    { "CSeq", 0, F(cseq), 0, cseq_tostr, cseq_free, 0 },
    { "Contact", 'm', F(contacts), 1, from_tostr, from_free, 0 },
    { "Route", 0, F(routes), 1, from_tostr, from_free, 0 },
    { "Record-Route", 0, F(record_routes), 1, from_tostr, from_free, 0 },
    { "Content-Length", 'l', F(content_length), 0, content_length_tostr, content_length_free, 1 },
    { "Content-Type", 'c', F(content_type), 0, content_type_tostr, content_type_free, 0 },
    { "Mime-Version", 0, F(mime_version), 0, content_length_tostr, content_length_free, 0 },
    { "Authorization", 0, F(authorizations), 1, authorization_tostr, authorization_free, 0 },
    { "Proxy-Authorization", 0, F(proxy_authorizations), 1, authorization_tostr, authorization_free, 0 },
    { "WWW-Authenticate", 0, F(www_authenticates), 1, www_authenticate_tostr, www_authenticate_free, 0 },
    { "Proxy-Authenticate", 0, F(proxy_authenticates), 1, www_authenticate_tostr, www_authenticate_free, 0 },
    { "Call-Info", 0, F(call_infos), 1, call_info_tostr, call_info_free, 0 },
    { "Alert-Info", 0, F(alert_infos), 1, call_info_tostr, call_info_free, 0 },
    { "Error-Info", 0, F(error_infos), 1, call_info_tostr, call_info_free, 0 },
    { "Accept", 0, F(accepts), 1, content_type_tostr, content_type_free, 0 },
    { "Accept-Encoding", 0, F(accept_encodings), 1, accept_encoding_tostr, accept_encoding_free, 0 },
    { "Accept-Language", 0, F(accept_languages), 1, accept_encoding_tostr, accept_encoding_free, 0 },
    { "Allow", 0, F(allows), 1, content_length_tostr, content_length_free, 0 },
    { "Content-Encoding", 'e', F(content_encodings), 1, content_length_tostr, content_length_free, 0 },
    { "Authentication-Info", 0, F(authentication_infos), 1, authentication_info_tostr, authentication_info_free, 0 },
    { "Proxy-Authentication-Info", 0, F(proxy_authentication_infos), 1, authentication_info_tostr, authentication_info_free, 0 },
};
#undef F

/* Compact forms of headers libosip2 keeps in its generic list (RFC 3261 §7.3.3 and later RFCs). */
static const char *generic_compact[26] = {
    ['a' - 'a'] = "Accept-Contact", ['b' - 'a'] = "Referred-By", ['d' - 'a'] = "Request-Disposition",
    ['j' - 'a'] = "Reject-Contact", ['k' - 'a'] = "Supported", ['n' - 'a'] = "Identity-Info",
    ['o' - 'a'] = "Event", ['r' - 'a'] = "Refer-To", ['s' - 'a'] = "Subject",
    ['u' - 'a'] = "Allow-Events", ['x' - 'a'] = "Session-Expires", ['y' - 'a'] = "Identity",
};

static const struct known_hdr *known_find(const char *name)
{
    int compact = name[0] && !name[1] ? tolower((unsigned char)name[0]) : 0;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if ((compact && known[i].compact == compact) || strcasecmp(known[i].name, name) == 0)
            return &known[i];
    return NULL;
}

const char *sipmsg_header_name(const char *name, char *buf, size_t len)
{
    const struct known_hdr *k = known_find(name);
    if (k)
        return k->name;
    if (name[0] && !name[1] && isalpha((unsigned char)name[0])) {
        const char *full = generic_compact[tolower((unsigned char)name[0]) - 'a'];
        if (full)
            return full;
    }
    /* Capitalise each dash-separated word: "max-forwards" -> "Max-Forwards". */
    size_t i = 0;
    for (int up = 1; name[i] && i + 1 < len; i++) {
        buf[i] = (char)(up ? toupper((unsigned char)name[i]) : tolower((unsigned char)name[i]));
        up = name[i] == '-';
    }
    buf[i] = '\0';
    return buf;
}

/* Generic headers are compared on their full name, so "k" finds "Supported" and back. */
static int generic_matches(const char *hname, const char *full)
{
    char tmp[128];
    return strcasecmp(sipmsg_header_name(hname, tmp, sizeof tmp), full) == 0;
}

/* libosip2 prints its parse errors on stderr unless told otherwise: make them our debug lines. */
static void osip_trace_to_log(const char *file, int line, osip_trace_level_t level, const char *fmt, va_list ap)
{
    if (!ls_log_enabled(LS_LOG_DEBUG))
        return;
    char buf[1024];
    vsnprintf(buf, sizeof buf, fmt, ap);
    buf[strcspn(buf, "\r\n")] = '\0';
    ls_log(LS_LOG_DEBUG, "osip", "%s", buf);
}

void sipmsg_init(void)
{
    parser_init();
    osip_trace_initialize_func(OSIP_WARNING, osip_trace_to_log);
}

struct sip_msg *sipmsg_wrap(osip_message_t *m)
{
    struct sip_msg *msg = calloc(1, sizeof *msg);
    if (!msg)
        abort();
    msg->refs = 1;
    msg->m = m;
    return msg;
}

struct sip_msg *sipmsg_parse(const char *buf, size_t len, const struct sip_source *src, const char **why)
{
    osip_message_t *m;
    if (osip_message_init(&m) != 0) {
        *why = "out of memory";
        return NULL;
    }
    if (osip_message_parse(m, buf, len) != 0) {
        osip_message_free(m);
        *why = "unparsable message";
        return NULL;
    }
    /* Spell generic header names out in full, so that what we print is canonical. */
    osip_header_t *h;
    for (int i = 0; (h = osip_list_get(&m->headers, i)) != NULL; i++) {
        char tmp[128];
        const char *full = sipmsg_header_name(h->hname, tmp, sizeof tmp);
        if (strcmp(full, h->hname) != 0) {
            osip_free(h->hname);
            h->hname = osip_strdup(full);
        }
    }
    struct sip_msg *msg = sipmsg_wrap(m);
    if (src)
        msg->src = *src;
    return msg;
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
    osip_message_free(msg->m);
    free(msg->du);
    free(msg);
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

int sipmsg_print(osip_message_t *m, char **out, size_t *len)
{
    osip_message_force_update(m);
    return osip_message_to_str(m, out, len) == 0 ? 0 : -1;
}

static int dup_osip(char *s, char **value)
{
    if (!s)
        return -1;
    *value = strdup(s);
    osip_free(s);
    return *value ? 0 : -1;
}

int sipmsg_header_get(osip_message_t *m, const char *name, int pos, char **value)
{
    const struct known_hdr *k = known_find(name);
    char *s = NULL;
    if (k) {
        void *h = k->list ? osip_list_get((osip_list_t *)((char *)m + k->off), pos)
                          : (pos == 0 ? *(void **)((char *)m + k->off) : NULL);
        if (!h || k->tostr(h, &s) != 0)
            return -1;
        return dup_osip(s, value);
    }
    char tmp[128];
    const char *full = sipmsg_header_name(name, tmp, sizeof tmp);
    osip_header_t *h;
    for (int i = 0; (h = osip_list_get(&m->headers, i)) != NULL; i++)
        if (generic_matches(h->hname, full) && pos-- == 0) {
            *value = strdup(h->hvalue ? h->hvalue : "");
            return *value ? 0 : -1;
        }
    return -1;
}

int sipmsg_header_append(osip_message_t *m, const char *name, const char *value)
{
    const struct known_hdr *k = known_find(name);
    if (k && k->locked)
        return -1;
    if (k && !k->list && *(void **)((char *)m + k->off))
        return -1; /* single-valued and present: set_header removes it first */
    char tmp[128];
    const char *full = k ? k->name : sipmsg_header_name(name, tmp, sizeof tmp);
    char *n = osip_strdup(full), *v = osip_strdup(value);
    int rc = osip_message_set_multiple_header(m, n, v);
    if (!k && rc == 0) {
        /* osip lower-cases generic names in place; restore our spelling on the new entries. */
        osip_header_t *h;
        for (int i = 0; (h = osip_list_get(&m->headers, i)) != NULL; i++)
            if (strcasecmp(h->hname, full) == 0 && strcmp(h->hname, full) != 0) {
                osip_free(h->hname);
                h->hname = osip_strdup(full);
            }
    }
    osip_free(n);
    osip_free(v);
    osip_message_force_update(m);
    return rc == 0 ? 0 : -1;
}

int sipmsg_header_remove(osip_message_t *m, const char *name)
{
    const struct known_hdr *k = known_find(name);
    int n = 0;
    if (k) {
        if (k->locked)
            return -1;
        if (k->list) {
            osip_list_t *l = (osip_list_t *)((char *)m + k->off);
            void *h;
            while ((h = osip_list_get(l, 0)) != NULL) {
                osip_list_remove(l, 0);
                k->free(h);
                n++;
            }
        } else {
            void **p = (void **)((char *)m + k->off);
            if (*p) {
                k->free(*p);
                *p = NULL;
                n = 1;
            }
        }
    } else {
        char tmp[128];
        const char *full = sipmsg_header_name(name, tmp, sizeof tmp);
        osip_header_t *h;
        for (int i = 0; (h = osip_list_get(&m->headers, i)) != NULL;)
            if (generic_matches(h->hname, full)) {
                osip_list_remove(&m->headers, i);
                osip_header_free(h);
                n++;
            } else {
                i++;
            }
    }
    if (n)
        osip_message_force_update(m);
    return n;
}

const char *sipmsg_body(osip_message_t *m, char **tmp, size_t *len)
{
    *tmp = NULL;
    if (osip_list_size(&m->bodies) == 0)
        return NULL;
    size_t total;
    if (sipmsg_print(m, tmp, &total) != 0)
        return NULL;
    const char *b = strstr(*tmp, "\r\n\r\n");
    if (!b)
        return NULL;
    b += 4;
    *len = total - (size_t)(b - *tmp);
    return b;
}

int sipmsg_set_body(osip_message_t *m, const char *body, size_t len, const char *content_type)
{
    osip_body_t *b;
    while ((b = osip_list_get(&m->bodies, 0)) != NULL) {
        osip_list_remove(&m->bodies, 0);
        osip_body_free(b);
    }
    if (content_type) {
        osip_content_type_free(m->content_type);
        m->content_type = NULL;
        if (osip_message_set_content_type(m, content_type) != 0)
            return -1;
    }
    osip_content_length_free(m->content_length);
    m->content_length = NULL;
    int rc = len ? osip_message_set_body(m, body, len) : 0;
    osip_message_force_update(m);
    return rc == 0 ? 0 : -1;
}

const char *sipmsg_tag(osip_from_t *h)
{
    osip_generic_param_t *tag = NULL;
    if (h && osip_from_get_tag(h, &tag) == 0 && tag && tag->gvalue)
        return tag->gvalue;
    return NULL;
}
