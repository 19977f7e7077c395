/* dispatcher internals shared by dispatcher.c (unit, parameters, Lua), ds_list.c (list file,
 * sets, atomic reload), ds_select.c (algorithms, failover list) and ds_probe.c (probing, HTTP
 * API, metrics). Main loop only. */
#ifndef DS_H
#define DS_H
#include <jansson.h>
#include <lua.h>
#include <lunasip/log.h>
#include <lunasip/msg.h>
#include <lunasip/tm.h>
#include <lunasip/dispatcher.h>
#include <lunasip/unit.h>
#include <sys/socket.h>
#include "ds_util.h"

#define DS_UNIT "dispatcher"

struct ds_config {
    char *list;              /* list file, absolute or relative to the cwd (resolved in init) */
    long ping_interval;      /* s between probe rounds, 0: no probing */
    char *ping_method;
    char *ping_from;
    struct ds_codes reply_codes;
    int probing_threshold;   /* consecutive failures that make a destination inactive */
    int inactive_threshold;  /* consecutive successes that make it active again */
    int probing_mode;        /* 0: destinations with P, 1: all */
    long ping_timeout;       /* ms a probe waits for its final reply */
    int strict;              /* a bad list line refuses the whole file (else: skipped, warned) */
};
extern struct ds_config ds_cfg;
extern const struct tm_api *ds_tm; /* NULL when tm is not loaded: probing is refused */

struct ds_dest {
    char *uri;
    int flags;               /* DS_* */
    int file_flags;          /* flags as the list file gives them */
    int priority;
    int weight;              /* attrs weight, 0: none */
    json_t *attrs;           /* object: every attribute as a string */
    const char *ping_from;   /* attrs ping_from, or NULL (points into attrs) */
    const struct listener *socket; /* attrs socket: our listener requests to it leave from, or NULL */
    struct sockaddr_storage addr; /* for is_from, when has_addr */
    int has_addr;
    /* probing */
    int fails, oks;          /* consecutive probe failures / successes */
    double latency_ms;       /* round trip of the last answered probe, < 0: none yet */
    int probing;             /* a probe is under way */
    int wrr;                 /* smooth weighted round-robin state */
};

struct ds_set {
    int id;
    int n;
    struct ds_dest *d;       /* by priority, highest first; file order among equals */
    unsigned rr;             /* next round-robin start */
};

struct ds_list {
    int nsets;
    struct ds_set *sets;     /* by id */
};

extern struct ds_list *ds_current;

/* ds_list.c */
/* Read and parse path. A bad line is skipped with a warning, or with strict refuses the whole
 * file; either way "path:line: reason" is appended to the JSON array bad. Returns a new list, or
 * NULL with the reason in err. */
struct ds_list *ds_list_load(const char *path, int strict, json_t *bad, char *err, size_t errlen);
void ds_list_free(struct ds_list *l);
/* Load ds_cfg.list and, when it parses, make it current (runtime state of destinations that
 * stay is kept); the old list stays otherwise. Bad lines are appended to bad (see
 * ds_list_load). 0, or -1 with the reason. */
int ds_reload(json_t *bad, char *err, size_t errlen);
struct ds_set *ds_set_find(struct ds_list *l, int id);
struct ds_dest *ds_dest_find(struct ds_set *s, const char *uri);
/* Set a destination's flags. Probing without tm: -1 with the reason. */
int ds_set_flags(struct ds_dest *d, int flags, char *err, size_t errlen);
/* Why probing flags are refused (names tm), for Lua and HTTP errors. */
extern const char ds_no_tm_reason[];
/* Drop DS_PROBING from every destination of l when tm is not loaded. */
void ds_list_strip_probing(struct ds_list *l);
/* Whether d can be selected (not inactive, not disabled). */
#define ds_dest_usable(d) (!((d)->flags & (DS_INACTIVE | DS_DISABLED)))

/* ds_select.c */
/* Algorithm number from a Lua value (number or name); -1 when unknown. */
int ds_alg_parse(lua_State *L, int idx);
/* Choose a destination of set for msg, store the failover list with msg and set msg->du.
 * limit: destinations kept in all (0: no limit). 1 when chosen, 0 when none is usable. */
int ds_select(struct sip_msg *msg, struct ds_set *set, int alg, int limit);
/* The next destination of msg's failover list into msg->du: 1, or 0 when exhausted. */
int ds_next(struct sip_msg *msg);
/* Set and URI msg was last sent to by ds_select/ds_next, or -1 when none. */
int ds_current_of(struct sip_msg *msg, const char **uri);

/* ds_probe.c */
int ds_probe_start(char *err, size_t errlen);
void ds_probe_stop(void);
/* The HTTP routes (/api/dispatcher...) and the metrics writer, registered by the core. */
extern const struct ls_unit_route ds_http_routes[];
struct evbuffer;
void ds_metrics_write(struct evbuffer *out, void *arg);
/* The sets as a JSON value (GET /api/dispatcher). */
json_t *ds_list_json(void);

/* dispatcher.c */
/* Look up the addresses of ds_current's destinations (for is_from) without blocking: literals
 * at once, names through the core's resolver; nothing before the unit started (no loop yet). */
void ds_resolve_all(void);
/* Log the "probing needs tm" warning, once per process. */
void ds_warn_no_tm(void);

#endif
