/* Probing (OPTIONS through the tm API, one short timeout per probe), the HTTP API under
 * /api/dispatcher and the dispatcher's Prometheus metrics. Main loop only. */
#include "ds.h"
#include <event2/buffer.h>
#include <event2/event.h>
#include <lunasip/http.h>
#include <lunasip/unit.h>
#include <stdlib.h>
#include <sys/queue.h>
#include <string.h>
#include <time.h>

/* One probe under way. It names its destination by set and URI: a reload may replace the
 * destination before the answer comes. */
struct probe {
    LIST_ENTRY(probe) link;
    int set;
    char *uri;
    struct timespec sent;
};

static LIST_HEAD(, probe) probes = LIST_HEAD_INITIALIZER(probes);
static struct event *probe_ev;
static unsigned long probes_sent, probes_failed;

static void probe_free(struct probe *p)
{
    LIST_REMOVE(p, link);
    free(p->uri);
    free(p);
}

static void probe_result(struct ds_dest *d, int up, int status, const char *reason)
{
    if (!up) {
        probes_failed++;
        d->oks = 0;
        d->fails++;
        if (d->fails < ds_cfg.probing_threshold) {
            d->flags |= DS_TRYING;
            return;
        }
        if (!(d->flags & DS_INACTIVE))
            ls_log(LS_LOG_WARN, DS_UNIT, "%s is down after %d failed probe(s) (last: %d %s)", d->uri, d->fails,
                   status, reason ? reason : "");
        d->flags = (d->flags | DS_INACTIVE | DS_PROBING) & ~DS_TRYING;
        return;
    }
    d->fails = 0;
    d->flags &= ~DS_TRYING;
    if (!(d->flags & DS_INACTIVE))
        return;
    if (++d->oks >= ds_cfg.inactive_threshold) {
        d->flags &= ~DS_INACTIVE;
        d->oks = 0;
        ls_log(LS_LOG_INFO, DS_UNIT, "%s is up again (answered %d)", d->uri, status);
    }
}

static void probe_done(int status, const char *reason, struct sip_msg *reply, void *arg)
{
    struct probe *p = arg;
    struct ds_dest *d = ds_dest_find(ds_set_find(ds_current, p->set), p->uri);
    if (d) {
        d->probing = 0;
        int up = status > 0 && ds_codes_match(&ds_cfg.reply_codes, status);
        if (status > 0 && status != 408) {
            struct timespec now;
            clock_gettime(CLOCK_MONOTONIC, &now);
            d->latency_ms = (double)(now.tv_sec - p->sent.tv_sec) * 1e3 + (double)(now.tv_nsec - p->sent.tv_nsec) / 1e6;
        }
        probe_result(d, up, status, reason);
    } else if (!(status > 0 && ds_codes_match(&ds_cfg.reply_codes, status))) {
        probes_failed++;
    }
    probe_free(p);
}

static void probe_send(struct ds_set *s, struct ds_dest *d)
{
    struct tm_uac_req r = {
        .method = ds_cfg.ping_method,
        .uri = d->uri,
        .from = d->ping_from ? d->ping_from : ds_cfg.ping_from,
        .timeout_ms = ds_cfg.ping_timeout,
        .socket = d->socket,
    };
    struct probe *p = calloc(1, sizeof *p);
    p->set = s->id;
    p->uri = strdup(d->uri);
    clock_gettime(CLOCK_MONOTONIC, &p->sent);
    char err[256];
    probes_sent++;
    if (!ds_tm->request(&r, probe_done, p, err, sizeof err)) {
        ls_log(LS_LOG_DEBUG, DS_UNIT, "probe of %s not sent: %s", d->uri, err);
        free(p->uri);
        free(p);
        probes_failed++;
        probe_result(d, 0, 0, err);
        return;
    }
    LIST_INSERT_HEAD(&probes, p, link);
    d->probing = 1;
}

