/* Every access the registrar makes to a SIP message or parses a URI, in one place, so that a
 * change of the message API stays local; see reg.h. */
#include "reg.h"
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int aor_of(struct sip_str s, char *out, size_t len)
{
    struct sip_uri u;
    if (!s.s || sip_uri_parse(s.s, s.len, &u) != 0 || !u.user.len || !u.host.len)
        return -1;
    char host[256];
    size_t i;
    for (i = 0; i < u.host.len && i + 1 < sizeof host; i++)
        host[i] = (char)tolower((unsigned char)u.host.s[i]);
    host[i] = '\0';
    int n = reg_cfg.use_domain ? snprintf(out, len, "%.*s@%s", (int)u.user.len, u.user.s, host)
                               : snprintf(out, len, "%.*s", (int)u.user.len, u.user.s);
    return n > 0 && (size_t)n < len ? 0 : -1;
}

int reg_aor_from_uri(const char *uri, char *out, size_t len)
{
    char tmp[512];
    if (!strchr(uri, ':')) { /* a bare user name, or user@host */
        snprintf(tmp, sizeof tmp, "sip:%s%s", uri, strchr(uri, '@') ? "" : "@localhost");
        uri = tmp;
    }
    return aor_of((struct sip_str){ uri, strlen(uri) }, out, len);
}

int reg_msg_to_aor(struct sip_msg *msg, char *out, size_t len)
{
    return aor_of(sipmsg_to_uri(msg), out, len);
}

int reg_msg_ruri_aor(struct sip_msg *msg, char *out, size_t len)
{
    return aor_of(sipmsg_ruri(msg), out, len);
}

/* A header parameter's value without surrounding quotes (malloc'd), or NULL. */
static char *param_dup(struct sip_str params, const char *name)
{
    struct sip_str v;
    if (!sip_param_get(params, name, &v))
        return NULL;
    if (!v.s)
        return strdup("");
    if (v.len >= 2 && v.s[0] == '"' && v.s[v.len - 1] == '"')
        return strndup(v.s + 1, v.len - 2);
    return strndup(v.s, v.len);
}

int reg_msg_contacts(struct sip_msg *msg, struct reg_contact *out, int max, int *star)
{
    struct sip_hdr_iter it;
    struct sip_str v;
    int n = 0;
    *star = 0;
    sipmsg_iter_init(&it, msg, "Contact");
    while (sipmsg_iter_next(&it, &v)) {
        struct sip_nameaddr na;
        if (v.len == 1 && v.s[0] == '*') {
            *star = 1;
            continue;
        }
        if (sip_nameaddr_parse(v.s, v.len, &na) != 0 || !na.uri.len) {
            reg_contacts_free(out, n);
            return -1;
        }
        if (n == max)
            break;
        struct reg_contact *rc = &out[n];
        memset(rc, 0, sizeof *rc);
        if (!(rc->uri = strndup(na.uri.s, na.uri.len))) {
            reg_contacts_free(out, n);
            return -1;
        }
        n++;
        struct sip_str p;
        rc->expires = sip_param_get(na.params, "expires", &p) ? (long)sip_number(p, 0x7fffffff) : -1;
        rc->q = -1;
        char *q = param_dup(na.params, "q");
        if (q) {
            char *end;
            double d = strtod(q, &end);
            if (*q && !*end && d >= 0 && d <= 1)
                rc->q = (int)(d * 1000 + 0.5);
            free(q);
        }
        rc->instance = param_dup(na.params, "+sip.instance");
        rc->reg_id = sip_param_get(na.params, "reg-id", &p) ? (int)sip_number(p, 0x7fffffff) : 0;
        if (rc->reg_id < 0)
            rc->reg_id = 0;
    }
    return n;
}

void reg_contacts_free(struct reg_contact *c, int n)
{
    for (int i = 0; i < n; i++) {
        free(c[i].uri);
        free(c[i].instance);
    }
}

long reg_msg_expires(struct sip_msg *msg)
{
    return (long)sipmsg_expires(msg);
}

const char *reg_msg_call_id(struct sip_msg *msg)
{
    static char buf[256]; /* main loop only; valid until the next call */
    return sip_str_copy(sipmsg_call_id(msg), buf, sizeof buf);
}

