/* registrar internals shared by registrar.c (unit, Lua, save/lookup), reg_store.c (bindings),
 * reg_msg.c (every access to a SIP message) and reg_http.c (HTTP API, metrics, NAT keepalive).
 * Main loop only. */
#ifndef REG_H
#define REG_H
#include <lunasip/msg.h>
#include <lunasip/tm.h>
#include <lunasip/transport.h>
#include <stdint.h>

#define REG_UNIT "registrar"

struct reg_config {
    long default_expires, min_expires, max_expires; /* seconds */
    int max_contacts;                                /* per AOR */
    long max_aors;                                   /* in the whole table */
    int use_domain;                                  /* AOR is user@host, else user */
    long nat_ping_interval;                          /* seconds, 0: off */
    int nat_ping_failures;                           /* unanswered pings before removal */
};
extern struct reg_config reg_cfg;
extern const struct tm_api *reg_tm;

/* One binding of an AOR: a Contact and where its REGISTER came from. */
struct reg_binding {
    struct reg_binding *next;
    char *contact;           /* Contact URI as registered */
    char *instance;          /* +sip.instance value (RFC 5626), or NULL */
    int reg_id;              /* reg-id, 0 when none */
    char *call_id;
    unsigned long cseq;
    char *path;              /* Path values "<sip:a;lr>,<sip:b;lr>", or NULL */
    char *user_agent;        /* or NULL */
    int q;                   /* q * 1000, -1 when none */
    uint64_t expires_ms;     /* monotonic ms when it expires */
    uint64_t updated_ms;     /* monotonic ms of the last REGISTER */
    struct sip_addr src;     /* where the REGISTER came from */
    uint64_t conn_id;        /* its TCP connection, 0 for UDP */
    char received[96];       /* "sip:IP:PORT[;transport=tcp]" of src */
    unsigned natted : 1;     /* Contact address differs from the source: send to received */
    unsigned pinging : 1;    /* a NAT keepalive is under way */
    int ping_failures;
};

struct reg_aor {
    struct reg_aor *hnext;
    char *aor;
    struct reg_binding *bindings; /* best first: q descending (none = 1.0), then most recent */
    int n;
};

/* reg_store.c */
uint64_t reg_now_ms(void);
struct reg_aor *reg_aor_find(const char *aor);
struct reg_aor *reg_aor_get(const char *aor); /* find or create; NULL when max_aors is reached */
void reg_aor_drop_if_empty(struct reg_aor *a);
/* Take b out of a's list (not freed). */
void reg_unlink(struct reg_aor *a, struct reg_binding *b);
/* Insert b in a's list at its place (q descending, then most recent first). */
void reg_insert(struct reg_aor *a, struct reg_binding *b);
void reg_binding_free(struct reg_binding *b);
/* Remove bindings of aor (contact NULL: all of them); returns how many. */
int reg_remove(const char *aor, const char *contact);
/* Remove expired bindings; returns how many. */
int reg_expire(void);
/* Call fn for every AOR (it must not add or remove). */
void reg_foreach(void (*fn)(struct reg_aor *a, void *arg), void *arg);
void reg_store_clear(void);
extern unsigned long reg_naors, reg_nbindings;

/* reg_msg.c: everything that touches a message */
struct reg_contact {
    char *uri;
    long expires;            /* expires parameter, -1 when none */
    int q;                   /* q * 1000, -1 when none */
    char *instance;
    int reg_id;
};
#define REG_MAX_CONTACTS_MSG 32
/* Normalise an AOR from a URI string (or a bare user name): "user" or "user@host" (use_domain).
 * 0 or -1 (no user part). */
int reg_aor_from_uri(const char *uri, char *out, size_t len);
/* The AOR of a REGISTER (its To URI) / of a request (its R-URI). 0 or -1. */
int reg_msg_to_aor(struct sip_msg *msg, char *out, size_t len);
int reg_msg_ruri_aor(struct sip_msg *msg, char *out, size_t len);
/* The Contacts of msg (at most max, malloc'd strings: free with reg_contacts_free), *star set
 * for "Contact: *". Returns how many, or -1 when one cannot be parsed. */
int reg_msg_contacts(struct sip_msg *msg, struct reg_contact *out, int max, int *star);
void reg_contacts_free(struct reg_contact *c, int n);
/* The Expires header value, or -1 when there is none or it is not a number. */
long reg_msg_expires(struct sip_msg *msg);
const char *reg_msg_call_id(struct sip_msg *msg);
unsigned long reg_msg_cseq(struct sip_msg *msg);
const char *reg_msg_method(struct sip_msg *msg);
/* The Path values joined with "," (malloc'd), or NULL; the User-Agent (malloc'd) or NULL. */
char *reg_msg_path(struct sip_msg *msg);
char *reg_msg_user_agent(struct sip_msg *msg);
/* Where msg came from. */
void reg_msg_source(struct sip_msg *msg, struct sip_addr *src, uint64_t *conn_id);
/* True when two Contact URIs are the same binding (RFC 3261 §19.1.4 for what matters here:
 * scheme, user, host case-insensitively, port with its default, transport). */
int reg_uri_equal(const char *a, const char *b);
/* True when the host:port of uri is not the address src (the phone is behind a NAT). */
int reg_uri_natted(const char *uri, const struct sip_addr *src);
/* The URI of the first Path value "<sip:a;lr>,..." (malloc'd), or NULL. */
char *reg_path_first_uri(const char *path);
/* Send msg to b: R-URI = contact, msg.du = the first Path hop or the received address when
 * natted, Path values as Route headers on top. 0 or -1. */
int reg_msg_target(struct sip_msg *msg, const struct reg_binding *b);

/* reg_http.c */
int reg_http_start(char *err, size_t errlen);
void reg_http_stop(void);
void reg_ping_start(void);
void reg_ping_stop(void);
extern unsigned long reg_accepted, reg_refused;

#endif