static void probe_round(evutil_socket_t fd, short what, void *arg)
{
    for (int i = 0; ds_current && i < ds_current->nsets; i++) {
        struct ds_set *s = &ds_current->sets[i];
        for (int j = 0; j < s->n; j++) {
            struct ds_dest *d = &s->d[j];
            if ((ds_cfg.probing_mode == 1 || (d->flags & DS_PROBING)) && !(d->flags & (DS_DISABLED | DS_NOPING)) &&
                !d->probing)
                probe_send(s, d);
        }
    }
}

int ds_probe_start(char *err, size_t errlen)
{
    if (!ds_tm || ds_cfg.ping_interval <= 0)
        return 0;
    probe_ev = event_new(server_base(), -1, EV_PERSIST, probe_round, NULL);
    struct timeval tv = { ds_cfg.ping_interval, 0 };
    if (!probe_ev || event_add(probe_ev, &tv) != 0) {
        snprintf(err, errlen, "cannot arm the probe timer");
        return -1;
    }
    /* first round at once: destinations are known to be up or down without waiting an interval */
    event_active(probe_ev, EV_TIMEOUT, 0);
    return 0;
}

void ds_probe_stop(void)
{
    if (probe_ev)
        event_free(probe_ev);
    probe_ev = NULL;
    /* At exit nothing runs the loop again, so tm never calls probe_done; tm may already be
     * stopped (its transactions freed), so the handles are not touched: just forget them. */
    while (!LIST_EMPTY(&probes))
        probe_free(LIST_FIRST(&probes));
}

/* ---- HTTP ---- */

json_t *ds_list_json(void)
{
    json_t *sets = json_array();
    for (int i = 0; ds_current && i < ds_current->nsets; i++) {
        struct ds_set *s = &ds_current->sets[i];
        json_t *dests = json_array();
        for (int j = 0; j < s->n; j++) {
            struct ds_dest *d = &s->d[j];
            char f[8];
            json_array_append_new(dests, json_pack("{s:s, s:s, s:i, s:O, s:o}", "uri", d->uri, "flags",
                                                   ds_flags_str(d->flags, f), "priority", d->priority, "attrs",
                                                   d->attrs, "latency_ms",
                                                   d->latency_ms >= 0 ? json_real(d->latency_ms) : json_null()));
        }
        json_array_append_new(sets, json_pack("{s:i, s:o}", "id", s->id, "destinations", dests));
    }
    return json_pack("{s:o}", "sets", sets);
}

static int http_list(const struct ls_http_request *req, json_t **reply, void *arg)
{
    if (strcmp(req->path, "/api/dispatcher") != 0)
        return ls_http_error(reply, 404, "no such path: %s", req->path);
    *reply = ds_list_json();
    return 200;
}

static int http_reload(const struct ls_http_request *req, json_t **reply, void *arg)
{
    char err[512];
    json_t *bad = json_array();
    if (ds_reload(bad, err, sizeof err) != 0) {
        ls_log(LS_LOG_ERROR, DS_UNIT, "reload failed, the old list stays: %s", err);
        int code = ls_http_error(reply, 400, "reload failed, the old list stays: %s", err);
        json_object_set_new(*reply, "bad_lines", bad);
        return code;
    }
    ls_log(LS_LOG_INFO, DS_UNIT, "list %s reloaded (%d sets, %zu lines skipped)", ds_cfg.list, ds_current->nsets,
           json_array_size(bad));
    *reply = json_pack("{s:s, s:i, s:o}", "status", "ok", "sets", ds_current->nsets, "bad_lines", bad);
    return 200;
}

