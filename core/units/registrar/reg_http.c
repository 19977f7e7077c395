/* The registrar's HTTP API (/api/registrar), its Prometheus metrics and the NAT keepalive
 * (OPTIONS through tm to bindings behind NAT over UDP, CRLF on TCP). Main loop only. */
#include "reg.h"
#include <event2/buffer.h>
#include <event2/event.h>
#include <lunasip/http.h>
#include <lunasip/log.h>
#include <lunasip/unit.h>
#include <sys/queue.h>
#include <stdlib.h>
#include <string.h>

/* ---- HTTP ---- */

static json_t *binding_json(const struct reg_binding *b, uint64_t now)
{
    json_t *o = json_pack("{s:s, s:I, s:s, s:b, s:s, s:I}", "contact", b->contact, "expires",
                          (json_int_t)(b->expires_ms > now ? (b->expires_ms - now + 500) / 1000 : 0), "received",
                          b->received, "natted", (int)b->natted, "call_id", b->call_id, "cseq", (json_int_t)b->cseq);
    json_object_set_new(o, "q", b->q >= 0 ? json_real(b->q / 1000.0) : json_null());
    json_object_set_new(o, "path", b->path ? json_string(b->path) : json_null());
    json_object_set_new(o, "instance", b->instance ? json_string(b->instance) : json_null());
    json_object_set_new(o, "reg_id", b->reg_id ? json_integer(b->reg_id) : json_null());
    json_object_set_new(o, "user_agent", b->user_agent ? json_string(b->user_agent) : json_null());
    return o;
}

static void aor_json(struct reg_aor *a, void *arg)
{
    json_t *list = json_array();
    uint64_t now = reg_now_ms();
    for (const struct reg_binding *b = a->bindings; b; b = b->next)
        if (b->expires_ms > now)
            json_array_append_new(list, binding_json(b, now));
    if (json_array_size(list))
        json_array_append_new(arg, json_pack("{s:s, s:o}", "aor", a->aor, "bindings", list));
    else
        json_decref(list);
}

static int http_list(const struct ls_http_request *req, json_t **reply, void *arg)
{
    if (strcmp(req->path, "/api/registrar") != 0)
        return ls_http_error(reply, 404, "no such path: %s (GET /api/registrar lists every AOR)", req->path);
    json_t *aors = json_array();
    reg_foreach(aor_json, aors);
    *reply = json_pack("{s:o}", "aors", aors);
    return 200;
}

static int http_delete(const struct ls_http_request *req, json_t **reply, void *arg)
{
    const char *p = req->path + strlen("/api/registrar");
    if (*p != '/' || !p[1])
        return ls_http_error(reply, 400, "name the AOR: DELETE /api/registrar/<aor>");
    char aor[256];
    if (reg_aor_from_uri(p + 1, aor, sizeof aor) != 0)
        return ls_http_error(reply, 400, "bad AOR '%s'", p + 1);
    int n = reg_remove(aor, NULL);
    if (!n)
        return ls_http_error(reply, 404, "no bindings for %s", aor);
    ls_log(LS_LOG_INFO, REG_UNIT, "%s: %d binding(s) removed (HTTP)", aor, n);
    *reply = json_pack("{s:s, s:i}", "aor", aor, "removed", n);
    return 200;
}

/* ---- NAT keepalive ---- */

/* One keepalive under way; it names its binding by AOR and Contact, which may be gone when the
 * answer comes. */
struct ping {
    LIST_ENTRY(ping) link;   /* in pings */
    char *aor, *contact;
    struct tm_uac *h;
};

static LIST_HEAD(, ping) pings = LIST_HEAD_INITIALIZER(pings);
static struct event *ping_ev;
static unsigned long pings_sent, pings_failed;

static void ping_free(struct ping *p)
{
    LIST_REMOVE(p, link);
    free(p->aor);
    free(p->contact);
    free(p);
}

static struct reg_binding *binding_find(struct reg_aor *a, const char *contact)
{
    for (struct reg_binding *b = a ? a->bindings : NULL; b; b = b->next)
        if (!strcmp(b->contact, contact))
            return b;
    return NULL;
}

