/* A received SIP message: the libosip2 tree plus where it came from and what the route did.
 * Refcounted: Lua userdata, pending forwards and (later) transactions each hold a reference. */
#ifndef LUNASIP_MSG_H
#define LUNASIP_MSG_H
#include <osipparser2/osip_parser.h>
#include <lunasip/transport.h>

struct http_req;

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
    osip_message_t *m;
    struct sip_source src;     /* where it came from */
    char *du;                  /* next hop set by the route (msg.du), or NULL */
    unsigned replied : 1;      /* a final reply was sent for this request */
    unsigned forwarded : 1;    /* msg:forward() (or tm) sent it on */
    unsigned dropped : 1;      /* msg:drop() */
    unsigned mf_done : 1;      /* Max-Forwards already checked and decremented */
    unsigned rr_wanted : 1;    /* msg:record_route() was called; Record-Route added on forward */
    void *tx;                  /* the transaction of this request, owned by tm (NULL without) */
    struct http_req *http;     /* set while msg is the SIP-shaped twin of an HTTP request
                                * (on_http's req, core/http_req.c); NULL for SIP messages */
    struct sip_msg_slot *slots; /* unit storage, see sipmsg_slot_get/set */
    unsigned nslots;
};

/* Initialise libosip2 (once, before any parse); its diagnostics go to the debug log. */
void sipmsg_init(void);

/* Parse buf (len bytes, NUL at buf[len]). NULL on failure with *why set to a static reason. */
struct sip_msg *sipmsg_parse(const char *buf, size_t len, const struct sip_source *src, const char **why);
/* Wrap an osip message we built; takes ownership of m. */
struct sip_msg *sipmsg_wrap(osip_message_t *m);
struct sip_msg *sipmsg_ref(struct sip_msg *msg);
void sipmsg_unref(struct sip_msg *msg);

/* The pointer stored under key (compared with strcmp), or NULL. */
void *sipmsg_slot_get(const struct sip_msg *msg, const char *key);
/* Store ptr under key (key must outlive msg: use a string literal). A previous value is released
 * with its free function first; ptr NULL just releases it. Returns 0, or -1 when out of memory
 * (ptr is then released with free_fn). */
int sipmsg_slot_set(struct sip_msg *msg, const char *key, void *ptr, void (*free_fn)(void *));

#define sipmsg_is_request(msg) MSG_IS_REQUEST((msg)->m)

/* Print m; *out is osip-allocated (free with osip_free). Returns 0 or -1. */
int sipmsg_print(osip_message_t *m, char **out, size_t *len);

/* Header access by name: case-insensitive, compact forms folded ("v" is "Via").
 * header_get: value number pos (0-based, counting each comma-separated value of list headers
 * as osip splits them) as a malloc'd string in *value; -1 when there is none. */
int sipmsg_header_get(osip_message_t *m, const char *name, int pos, char **value);
/* Append a header (value may hold several comma-separated values). -1 when osip rejects the value
 * or the header may not be changed by routes (Content-Length). */
int sipmsg_header_append(osip_message_t *m, const char *name, const char *value);
/* Remove every header of that name; returns how many values were removed, -1 if not allowed. */
int sipmsg_header_remove(osip_message_t *m, const char *name);
/* The full name for a compact form or any case ("v" -> "Via", "x-foo" -> "X-Foo") into buf. */
const char *sipmsg_header_name(const char *name, char *buf, size_t len);

/* Body bytes (points into a buffer owned by the caller's *tmp, free with osip_free); NULL when none. */
const char *sipmsg_body(osip_message_t *m, char **tmp, size_t *len);
int sipmsg_set_body(osip_message_t *m, const char *body, size_t len, const char *content_type);

/* The To/From tag or NULL. */
const char *sipmsg_tag(osip_from_t *h);

#endif
