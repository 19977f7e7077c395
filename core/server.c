/* Start-up, reload and shutdown around the one libevent loop. */
#include "server.h"
#include "loop.h"
#include <lunasip/coro.h>
#include <lunasip/lua.h>
#include "http/http.h"
#include "log.h"
#include "notify.h"
#include "paths.h"
#include "lua/script.h"
#include "transport/tls.h"
#include "transport/ws.h"
#include <lunasip/transport.h>
#include "unit.h"
#include <event2/event.h>
#include <lunasip/msg.h>
#include "sip/hook.h"
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct event_base *base;
static struct server_options opts;
static const char *script_path; /* resolved: -f, ./lunasip.lua, or NULL for the embedded default */

const char *server_script_path(void) { return script_path; }

static const char *unit_dir(void)
{
    if (opts.unit_dir)
        return opts.unit_dir;
    return paths_unit_dir();
}

/* The one list of Lua bindings (core/lua/script.h): adding one touches its file and this line. */
static const script_open_fn bindings[] = {
    lmsg_open, lsip_open, http_req_lua_open, http_client_lua_open, unit_open_lua, NULL,
};

static void resolve_script(const struct server_options *o)
{
    script_set_openers(bindings);
    sip_route_init();
    opts = *o;
    unit_set_dir(unit_dir());
    script_path = o->script ? o->script : access("lunasip.lua", F_OK) == 0 ? "lunasip.lua" : NULL;
}

/* Raise the soft limit on open files to the hard one; returns the descriptors HTTP and SIP TCP
 * connections may share (the rest is kept for listeners, DNS, files and units). */
static long fd_budget(void)
{
    static long budget;
    struct rlimit rl;
    if (budget)
        return budget;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        if (rl.rlim_cur < rl.rlim_max) {
            rlim_t want = rl.rlim_max == RLIM_INFINITY ? 1048576 : rl.rlim_max;
            rl.rlim_cur = want;
            if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
                getrlimit(RLIMIT_NOFILE, &rl);
        }
        budget = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 1048576 ? 1048576 : (long)rl.rlim_cur;
    } else {
        budget = 1024;
    }
    budget = budget > 128 ? budget - 64 : budget / 2;
    return budget;
}

static void apply_settings(const struct script *s)
{
    log_set_level((s->log_level >= 0 ? s->log_level : LS_LOG_INFO) + opts.log_delta);
    log_configure(&s->log);
    char err[512];
    if (resolve_configure(&s->dns, err, sizeof err) != 0) /* checked when the script loaded */
        log_error("%s", err);
    if (s->tcp_idle_timeout > 0)
        transport_set_tcp_idle_timeout((int)(s->tcp_idle_timeout * 1000));
    http_configure(s->http_token, s->http_max_body); /* config.http.listen changes need a restart */
    ws_configure((size_t)s->ws_max_frame, (const char *const *)s->ws_origins, (size_t)s->nws_origins);
    if (s->tls.set) {
        struct tls_settings ts;
        script_tls_settings(&s->tls, &ts);
        if (tls_configure(&ts, err, sizeof err) != 0)
            log_error("config.tls: %s (TLS contexts unchanged)", err);
    }
    http_limits = s->http_limits;
    coro_budget_ms = s->route_ms;
    long budget = fd_budget(), tcp_max = s->tcp_max_connections;
    if (http_limits.max_connections + tcp_max > budget) {
        if (http_limits.max_connections > budget / 4)
            http_limits.max_connections = (int)(budget / 4);
        tcp_max = budget - http_limits.max_connections;
        log_warn("only %ld file descriptors for connections (ulimit -n): config.http.max_connections "
                 "lowered to %d, config.tcp.max_connections to %ld", budget, http_limits.max_connections, tcp_max);
    }
    transport_set_tcp_limits((int)tcp_max, (size_t)s->tcp_max_output, (size_t)s->tcp_max_output_total);
}

static void run_on_start(struct script *s)
{
    struct coro *c = coro_new(s, CORO_START, NULL);
    if (script_route(coro_L(c), "on_start"))
        coro_resume(c, NULL, 0);
    else
        coro_cancel(c);
}