static void ping_done(int status, const char *reason, struct sip_msg *reply, void *arg)
{
    struct ping *p = arg;
    struct reg_aor *a = reg_aor_find(p->aor);
    struct reg_binding *b = binding_find(a, p->contact);
    int alive = status > 0 && !(status == 408 && !reply); /* any answer from the phone counts */
    if (!alive)
        pings_failed++;
    if (b) {
        b->pinging = 0;
        if (alive) {
            b->ping_failures = 0;
        } else if (++b->ping_failures >= reg_cfg.nat_ping_failures) {
            ls_log(LS_LOG_INFO, REG_UNIT, "%s: binding %s removed: %d keepalives unanswered", p->aor, b->contact,
                   b->ping_failures);
            reg_unlink(a, b);
            reg_binding_free(b);
            reg_aor_drop_if_empty(a);
        }
    }
    ping_free(p);
}

static void ping_aor(struct reg_aor *a, void *arg)
{
    for (struct reg_binding *b = a->bindings; b; b = b->next) {
        if (!b->natted || b->pinging)
            continue;
        pings_sent++;
        if (b->src.proto == PROTO_TCP || b->src.proto == PROTO_TLS) { /* RFC 5626 §4.4.1: CRLF keepalive */
            if (transport_send(&b->src, b->conn_id, "\r\n\r\n", 4) != 0)
                pings_failed++;
            continue;
        }
        struct ping *p = calloc(1, sizeof *p);
        if (!p || !(p->aor = strdup(a->aor)) || !(p->contact = strdup(b->contact))) {
            if (p)
                free(p->aor);
            free(p);
            continue;
        }
        long t = reg_cfg.nat_ping_interval * 500;
        struct tm_uac_req r = { .method = "OPTIONS", .uri = b->contact, .dst = b->received,
                                .timeout_ms = t > 5000 ? 5000 : t };
        char err[256];
        LIST_INSERT_HEAD(&pings, p, link);
        b->pinging = 1;
        if (!(p->h = reg_tm->request(&r, ping_done, p, err, sizeof err))) {
            ls_log(LS_LOG_DEBUG, REG_UNIT, "keepalive to %s not sent: %s", b->contact, err);
            b->pinging = 0;
            pings_failed++;
            ping_free(p);
        }
    }
}

static void ping_round(evutil_socket_t fd, short what, void *arg)
{
    reg_foreach(ping_aor, NULL);
}

void reg_ping_start(void)
{
    if (reg_cfg.nat_ping_interval <= 0 || !reg_tm)
        return;
    ping_ev = event_new(server_base(), -1, EV_PERSIST, ping_round, NULL);
    struct timeval tv = { reg_cfg.nat_ping_interval, 0 };
    if (ping_ev)
        event_add(ping_ev, &tv);
}

void reg_ping_stop(void)
{
    if (ping_ev)
        event_free(ping_ev);
    ping_ev = NULL;
    /* at exit tm may already have freed its requests: forget the handles, never touch them */
    while (!LIST_EMPTY(&pings))
        ping_free(LIST_FIRST(&pings));
}

/* ---- metrics ---- */

static void metrics_write(struct evbuffer *out, void *arg)
{
    ls_metrics_value(out, "lunasip_registrar_aors", "gauge", "Addresses of record with at least one binding", reg_naors);
    ls_metrics_value(out, "lunasip_registrar_bindings", "gauge", "Registered contacts (bindings)", reg_nbindings);
    ls_metrics_family(out, "lunasip_registrar_registrations_total", "counter",
                      "REGISTER requests processed by registrar.save, by outcome");
    evbuffer_add_printf(out, "lunasip_registrar_registrations_total{result=\"accepted\"} %lu\n", reg_accepted);
    evbuffer_add_printf(out, "lunasip_registrar_registrations_total{result=\"refused\"} %lu\n", reg_refused);
    ls_metrics_value(out, "lunasip_registrar_nat_pings_total", "counter", "NAT keepalives sent to bindings", pings_sent);
    ls_metrics_value(out, "lunasip_registrar_nat_pings_failed_total", "counter", "NAT keepalives unanswered or not sent",
                     pings_failed);
}

int reg_http_start(char *err, size_t errlen)
{
    if (ls_http_route("GET", "/api/registrar", http_list, NULL) != 0 ||
        ls_http_route("DELETE", "/api/registrar", http_delete, NULL) != 0) {
        snprintf(err, errlen, "cannot register the /api/registrar routes");
        return -1;
    }
    ls_metrics_source(metrics_write, NULL);
    return 0;
}

void reg_http_stop(void)
{
    ls_http_route_remove(http_list, NULL);
    ls_http_route_remove(http_delete, NULL);
    ls_metrics_source_remove(metrics_write, NULL);
}
