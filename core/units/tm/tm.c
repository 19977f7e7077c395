/* The tm unit: parameters, hooks into the core, the typed API (include/lunasip/tm.h) and the
 * Lua functions tm.relay, tm.reply, tm.request and tm.stats. Main loop only. */
#include "tm_int.h"
#include <lauxlib.h>
#include <lunasip/lua.h>
#include <lunasip/proxy.h>
#include <event2/buffer.h>
#include <lunasip/http.h>
#include <lunasip/unit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tm_config tm_cfg;

/* ---- hooks ---- */

/* A request route may wait while its transaction exists (retransmissions are absorbed). */
static const char *can_wait(struct coro *c)
{
    struct sip_msg *msg = coro_msg(c);
    if (msg && (msg->tx || (sipmsg_is_request(msg) && sipmsg_method_is(msg, "ACK"))))
        return NULL;
    return "its transaction has ended";
}

/* msg:reply() of a request with a transaction goes through it. */
static int local_reply(struct sip_msg *req, int code, const char *buf, size_t len)
{
    if (!req->tx)
        return LS_HOOK_NEXT;
    return tm_tx_reply_bytes(req->tx, code, buf, len) == 0 ? LS_HOOK_DONE : LS_HOOK_FAILED;
}

static int request_in(struct sip_msg *msg) { return tm_request_hook(msg) ? LS_HOOK_DONE : LS_HOOK_NEXT; }
static int reply_in(struct sip_msg *msg) { return tm_reply_hook(msg) ? LS_HOOK_DONE : LS_HOOK_NEXT; }

/* A request route with a transaction ended: the transaction decides what happens. */
static int route_end(struct sip_msg *msg, int failed)
{
    if (!msg->tx)
        return LS_HOOK_NEXT;
    tm_route_done(msg, failed);
    return LS_HOOK_DONE;
}

static void metrics(struct evbuffer *out, void *arg)
{
    ls_metrics_value(out, "lunasip_transactions_active", "gauge", "SIP transactions alive (tm).", tm_active);
    ls_metrics_value(out, "lunasip_transactions_created_total", "counter", "SIP transactions created since start (tm).",
                     tm_created);
    ls_metrics_value(out, "lunasip_transactions_refused_total", "counter",
                     "SIP requests answered 503 over the tm max_transactions cap.", tm_refused);
}

/* ---- typed API ---- */

static int api_reply(struct sip_msg *msg, int code, const char *reason)
{
    struct tm_tx *tx = tm_tx_get(msg);
    if (!tx)
        return -1;
    if (code >= 200)
        msg->replied = 1;
    return tm_tx_reply(tx, code, reason);
}

static int relay_checks(struct tm_tx *tx, char *err, size_t errlen)
{
    const char *why = !tx ? "the request has no transaction (it was answered or released)"
                    : tx->status >= 200 ? "the request already has a final reply"
                    : tx->canceled ? "the request was cancelled"
                    : tm_branches_pending(tx) ? "a relay of this request is still pending" : NULL;
    if (why)
        snprintf(err, errlen, "%s", why);
    return why ? -1 : 0;
}

static int api_relay(struct sip_msg *msg, const char *uri, char *err, size_t errlen)
{
    if (sipmsg_is_request(msg) && sipmsg_method_is(msg, "ACK"))
        return proxy_forward(msg, uri, err, errlen);
    struct tm_tx *tx = msg->tx ? msg->tx : msg->replied ? NULL : tm_tx_get(msg);
    if (relay_checks(tx, err, errlen) != 0)
        return -1;
    return tm_relay(tx, uri, 0, err, errlen);
}

static int api_suspend(struct sip_msg *msg)
{
    if (!msg->tx)
        return -1;
    ((struct tm_tx *)msg->tx)->suspended++;
    return 0;
}

static void api_resume(struct sip_msg *msg)
{
    struct tm_tx *tx = msg->tx;
    if (!tx || tx->suspended <= 0 || --tx->suspended)
        return;
    if (tx->status < 200 && !tx->nbranches)
        tm_tx_release(tx);
}

