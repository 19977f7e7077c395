/* A SIP message as received: its bytes, an index of the start line and header lines made in one
 * pass, typed views parsed on first use, and edits recorded against the original bytes that are
 * applied once when the message is written out (what nobody edited leaves byte-identical).
 * All memory of a message lives in one arena freed with it: spans returned here stay valid
 * until the message is freed. Refcounted: Lua userdata, pending sends and transactions each hold
 * a reference. Main loop only. */
#ifndef LUNASIP_MSG_H
#define LUNASIP_MSG_H
#include <stddef.h>
#include <stdint.h>
#include <lunasip/transport.h>
#include <lunasip/api.h>

LS_API_BEGIN
struct http_req;
struct sip_msg_priv; /* the representation, private to core/sip (sipmsg_int.h) */

/* A span of bytes, not NUL-terminated. s == NULL means absent (len is then 0). */
struct sip_str {
    const char *s;
    size_t len;
};

/* Per-message storage for units (e.g. the dispatcher's failover list, kept with the request so
 * that tm's on_failure sees it): one pointer per key, released with the message. */
struct sip_msg_slot {
    const char *key;          /* static string naming the owner, e.g. "dispatcher" */
    void *ptr;
    void (*free)(void *ptr);  /* called on replace and when the message is freed; may be NULL.
                               * Prefer libc's free: messages may outlive a unit's code at exit */
};

struct sip_msg {
    int refs;
    struct sip_source src;     /* where it came from */
    char *du;                  /* next hop set by the route (msg.du), or NULL */
    const struct listener *socket; /* our listener to send from (msg.socket, Kamailio's $fs), or
                                * NULL: the transport's for the destination's proto and family */
    unsigned replied : 1;      /* a final reply was sent for this request */
    unsigned forwarded : 1;    /* msg:forward() (or tm) sent it on */
    unsigned dropped : 1;      /* msg:drop() */
    unsigned mf_done : 1;      /* Max-Forwards already checked and decremented */
    unsigned rr_wanted : 1;    /* msg:record_route() was called; Record-Route added on forward */
    long long rx_us;           /* when it was received (ls_stats_now_us), 0 when built locally */
    void *tx;                  /* the transaction of this request, owned by tm (NULL without) */
    struct http_req *http;     /* set while msg is the SIP-shaped twin of an HTTP request
                                * (on_http's req, core/http/http_req.c); NULL for SIP messages */
    struct sip_msg_slot *slots; /* unit storage, see sipmsg_slot_get/set */
    unsigned nslots;
    struct sip_msg_priv *p;    /* bytes, index, views, edits: use the functions below */
};

/* ---- typed values (spans into the message, or into a string given to a sip_*_parse) ---- */

/* sip:/sips: URI parts (RFC 3261 §19.1); for other schemes only scheme and the rest (host) are
 * set. port is 0 when absent. */
struct sip_uri {
    struct sip_str scheme, user, password, host, params, headers;
    int port;
};

/* A name-addr or addr-spec with its header parameters (From, To, Contact, Route, ...). */
struct sip_nameaddr {
    struct sip_str display; /* as written, quotes kept; absent when none */
    struct sip_str uri;     /* without the angle brackets */
    struct sip_str params;  /* ";tag=x;expires=60" after the URI, leading ';' kept; may be empty */
};

/* One Via value (RFC 3261 §20.42). */
struct sip_via {
    struct sip_str transport; /* "UDP", "TCP", ... */
    struct sip_str host;      /* as written: IPv6 keeps its brackets */
    int port;                 /* 0 when absent */
    struct sip_str params;    /* ";branch=...;rport" with the leading ';' */
    struct sip_str branch;    /* the branch value, absent when none */
};

/* Parsers over any bytes (they keep spans into s). Return 0, or -1 when s is not one. */
int sip_uri_parse(const char *s, size_t len, struct sip_uri *u);
int sip_nameaddr_parse(const char *s, size_t len, struct sip_nameaddr *na);
int sip_via_parse(const char *s, size_t len, struct sip_via *via);
/* A parameter from ";a=1;b;c=2" lists (URI or header params; names case-insensitive).
 * Returns 1 and its value (absent for a valueless one), or 0 when not there. */
int sip_param_get(struct sip_str params, const char *name, struct sip_str *value);
/* A decimal number of at most 10 digits in [0, max]; -1 otherwise (sign, junk, overflow). */
long long sip_number(struct sip_str s, long long max);
/* 1 when a and the NUL-terminated b are equal ignoring case. */
int sip_str_ieq(struct sip_str a, const char *b);
/* Copy s into buf as a NUL-terminated string (truncated to len - 1). Returns buf. */
char *sip_str_copy(struct sip_str s, char *buf, size_t len);

/* ---- messages ---- */

/* Call once at start (nothing to set up today; kept so a representation that needs it can). */
void sipmsg_init(void);

/* Index len bytes of buf (copied: buf may be reused after the call). NULL with *why set to a
 * static reason when the start line or a header line is malformed. src may be NULL. */
struct sip_msg *sipmsg_parse(const char *buf, size_t len, const struct sip_source *src, const char **why);
struct sip_msg *sipmsg_ref(struct sip_msg *msg);
void sipmsg_unref(struct sip_msg *msg);

