/* Every access the registrar makes to a SIP message or parses a URI, in one place, so that a
 * change of the message API stays local; see reg.h. */
#include "reg.h"
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static osip_uri_t *uri_parse(const char *s)
{
    osip_uri_t *u;
    if (osip_uri_init(&u) != 0)
        return NULL;
    if (osip_uri_parse(u, s) != 0 || !u->host) {
        osip_uri_free(u);
        return NULL;
    }
    return u;
}

static int aor_of(const osip_uri_t *u, char *out, size_t len)
{
    if (!u || !u->username || !*u->username)
        return -1;
    char host[256];
    size_t i;
    for (i = 0; u->host[i] && i + 1 < sizeof host; i++)
        host[i] = (char)tolower((unsigned char)u->host[i]);
    host[i] = '\0';
    int n = reg_cfg.use_domain ? snprintf(out, len, "%s@%s", u->username, host) : snprintf(out, len, "%s", u->username);
    return n > 0 && (size_t)n < len ? 0 : -1;
}

int reg_aor_from_uri(const char *uri, char *out, size_t len)
{
    if (!strchr(uri, ':')) { /* a bare user name, or user@host */
        char tmp[512];
        snprintf(tmp, sizeof tmp, "sip:%s%s", uri, strchr(uri, '@') ? "" : "@localhost");
        osip_uri_t *u = uri_parse(tmp);
        int rc = aor_of(u, out, len);
        osip_uri_free(u);
        return rc;
    }
    osip_uri_t *u = uri_parse(uri);
    int rc = aor_of(u, out, len);
    osip_uri_free(u);
    return rc;
}

int reg_msg_to_aor(struct sip_msg *msg, char *out, size_t len)
{
    return msg->m->to ? aor_of(msg->m->to->url, out, len) : -1;
}

int reg_msg_ruri_aor(struct sip_msg *msg, char *out, size_t len)
{
    return aor_of(msg->m->req_uri, out, len);
}

/* A header parameter's value without surrounding quotes, or NULL. */
static char *param_dup(osip_contact_t *c, const char *name)
{
    osip_generic_param_t *p = NULL;
    osip_contact_param_get_byname(c, (char *)name, &p);
    if (!p)
        return NULL;
    const char *v = p->gvalue ? p->gvalue : "";
    size_t n = strlen(v);
    if (n >= 2 && v[0] == '"' && v[n - 1] == '"')
        return strndup(v + 1, n - 2);
    return strdup(v);
}

int reg_msg_contacts(struct sip_msg *msg, struct reg_contact *out, int max, int *star)
{
    osip_contact_t *c;
    int n = 0;
    *star = 0;
    for (int i = 0; (c = osip_list_get(&msg->m->contacts, i)) != NULL; i++) {
        if (!c->url) {
            if (c->displayname && !strcmp(c->displayname, "*")) {
                *star = 1;
                continue;
            }
            reg_contacts_free(out, n);
            return -1;
        }
        if (n == max)
            break;
        struct reg_contact *rc = &out[n];
        memset(rc, 0, sizeof *rc);
        if (osip_uri_to_str(c->url, &rc->uri) != 0) {
            reg_contacts_free(out, n);
            return -1;
        }
        n++;
        char *v = param_dup(c, "expires");
        rc->expires = -1;
        if (v) {
            char *end;
            long e = strtol(v, &end, 10);
            rc->expires = *v && !*end && e >= 0 ? e : -1;
            free(v);
        }
        rc->q = -1;
        if ((v = param_dup(c, "q")) != NULL) {
            char *end;
            double q = strtod(v, &end);
            if (*v && !*end && q >= 0 && q <= 1)
                rc->q = (int)(q * 1000 + 0.5);
            free(v);
        }
        rc->instance = param_dup(c, "+sip.instance");
        if ((v = param_dup(c, "reg-id")) != NULL) {
            rc->reg_id = atoi(v);
            free(v);
        }
    }
    return n;
}

void reg_contacts_free(struct reg_contact *c, int n)
{
    for (int i = 0; i < n; i++) {
        osip_free(c[i].uri);
        free(c[i].instance);
    }
}

long reg_msg_expires(struct sip_msg *msg)
{
    osip_header_t *h = NULL;
    osip_message_get_expires(msg->m, 0, &h);
    if (!h || !h->hvalue)
        return -1;
    char *end;
    long e = strtol(h->hvalue, &end, 10);
    while (*end == ' ' || *end == '\t')
        end++;
    return *h->hvalue && !*end && e >= 0 ? e : -1;
}

const char *reg_msg_call_id(struct sip_msg *msg)
{
    return msg->m->call_id && msg->m->call_id->number ? msg->m->call_id->number : "";
}

unsigned long reg_msg_cseq(struct sip_msg *msg)
{
    return msg->m->cseq && msg->m->cseq->number ? strtoul(msg->m->cseq->number, NULL, 10) : 0;
}

const char *reg_msg_method(struct sip_msg *msg)
{
    return MSG_IS_REQUEST(msg->m) && msg->m->sip_method ? msg->m->sip_method : "";
}