static unsigned long api_active(void) { return tm_active; }
static unsigned long api_created(void) { return tm_created; }

static const struct tm_api api = {
    .tx_get = tm_tx_get,
    .tx_lookup = tm_tx_lookup,
    .reply = api_reply,
    .relay = api_relay,
    .request = tm_request,
    .request_cancel = tm_request_cancel,
    .suspend = api_suspend,
    .resume = api_resume,
    .active = api_active,
    .created = api_created,
};

/* ---- Lua ---- */

/* tm.relay(msg [, {on_failure=, on_reply=, timeout=}]) -> true | nil, err */
static int l_relay(lua_State *L)
{
    struct sip_msg *msg = lmsg_check(L, 1);
    if (!sipmsg_is_request(msg))
        return luaL_error(L, "tm.relay needs a request");
    long timeout = 0;
    int opts = !lua_isnoneornil(L, 2);
    if (opts) {
        luaL_checktype(L, 2, LUA_TTABLE);
        static const char *fns[] = { "on_failure", "on_reply" };
        for (int i = 0; i < 2; i++) {
            int t = lua_getfield(L, 2, fns[i]);
            if (t != LUA_TNIL && t != LUA_TFUNCTION)
                return luaL_error(L, "tm.relay: opts.%s must be a function", fns[i]);
            lua_pop(L, 1);
        }
        if (lua_getfield(L, 2, "timeout") != LUA_TNIL) {
            if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) <= 0)
                return luaL_error(L, "tm.relay: opts.timeout must be a positive number of ms");
            timeout = (long)lua_tointeger(L, -1);
        }
        lua_pop(L, 1);
    }
    const char *auth_user = NULL, *auth_password = NULL;
    int q_groups = 0;
    if (opts) {
        tm_lua_auth_opt(L, 2, "tm.relay", &auth_user, &auth_password);
        q_groups = lua_getfield(L, 2, "q_groups") != LUA_TNIL && lua_toboolean(L, -1);
        lua_pop(L, 1);
    }
    char err[256];
    int rc;
    if (sipmsg_method_is(msg, "ACK")) {
        rc = proxy_forward(msg, NULL, err, sizeof err); /* ACK for a 2xx: end to end, statelessly */
    } else {
        struct tm_tx *tx = msg->tx;
        struct coro *c = coro_of(L);
        rc = relay_checks(tx, err, sizeof err);
        if (rc == 0 && auth_user)
            rc = tm_auth_set(tx->req, auth_user, auth_password, timeout, err, sizeof err);
        else if (rc == 0)
            sipmsg_slot_set(tx->req, "tm_auth", NULL, NULL); /* opts apply to this relay only */
        if (rc == 0) {
            tm_tx_clear_lua(tx); /* opts apply to this relay only */
            if (opts && c) {
                lua_getfield(L, 2, "on_failure");
                int on_failure = lua_isfunction(L, -1) ? luaL_ref(L, LUA_REGISTRYINDEX) : (lua_pop(L, 1), LUA_NOREF);
                lua_getfield(L, 2, "on_reply");
                int on_reply = lua_isfunction(L, -1) ? luaL_ref(L, LUA_REGISTRYINDEX) : (lua_pop(L, 1), LUA_NOREF);
                if (on_failure != LUA_NOREF || on_reply != LUA_NOREF) {
                    lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_MAINTHREAD);
                    tx->Lmain = lua_tothread(L, -1);
                    lua_pop(L, 1);
                    tx->s = script_ref(coro_script(c));
                    tx->on_failure = on_failure;
                    tx->on_reply = on_reply;
                }
            }
            long *groups = q_groups ? malloc(sizeof *groups) : NULL;
            if (groups) {
                *groups = timeout;
                sipmsg_slot_set(tx->req, "tm_qgroups", groups, free);
            } else {
                sipmsg_slot_set(tx->req, "tm_qgroups", NULL, NULL);
            }
            rc = tm_relay(tx, NULL, timeout, err, sizeof err);
            if (rc != 0)
                tm_tx_clear_lua(tx);
        }
    }
    return lsip_push_result(L, rc == 0 ? NULL : err);
}