unsigned long reg_msg_cseq(struct sip_msg *msg)
{
    uint32_t n = 0;
    return sipmsg_cseq(msg, &n, NULL) == 0 ? n : 0;
}

const char *reg_msg_method(struct sip_msg *msg)
{
    static char buf[64]; /* main loop only; valid until the next call */
    return sipmsg_is_request(msg) ? sip_str_copy(sipmsg_method(msg), buf, sizeof buf) : "";
}

char *reg_msg_path(struct sip_msg *msg)
{
    struct sip_hdr_iter it;
    struct sip_str v;
    char *all = NULL;
    size_t len = 0;
    sipmsg_iter_init(&it, msg, "Path");
    while (sipmsg_iter_next(&it, &v)) {
        char *t = realloc(all, len + v.len + 2);
        if (!t)
            break;
        all = t;
        if (len)
            all[len++] = ',';
        memcpy(all + len, v.s, v.len);
        len += v.len;
        all[len] = '\0';
    }
    return all;
}

char *reg_msg_user_agent(struct sip_msg *msg)
{
    struct sip_str v = sipmsg_header(msg, "User-Agent", 0);
    return v.s ? strndup(v.s, v.len) : NULL;
}

void reg_msg_source(struct sip_msg *msg, struct sip_addr *src, uint64_t *conn_id)
{
    *src = msg->src.addr;
    *conn_id = msg->src.conn_id;
}

static int port_of(const struct sip_uri *u)
{
    return u->port ? u->port : sip_str_ieq(u->scheme, "sips") ? 5061 : 5060;
}

static int transport_eq(const struct sip_uri *a, const struct sip_uri *b)
{
    struct sip_str ta = { "udp", 3 }, tb = { "udp", 3 };
    sip_param_get(a->params, "transport", &ta);
    sip_param_get(b->params, "transport", &tb);
    return ta.len == tb.len && (!ta.len || !strncasecmp(ta.s, tb.s, ta.len));
}

static int str_eq(struct sip_str a, struct sip_str b, int icase)
{
    return a.len == b.len && (!a.len || (icase ? !strncasecmp(a.s, b.s, a.len) : !memcmp(a.s, b.s, a.len)));
}

int reg_uri_equal(const char *a, const char *b)
{
    struct sip_uri x, y;
    return sip_uri_parse(a, strlen(a), &x) == 0 && sip_uri_parse(b, strlen(b), &y) == 0 &&
           str_eq(x.scheme, y.scheme, 1) && str_eq(x.user, y.user, 0) && str_eq(x.host, y.host, 1) &&
           port_of(&x) == port_of(&y) && transport_eq(&x, &y);
}

int reg_uri_natted(const char *uri, const struct sip_addr *src)
{
    struct sip_uri u;
    if (sip_uri_parse(uri, strlen(uri), &u) != 0)
        return 0;
    char ip[64], host[64];
    int sport;
    addr_ip_port(&src->sa, ip, sizeof ip, &sport);
    struct sip_str h = u.host;
    if (h.len > 2 && h.s[0] == '[' && h.s[h.len - 1] == ']') {
        h.s++;
        h.len -= 2;
    }
    sip_str_copy(h, host, sizeof host);
    unsigned char buf[16];
    if (inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1)
        return strcasecmp(host, ip) != 0 || port_of(&u) != sport;
    return PROTO_STREAM(src->proto); /* a name: only a TCP/TLS/WS phone needs its own connection */
}

char *reg_path_first_uri(const char *path)
{
    const char *lt = strchr(path, '<'), *gt = lt ? strchr(lt, '>') : NULL;
    return lt && gt ? strndup(lt + 1, (size_t)(gt - lt - 1)) : NULL;
}

int reg_msg_target(struct sip_msg *msg, const struct reg_binding *b)
{
    if (sipmsg_set_ruri(msg, b->contact) != 0)
        return -1;
    free(msg->du);
    msg->du = NULL;
    if (b->path) {
        /* one Route line with the whole Path, above any Route the request has */
        if (sipmsg_header_insert(msg, "Route", 0, "Route", b->path) != 0)
            return -1;
        msg->du = reg_path_first_uri(b->path);
    } else if (b->natted) {
        msg->du = strdup(b->received);
    }
    return 0;
}