/* The pointer stored under key (compared with strcmp), or NULL. */
void *sipmsg_slot_get(const struct sip_msg *msg, const char *key);
/* Store ptr under key (key must outlive msg: use a string literal). A previous value is released
 * with its free function first; ptr NULL just releases it. Returns 0, or -1 when out of memory
 * (ptr is then released with free_fn). */
int sipmsg_slot_set(struct sip_msg *msg, const char *key, void *ptr, void (*free_fn)(void *));

/* Start line. */
int sipmsg_is_request(const struct sip_msg *msg);
struct sip_str sipmsg_method(const struct sip_msg *msg);  /* requests; replies: the CSeq method */
int sipmsg_method_is(const struct sip_msg *msg, const char *method);
struct sip_str sipmsg_ruri(const struct sip_msg *msg);    /* requests, as now (after edits) */
struct sip_str sipmsg_version(const struct sip_msg *msg); /* "SIP/2.0" as written */
int sipmsg_status(const struct sip_msg *msg);             /* replies, else 0 */
struct sip_str sipmsg_reason(const struct sip_msg *msg);  /* replies */

/* Typed views (parsed on first use, after edits). Absent or unparsable: s == NULL / -1. */
struct sip_str sipmsg_call_id(const struct sip_msg *msg);
/* CSeq number (< 2^31) and method; -1 when missing or malformed. */
int sipmsg_cseq(const struct sip_msg *msg, uint32_t *num, struct sip_str *method);
/* From/To (which: "From" or "To"): 0 and its parts, or -1. */
int sipmsg_nameaddr(const struct sip_msg *msg, const char *which, struct sip_nameaddr *na);
struct sip_str sipmsg_from_uri(const struct sip_msg *msg);
struct sip_str sipmsg_to_uri(const struct sip_msg *msg);
struct sip_str sipmsg_from_tag(const struct sip_msg *msg);
struct sip_str sipmsg_to_tag(const struct sip_msg *msg);
/* The top Via value: 0, or -1 when there is none or it does not parse. */
int sipmsg_top_via(const struct sip_msg *msg, struct sip_via *via);
/* Expires header: its value, or -1 when missing or malformed. */
long long sipmsg_expires(const struct sip_msg *msg);
struct sip_str sipmsg_body(const struct sip_msg *msg);

/* Header values by name: case-insensitive, compact forms folded ("v" is "Via"). A value is the
 * bytes as received (folded lines joined by one space in a copy); list headers (Via, Contact,
 * Route, Record-Route, Path, Allow, Supported, Require, ...) count each comma-separated value,
 * other headers one value per header line. */
struct sip_hdr_iter {
    const struct sip_msg *msg;
    int id;              /* known header id, or 0 */
    char name[64];       /* the full name when id is 0 */
    unsigned hdr;        /* next header line to look at */
    size_t pos;          /* offset in the current line's value (list headers) */
    int in_line;         /* pos is valid */
};
void sipmsg_iter_init(struct sip_hdr_iter *it, const struct sip_msg *msg, const char *name);
/* The next value: 1 with *value set, 0 at the end. */
int sipmsg_iter_next(struct sip_hdr_iter *it, struct sip_str *value);
/* Value number pos (0-based) of header name, or s == NULL. */
struct sip_str sipmsg_header(const struct sip_msg *msg, const char *name, int pos);
/* Calls fn for every header line: its full canonical name and its value (unfolded). */
void sipmsg_header_each(const struct sip_msg *msg, void (*fn)(void *arg, const char *name,
                        struct sip_str value), void *arg);
/* The full name for a compact form or any case ("v" -> "Via", "x-foo" -> "X-Foo") into buf. */
const char *sipmsg_header_name(const char *name, char *buf, size_t len);

/* ---- edits (recorded; the original bytes stay; applied by sipmsg_print) ---- */

/* Add a header line at the end (value may hold several comma-separated values). -1 when the
 * name or value is not acceptable (CR/LF/NUL, empty name) or the header may not be changed by
 * routes (Content-Length) or is single-valued and present. */
int sipmsg_header_append(struct sip_msg *msg, const char *name, const char *value);
/* Add a header line before (after == 0) or after the first line of header anchor; at the top
 * (after == 0) or the end when anchor is absent. Same checks as append. */
int sipmsg_header_insert(struct sip_msg *msg, const char *anchor, int after, const char *name, const char *value);
/* Remove every header of that name; returns how many values were removed, -1 if not allowed. */
int sipmsg_header_remove(struct sip_msg *msg, const char *name);
/* Remove value number pos of a header (list headers: one comma-separated value). 0 or -1. */
int sipmsg_header_remove_value(struct sip_msg *msg, const char *name, int pos);
/* Replace the value number pos of a header with value. 0 or -1. */
int sipmsg_header_replace_value(struct sip_msg *msg, const char *name, int pos, const char *value);
/* Replace the R-URI of a request (must parse as a URI). 0 or -1. */
int sipmsg_set_ruri(struct sip_msg *msg, const char *uri);
/* Replace the body (copied); Content-Type is set when content_type is given, Content-Length is
 * rewritten on output. 0 or -1. */
int sipmsg_set_body(struct sip_msg *msg, const char *body, size_t len, const char *content_type);

/* The message as it goes out: the original bytes with the edits applied. *out is malloc'd
 * (free it). Returns 0 or -1. */
int sipmsg_print(const struct sip_msg *msg, char **out, size_t *len);

LS_API_END
#endif
