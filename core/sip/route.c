#include "sip/route.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int route_uri_is_local(const osip_uri_t *uri, route_is_local_fn is_local)
{
    if (!uri || !uri->host)
        return 0;
    int port = uri->port ? atoi(uri->port) : 0;
    if (!port)
        port = uri->scheme && strcasecmp(uri->scheme, "sips") == 0 ? 5061 : 5060;
    return is_local(uri->host, port);
}

static int has_lr(const osip_uri_t *uri)
{
    osip_uri_param_t *lr = NULL;
    osip_uri_uparam_get_byname((osip_uri_t *)uri, "lr", &lr);
    return lr != NULL;
}

static void routes_remove(osip_message_t *m, int pos)
{
    osip_route_t *r = osip_list_get(&m->routes, pos);
    osip_list_remove(&m->routes, pos);
    osip_route_free(r);
}

/* Parse value as a Route/Record-Route entry (both are name-addr, osip_from_t) and insert it at
 * pos of list (-1: the end). Returns 0 or -1. */
static int list_insert(osip_message_t *m, osip_list_t *list, const char *value, int pos)
{
    osip_from_t *h;
    if (osip_from_init(&h) != 0)
        return -1;
    if (osip_from_parse(h, value) != 0) {
        osip_from_free(h);
        return -1;
    }
    osip_list_add(list, h, pos);
    osip_message_force_update(m);
    return 0;
}

/* Replace the R-URI by a copy of uri. */
static int ruri_set(osip_message_t *m, const osip_uri_t *uri)
{
    osip_uri_t *copy;
    if (osip_uri_clone(uri, &copy) != 0)
        return -1;
    osip_uri_free(m->req_uri);
    m->req_uri = copy;
    return 0;
}

/* True when uri looks like a Record-Route value we wrote: no user part, our address, ;lr. */
static int is_our_rr(const osip_uri_t *uri, route_is_local_fn is_local)
{
    return uri && !(uri->username && *uri->username) && has_lr(uri) && route_uri_is_local(uri, is_local);
}

int route_loose(osip_message_t *m, route_is_local_fn is_local, char **next_hop)
{
    *next_hop = NULL;
    int n = osip_list_size(&m->routes);
    if (n <= 0)
        return 0;
    osip_route_t *r;
    if (is_our_rr(m->req_uri, is_local)) {
        /* §16.4: a strict router put our Record-Route value in the R-URI. */
        r = osip_list_get(&m->routes, n - 1);
        if (!r->url || ruri_set(m, r->url) != 0)
            return -1;
        routes_remove(m, n - 1);
    }
    while ((r = osip_list_get(&m->routes, 0)) != NULL && route_uri_is_local(r->url, is_local))
        routes_remove(m, 0);
    osip_message_force_update(m);
    if (!r)
        return 1;
    if (!r->url)
        return -1;
    if (has_lr(r->url))
        return osip_uri_to_str(r->url, next_hop) == 0 ? 1 : -1;
    /* §16.6 step 7: strict next hop; the R-URI goes to the end of the route set. */
    char *old;
    if (osip_uri_to_str(m->req_uri, &old) != 0)
        return -1;
    char buf[1024];
    snprintf(buf, sizeof buf, "<%s>", old);
    osip_free(old);
    if (ruri_set(m, r->url) != 0)
        return -1;
    routes_remove(m, 0);
    return list_insert(m, &m->routes, buf, -1) == 0 ? 1 : -1;
}

int route_record(osip_message_t *m, enum sip_proto proto, const char *host, int port)
{
    char buf[256];
    snprintf(buf, sizeof buf, "<sip:%s:%d%s;lr>", host, port, proto == PROTO_TCP ? ";transport=tcp" : "");
    return list_insert(m, &m->record_routes, buf, 0);
}