static int http_state(const struct ls_http_request *req, json_t **reply, void *arg)
{
    const json_t *b = req->body;
    json_t *jset = json_object_get(b, "set"), *juri = json_object_get(b, "uri"), *jst = json_object_get(b, "state");
    if (!json_is_object(b) || !json_is_integer(jset) || !json_is_string(juri) ||
        !(json_is_string(jst) || json_is_integer(jst)))
        return ls_http_error(reply, 400, "expected a JSON body {\"set\": 1, \"uri\": \"sip:...\", \"state\": \"A\"}");
    int flags;
    char num[32];
    snprintf(num, sizeof num, "%lld", json_is_integer(jst) ? (long long)json_integer_value(jst) : 0LL);
    if (ds_flags_parse(json_is_string(jst) ? json_string_value(jst) : num, &flags) != 0)
        return ls_http_error(reply, 400, "bad state (0-15, or letters A I D T P)");
    struct ds_set *s = ds_set_find(ds_current, (int)json_integer_value(jset));
    if (!s)
        return ls_http_error(reply, 404, "no set %lld", (long long)json_integer_value(jset));
    struct ds_dest *d = ds_dest_find(s, json_string_value(juri));
    if (!d)
        return ls_http_error(reply, 404, "no destination %s in set %d", json_string_value(juri), s->id);
    char err[256], f[8];
    if (ds_set_flags(d, flags, err, sizeof err) != 0)
        return ls_http_error(reply, 409, "%s", err);
    ls_log(LS_LOG_INFO, DS_UNIT, "set %d %s: state %s (HTTP)", s->id, d->uri, ds_flags_str(d->flags, f));
    *reply = json_pack("{s:i, s:s, s:s}", "set", s->id, "uri", d->uri, "flags", f);
    return 200;
}

/* ---- metrics ---- */

static void label_escape(char *out, size_t len, const char *s)
{
    size_t o = 0;
    for (; *s && o + 3 < len; s++) {
        if (*s == '"' || *s == '\\')
            out[o++] = '\\';
        out[o++] = *s == '\n' ? ' ' : *s;
    }
    out[o] = '\0';
}

void ds_metrics_write(struct evbuffer *out, void *arg)
{
    ls_metrics_family(out, "lunasip_dispatcher_destination_up", "gauge",
                      "Whether a dispatcher destination can be selected (1) or is inactive or disabled (0)");
    for (int i = 0; ds_current && i < ds_current->nsets; i++)
        for (int j = 0; j < ds_current->sets[i].n; j++) {
            struct ds_dest *d = &ds_current->sets[i].d[j];
            char uri[1024];
            label_escape(uri, sizeof uri, d->uri);
            evbuffer_add_printf(out, "lunasip_dispatcher_destination_up{set=\"%d\",uri=\"%s\"} %d\n",
                                ds_current->sets[i].id, uri, ds_dest_usable(d) ? 1 : 0);
        }
    ls_metrics_family(out, "lunasip_dispatcher_probe_latency_seconds", "gauge",
                      "Round trip of the last answered probe (OPTIONS) of a dispatcher destination");
    for (int i = 0; ds_current && i < ds_current->nsets; i++)
        for (int j = 0; j < ds_current->sets[i].n; j++) {
            struct ds_dest *d = &ds_current->sets[i].d[j];
            char uri[1024];
            if (d->latency_ms < 0)
                continue;
            label_escape(uri, sizeof uri, d->uri);
            evbuffer_add_printf(out, "lunasip_dispatcher_probe_latency_seconds{set=\"%d\",uri=\"%s\"} %.6f\n",
                                ds_current->sets[i].id, uri, d->latency_ms / 1e3);
        }
    ls_metrics_family(out, "lunasip_dispatcher_probes_total", "counter", "Probes (OPTIONS) sent to destinations");
    evbuffer_add_printf(out, "lunasip_dispatcher_probes_total %lu\n", probes_sent);
    ls_metrics_family(out, "lunasip_dispatcher_probes_failed_total", "counter",
                      "Probes that failed (timeout, unaccepted reply, not sent)");
    evbuffer_add_printf(out, "lunasip_dispatcher_probes_failed_total %lu\n", probes_failed);
}

const struct ls_unit_route ds_http_routes[] = {
    { "GET", "/api/dispatcher", http_list, NULL },
    { "POST", "/api/dispatcher/reload", http_reload, NULL },
    { "POST", "/api/dispatcher/state", http_state, NULL },
    { NULL, NULL, NULL, NULL },
};
