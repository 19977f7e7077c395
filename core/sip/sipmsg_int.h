/* The representation of a SIP message (core/sip only): the received bytes, the index of the
 * start line and header lines, the edits. Units go through <lunasip/msg.h>. */
#ifndef CORE_SIPMSG_INT_H
#define CORE_SIPMSG_INT_H
#include <lunasip/msg.h>
#include <string.h>

/* Known headers: compact forms and list-ness come from this id. */
enum sip_hdr_id {
    HDR_OTHER = 0,
    HDR_VIA, HDR_FROM, HDR_TO, HDR_CALL_ID, HDR_CSEQ, HDR_CONTACT, HDR_ROUTE, HDR_RECORD_ROUTE,
    HDR_MAX_FORWARDS, HDR_CONTENT_LENGTH, HDR_CONTENT_TYPE, HDR_EXPIRES, HDR_REQUIRE,
    HDR_PROXY_REQUIRE, HDR_SUPPORTED, HDR_UNSUPPORTED, HDR_ALLOW, HDR_PATH, HDR_SERVICE_ROUTE,
    HDR_AUTHORIZATION, HDR_PROXY_AUTHORIZATION, HDR_WWW_AUTHENTICATE, HDR_PROXY_AUTHENTICATE,
    HDR_ACCEPT, HDR_ACCEPT_ENCODING, HDR_ACCEPT_LANGUAGE, HDR_CONTENT_ENCODING, HDR_CALL_INFO,
    HDR_ALERT_INFO, HDR_ERROR_INFO, HDR_ALLOW_EVENTS, HDR_SUBJECT, HDR_EVENT, HDR_REFER_TO,
    HDR_SESSION_EXPIRES, HDR_IDENTITY, HDR_ACCEPT_CONTACT, HDR_REFERRED_BY,
    HDR_REQUEST_DISPOSITION, HDR_REJECT_CONTACT, HDR_IDENTITY_INFO, HDR_MIME_VERSION,
    HDR_COUNT
};

/* One header line (with its continuation lines) as it is now: in the received bytes, or a new
 * line in the arena written by an edit. */
struct sip_hdr {
    const char *line;   /* the line, its line end included */
    uint32_t len;
    uint32_t name_len;  /* name at line[0, name_len) */
    uint32_t voff, vlen; /* value (white space trimmed) at line + voff */
    uint16_t id;        /* enum sip_hdr_id */
    uint8_t folded;     /* the value spans several lines */
};

struct sip_msg_priv {
    struct arena_chunk *arena;  /* chunks after the first one (which holds msg itself) */
    char *cur, *end;            /* free space of the current chunk */
    size_t size;                /* of the block that holds msg, this and the first arena chunk */
    const char *buf;            /* the bytes as received (NUL-terminated copy) */
    size_t len;
    struct sip_str sl;          /* the start line now, line end included */
    int request;
    struct sip_str method, ruri, version, reason; /* in sl */
    int status;
    struct sip_hdr *h;          /* header lines in order */
    unsigned nh, cap;
    struct sip_str eoh;         /* the empty line that ends the headers */
    struct sip_str body;
    unsigned body_set : 1;      /* body replaced: Content-Length is rewritten on output */
    unsigned cl_bad : 1;        /* Content-Length malformed, repeated or larger than the bytes */
    const char *via_line;       /* the header line the cached top Via was parsed from, or NULL */
    int via_rc;
    struct sip_via via;
};

/* Header id for a name (full or compact, any case); HDR_OTHER when unknown. */
int sipmsg_hdr_id(const char *name, size_t len);
/* The canonical name of a known id. */
const char *sipmsg_hdr_canon(int id);
/* Index of the first header line with that id (or name when id is HDR_OTHER), from line start;
 * -1 when none. */
int sipmsg_hdr_find(const struct sip_msg *msg, int id, const char *name, unsigned start);
/* Value spans of header line i (list headers split at top-level commas): up to max of them
 * into v (offsets relative to the line). Returns how many. */
unsigned sipmsg_hdr_values(const struct sip_hdr *h, struct sip_str *v, unsigned max);
/* Replace [off, off+len) of header line i (offsets into its line) with text. 0 or -1. */
int sipmsg_hdr_splice(struct sip_msg *msg, unsigned i, size_t off, size_t len, const char *text, size_t tlen);
/* Insert a raw line "Name: value" (no line end) at index i. 0 or -1. */
int sipmsg_hdr_insert_line(struct sip_msg *msg, unsigned i, const char *line, size_t len);
void sipmsg_hdr_delete(struct sip_msg *msg, unsigned i);
/* Index just after the last header line with that id (0 when there is none). */
unsigned sipmsg_hdr_after(const struct sip_msg *msg, int id);

/* Memory from the message's arena (freed with it); aborts when out of memory. */
void *sipmsg_alloc(const struct sip_msg *msg, size_t len);
char *sipmsg_strdup(const struct sip_msg *msg, const char *s, size_t len);

/* Index one header line (len bytes, line end and continuation lines included) into h;
 * -1 when it is not "token *WS : value". */
int sipmsg_hdr_index(struct sip_hdr *h, const char *line, size_t len);
/* Index the start line (len bytes with its line end) into p; -1 when malformed. */
int sipmsg_sl_index(struct sip_msg_priv *p, const char *sl, size_t len);
/* End of the value starting at s: the next top-level comma (outside quotes and <>), or e. */
const char *sipmsg_value_end(const char *s, const char *e);

/* RFC 3261 token characters. */
static inline int sip_is_token(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return 1;
    switch (c) {
    case '-': case '.': case '!': case '%': case '*': case '_': case '+': case '`': case '\'': case '~':
        return 1;
    default:
        return 0;
    }
}

/* The message as it goes out with top (a complete line, or NULL) inserted first among the
 * header lines and, when add_cl is set and no Content-Length exists, one added. */
int sipmsg_write(const struct sip_msg *msg, const char *top, size_t toplen, int add_cl, char **out, size_t *len);

#endif