int server_check(const struct server_options *o)
{
    char err[1024];
    resolve_script(o);
    sipmsg_init();
    struct script *s = script_load(script_path, err, sizeof err);
    if (s && unit_load_all(s, err, sizeof err) != 0) {
        script_unref(s);
        s = NULL;
    }
    unit_unload_all();
    if (!s) {
        printf("%s: %s\n", script_path ? script_path : "default.lua", err);
        return 1;
    }
    script_lint(s, stderr);
    script_unref(s);
    printf("OK\n");
    return 0;
}

static int same_strings(char **a, int na, char **b, int nb)
{
    if (na != nb)
        return 0;
    for (int i = 0; i < na; i++) {
        int found = 0;
        for (int j = 0; j < nb && !found; j++)
            found = !strcmp(a[i], b[j]);
        if (!found)
            return 0;
    }
    return 1;
}

/* What a reload from old to s would change that only a restart applies, or NULL. */
static const char *restart_needed(const struct script *old, const struct script *s)
{
    if (!old)
        return NULL;
    if (!same_strings(old->units, old->nunits, s->units, s->nunits))
        return "config.units";
    if (!opts.nlisten && !same_strings(old->listen, old->nlisten, s->listen, s->nlisten))
        return "config.listen";
    if ((old->http_listen || s->http_listen) &&
        (!old->http_listen || !s->http_listen || strcmp(old->http_listen, s->http_listen)))
        return "config.http.listen";
    return NULL;
}

int server_reload(char *err, size_t errlen)
{
    notify_reloading();
    struct script *s = script_load(script_path, err, errlen);
    if (!s) {
        log_error("reload failed, the old script stays: %s", err);
        notify_send("READY=1");
        return -1;
    }
    const char *why = restart_needed(script_current, s);
    if (why) {
        snprintf(err, errlen, "%s changed: that needs a restart (the old script stays)", why);
        log_error("reload refused: %s", err);
        script_unref(s);
        notify_send("READY=1");
        return -1;
    }
    apply_settings(s);
    script_activate(s);
    unit_reload_all();
    log_info("script %s reloaded", script_path ? script_path : "default.lua");
    run_on_start(s);
    notify_send("READY=1");
    return 0;
}

/* GET /api/units: the loaded units. */
static int api_units(const struct ls_http_request *req, json_t **reply, void *arg)
{
    json_t *list = json_array();
    const char *name;
    for (int i = 0; (name = unit_name(i)) != NULL; i++)
        json_array_append_new(list, json_pack("{s:s}", "name", name));
    *reply = json_pack("{s:o}", "units", list);
    return 200;
}

/* POST /api/reload: the HTTP server calls the reload through this route, not server_reload. */
static int api_reload(const struct ls_http_request *req, json_t **reply, void *arg)
{
    char err[1024];
    if (server_reload(err, sizeof err) != 0)
        return ls_http_error(reply, 400, "reload failed, the old script stays: %s", err);
    *reply = json_pack("{s:s, s:s}", "status", "reloaded", "script", script_path ? script_path : "default.lua");
    return 200;
}

/* ---- stopping: SIGTERM/SIGINT take no new work and let what is in flight finish for up to
 * config.shutdown_grace; a second signal stops at once. ---- */

static struct event *drain_ev;
static struct timespec drain_deadline;

static unsigned long in_flight(void)
{
    return unit_in_flight() + http_routes_running;
}

static void drain_check(evutil_socket_t fd, short what, void *arg)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    unsigned long n = in_flight();
    int late = now.tv_sec > drain_deadline.tv_sec ||
               (now.tv_sec == drain_deadline.tv_sec && now.tv_nsec >= drain_deadline.tv_nsec);
    if (n && !late)
        return;
    if (n)
        log_warn("shutdown grace (config.shutdown_grace) over: %lu transactions and HTTP routes cut short", n);
    event_base_loopbreak(base);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    if (sig == SIGHUP) {
        char err[1024];
        server_reload(err, sizeof err);
        return;
    }
    int grace = script_current ? script_current->shutdown_grace_ms : 0;
    if (drain_ev || grace <= 0 || in_flight() == 0) {
        log_info("signal %d: stopping%s", (int)sig, drain_ev ? " now" : "");
        notify_send("STOPPING=1");
        event_base_loopbreak(base);
        return;
    }
    log_info("signal %d: stopping; %lu transactions and HTTP routes in flight get up to %d ms "
             "(a second signal stops at once)", (int)sig, in_flight(), grace);
    notify_send("STOPPING=1");
    sip_draining = 1;
    http_drain();
    clock_gettime(CLOCK_MONOTONIC, &drain_deadline);
    drain_deadline.tv_sec += grace / 1000;
    drain_deadline.tv_nsec += (long)(grace % 1000) * 1000000;
    if (drain_deadline.tv_nsec >= 1000000000) {
        drain_deadline.tv_sec++;
        drain_deadline.tv_nsec -= 1000000000;
    }
    struct timeval tick = { 0, 50000 };
    drain_ev = event_new(base, -1, EV_PERSIST, drain_check, NULL);
    event_add(drain_ev, &tick);
}