/* Every value of a header libosip2 keeps as generic, joined with ",". */
static char *generic_join(struct sip_msg *msg, const char *name)
{
    char *all = NULL, *v;
    size_t len = 0;
    for (int i = 0; sipmsg_header_get(msg->m, name, i, &v) == 0; i++) {
        size_t n = strlen(v);
        char *t = realloc(all, len + n + 2);
        if (!t) {
            free(v);
            break;
        }
        all = t;
        if (len)
            all[len++] = ',';
        memcpy(all + len, v, n + 1);
        len += n;
        free(v);
    }
    return all;
}

char *reg_msg_path(struct sip_msg *msg)
{
    return generic_join(msg, "Path");
}

char *reg_msg_user_agent(struct sip_msg *msg)
{
    char *v = NULL;
    return sipmsg_header_get(msg->m, "User-Agent", 0, &v) == 0 ? v : NULL;
}

void reg_msg_source(struct sip_msg *msg, struct sip_addr *src, uint64_t *conn_id)
{
    *src = msg->src.addr;
    *conn_id = msg->src.conn_id;
}

static const char *uparam(const osip_uri_t *u, const char *name, const char *def)
{
    osip_uri_param_t *p = NULL;
    osip_uri_uparam_get_byname((osip_uri_t *)u, (char *)name, &p);
    return p && p->gvalue ? p->gvalue : def;
}

static int port_of(const osip_uri_t *u)
{
    int p = u->port ? atoi(u->port) : 0;
    return p ? p : (u->scheme && !strcasecmp(u->scheme, "sips") ? 5061 : 5060);
}

int reg_uri_equal(const char *a, const char *b)
{
    osip_uri_t *x = uri_parse(a), *y = uri_parse(b);
    int eq = x && y && !strcasecmp(x->scheme ? x->scheme : "", y->scheme ? y->scheme : "") &&
             !strcmp(x->username ? x->username : "", y->username ? y->username : "") &&
             !strcasecmp(x->host, y->host) && port_of(x) == port_of(y) &&
             !strcasecmp(uparam(x, "transport", "udp"), uparam(y, "transport", "udp"));
    osip_uri_free(x);
    osip_uri_free(y);
    return eq;
}

int reg_uri_natted(const char *uri, const struct sip_addr *src)
{
    osip_uri_t *u = uri_parse(uri);
    if (!u)
        return 0;
    char ip[64];
    int sport;
    addr_ip_port(&src->sa, ip, sizeof ip, &sport);
    unsigned char buf[16];
    char host[64];
    snprintf(host, sizeof host, "%s", u->host);
    size_t hl = strlen(host);
    if (hl > 2 && host[0] == '[' && host[hl - 1] == ']') {
        memmove(host, host + 1, hl - 2);
        host[hl - 2] = '\0';
    }
    int literal = inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
    int natted;
    if (literal)
        natted = strcasecmp(host, ip) != 0 || port_of(u) != sport;
    else
        natted = src->proto == PROTO_TCP; /* a name: only a TCP phone needs its own connection */
    osip_uri_free(u);
    return natted;
}

/* Insert the Path values ("<a>,<b>") as Route headers on top of m, in order. 0 or -1. */
static int routes_push(osip_message_t *m, const char *path)
{
    int pos = 0;
    const char *s = path;
    while (*s) {
        while (*s == ',' || *s == ' ' || *s == '\t')
            s++;
        if (!*s)
            break;
        const char *e = s;
        int in_angle = 0, in_quote = 0;
        for (; *e && (in_angle || in_quote || *e != ','); e++) {
            if (*e == '"')
                in_quote = !in_quote;
            else if (!in_quote && *e == '<')
                in_angle = 1;
            else if (!in_quote && *e == '>')
                in_angle = 0;
        }
        char *one = strndup(s, (size_t)(e - s));
        osip_route_t *r;
        if (!one || osip_route_init(&r) != 0) {
            free(one);
            return -1;
        }
        if (osip_route_parse(r, one) != 0) {
            osip_route_free(r);
            free(one);
            return -1;
        }
        free(one);
        osip_list_add(&m->routes, r, pos++);
        s = e;
    }
    osip_message_force_update(m);
    return 0;
}

/* The URI of the first Path value (malloc'd), or NULL. */
static char *path_first_uri(const char *path)
{
    const char *lt = strchr(path, '<'), *gt = lt ? strchr(lt, '>') : NULL;
    return lt && gt ? strndup(lt + 1, (size_t)(gt - lt - 1)) : NULL;
}

int reg_msg_target(struct sip_msg *msg, const struct reg_binding *b)
{
    osip_uri_t *u = uri_parse(b->contact);
    if (!u)
        return -1;
    osip_uri_free(msg->m->req_uri);
    msg->m->req_uri = u;
    osip_message_force_update(msg->m);
    free(msg->du);
    msg->du = NULL;
    if (b->path) {
        if (routes_push(msg->m, b->path) != 0)
            return -1;
        msg->du = path_first_uri(b->path);
    } else if (b->natted) {
        msg->du = strdup(b->received);
    }
    return 0;
}