/* tm.reply(msg, code [, reason [, headers [, body]]]): msg:reply through the transaction. */
static int l_reply(lua_State *L)
{
    struct sip_msg *msg = lmsg_check(L, 1);
    if (!sipmsg_is_request(msg))
        return luaL_error(L, "tm.reply needs a request");
    if (!msg->tx)
        return luaL_error(L, "tm.reply: the request has no transaction (an ACK, or it was already answered)");
    int n = lua_gettop(L);
    lua_getfield(L, 1, "reply");
    lua_insert(L, 1);
    lua_call(L, n, 1);
    return 1;
}

static int l_stats(lua_State *L)
{
    lua_createtable(L, 0, 3);
    lua_pushinteger(L, (lua_Integer)tm_active);
    lua_setfield(L, -2, "active");
    lua_pushinteger(L, (lua_Integer)tm_created);
    lua_setfield(L, -2, "created");
    lua_pushinteger(L, (lua_Integer)tm_refused);
    lua_setfield(L, -2, "refused");
    return 1;
}

static const luaL_Reg lua_fns[] = {
    { "relay", l_relay }, { "reply", l_reply }, { "request", tm_lua_request }, { "stats", l_stats }, { NULL, NULL },
};

/* ---- unit ---- */


static int tm_init(lua_State *L, char *err, size_t errlen)
{
    static const struct { const char *name; long *v; long def; } params[] = {
        { "fr_timer", &tm_cfg.fr_timer, 30000 },
        { "fr_inv_timer", &tm_cfg.fr_inv_timer, 120000 },
        { "wait_timer", &tm_cfg.wait_timer, 5000 },
        { "max_transactions", &tm_cfg.max_transactions, 100000 },
    };
    const size_t np = sizeof params / sizeof params[0];
    for (size_t i = 0; i < np; i++)
        *params[i].v = params[i].def;
    if (!lua_isnil(L, -1) && !lua_istable(L, -1)) {
        snprintf(err, errlen, "parameters must be a table, e.g. { fr_timer = 30000 }");
        return -1;
    }
    if (lua_istable(L, -1)) {
        lua_pushnil(L);
        while (lua_next(L, -2)) {
            const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
            size_t i = 0;
            while (k && i < np && strcmp(params[i].name, k) != 0)
                i++;
            if (!k || i == np) {
                snprintf(err, errlen, "unknown parameter '%s' (known: fr_timer, fr_inv_timer, wait_timer, max_transactions)",
                         k ? k : "(not a name)");
                lua_pop(L, 2);
                return -1;
            }
            if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) <= 0 || lua_tointeger(L, -1) > 86400000) {
                snprintf(err, errlen, "parameter %s must be a positive whole number%s", k,
                         params[i].v == &tm_cfg.max_transactions ? "" : " of milliseconds");
                lua_pop(L, 2);
                return -1;
            }
            *params[i].v = (long)lua_tointeger(L, -1);
            lua_pop(L, 1);
        }
    }
    return 0;
}

static void tm_stop(void)
{
    unsigned long active = tm_active;
    tm_tx_release_all();
    if (tm_created)
        ls_log(LS_LOG_INFO, "tm", "stopped: %lu transactions created, %lu active at exit", tm_created, active);
}

static const struct ls_unit tm_unit = {
    .name = "tm",
    .init = tm_init,
    .stop = tm_stop,
    .lua = lua_fns,
    .api = &api,
    .on_request = request_in,
    .on_reply = reply_in,
    .on_route_end = route_end,
    .on_local_reply = local_reply,
    .wait_guard = can_wait,
    .metrics = metrics,
    .in_flight = tm_tx_pending,
};

LS_UNIT_EXPORT(tm_unit)