int server_run(const struct server_options *o)
{
    static const char *default_listen[] = { "udp:127.0.0.1:5060", "tcp:127.0.0.1:5060" };
    char err[1024];
    int status = 1;
    resolve_script(o);
    sipmsg_init();
    signal(SIGPIPE, SIG_IGN);
    base = event_base_new();
    loop_set_base(base);
    struct script *s = script_load(script_path, err, sizeof err);
    if (!s) {
        log_error("cannot load %s: %s", script_path ? script_path : "default.lua", err);
        event_base_free(base);
        loop_set_base(NULL);
        return 1;
    }
    apply_settings(s);
    struct event *sigs[3] = { NULL, NULL, NULL };
    /* Listeners first: units may look them up in their init (a dispatcher list's socket=). */
    const char **listen = opts.nlisten ? opts.listen : s->nlisten ? (const char **)s->listen : default_listen;
    int nlisten = opts.nlisten ? opts.nlisten : s->nlisten ? s->nlisten : 2;
    for (int i = 0; i < nlisten; i++) {
        if (transport_listen(base, listen[i], err, sizeof err) != 0) {
            log_error("cannot listen: %s", err);
            goto out;
        }
    }
    if (unit_load_all(s, err, sizeof err) != 0) {
        log_error("%s", err);
        goto out;
    }
    /* The units are known from config.units only once the script ran: load it again, so its
     * main chunk sees them (`local relay = tm.relay`), as it does on every reload. */
    struct script *again = script_load(script_path, err, sizeof err);
    if (!again) {
        log_error("cannot load %s: %s", script_path ? script_path : "default.lua", err);
        goto out;
    }
    script_unref(s);
    s = again;
    if (s->http_listen && s->http_tls.set) { /* config.http.tls: read at start only, like listen */
        struct tls_settings ts;
        script_tls_settings(&s->http_tls, &ts);
        ts.verify = 0; /* HTTPS clients are not asked for certificates */
        SSL_CTX *ctx = tls_ctx_new(1, &ts, err, sizeof err);
        if (!ctx) {
            log_error("config.http.tls: %s", err);
            goto out;
        }
        http_set_tls(ctx);
    }
    if (s->http_listen) {
        if (http_start(base, s->http_listen, err, sizeof err) != 0) {
            log_error("cannot listen: %s", err);
            goto out;
        }
        http_route_builtin("GET", "/api/units", api_units, NULL);
        http_route_builtin("POST", "/api/reload", api_reload, NULL);
    }
    if (unit_start_all(err, sizeof err) != 0) {
        log_error("%s", err);
        goto out;
    }
    script_activate(s);
    s = NULL;
    int signums[3] = { SIGHUP, SIGTERM, SIGINT };
    for (int i = 0; i < 3; i++) {
        sigs[i] = evsignal_new(base, signums[i], on_signal, NULL);
        event_add(sigs[i], NULL);
    }
    run_on_start(script_current);
    log_info("ready");
    notify_send("READY=1");
    event_base_dispatch(base);
    status = 0;
out:
    /* The reverse of the start: routes, then the units' pending work (name lookups whose
     * callbacks are in a unit), the script, the units, and the transports last. */
    if (drain_ev)
        event_free(drain_ev);
    drain_ev = NULL;
    http_stop(); /* cancels the routes of pending HTTP requests, so before coro_cancel_all */
    script_activate(NULL); /* its timers stop; its state closes with its last coroutine */
    coro_cancel_all();
    transport_cancel_pending();
    coro_cancel_all(); /* any the failed lookups started */
    if (s)
        script_unref(s);
    unit_unload_all(); /* the units drop their references to the script: its state closes */
    transport_shutdown();
    for (int i = 0; i < 3; i++)
        if (sigs[i])
            event_free(sigs[i]);
    event_base_free(base);
    loop_set_base(NULL);
    return status;
}
