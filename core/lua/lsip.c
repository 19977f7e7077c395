/* The `sip` table: coroutines, timers, logging, introspection. */
#include <lunasip/coro.h>
#include "log.h"
#include <lunasip/lua.h>
#include <lunasip/proxy.h>
#include "lua/script.h"
#include "stats.h"
#include <lauxlib.h>
#include <string.h>

int lsip_push_result(lua_State *L, const char *err)
{
    if (!err) {
        lua_pushboolean(L, 1);
        return 1;
    }
    lua_pushnil(L);
    lua_pushstring(L, err);
    return 2;
}

/* sip.sleep(ms): suspend this route. */
static int sip_sleep(lua_State *L)
{
    return coro_sleep(L, luaL_checkinteger(L, 1));
}

/* sip.spawn(fn, ...): run fn(...) in a detached coroutine now; it may sleep. */
static int sip_spawn(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TFUNCTION);
    int n = lua_gettop(L);
    struct coro *c = coro_new(script_of(L), CORO_SPAWN, NULL);
    lua_xmove(L, coro_L(c), n);
    coro_resume(c, L, n - 1);
    return 0;
}

/* Timers run in the script that created them; handles are {id} tables with :cancel(). */
static int timer_cancel(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_getfield(L, 1, "id");
    lua_pushboolean(L, script_timer_stop(script_of(L), (unsigned long)lua_tointeger(L, -1)));
    return 1;
}

static int timer_start(lua_State *L, int repeat)
{
    lua_Integer ms = luaL_checkinteger(L, 1);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    luaL_argcheck(L, ms >= (repeat ? 1 : 0), 1, repeat ? "interval must be at least 1 ms" : "delay must not be negative");
    lua_pushvalue(L, 2);
    unsigned long id = script_timer_add(script_of(L), luaL_ref(L, LUA_REGISTRYINDEX), (long)ms, repeat);
    lua_createtable(L, 0, 2);
    lua_pushinteger(L, (lua_Integer)id);
    lua_setfield(L, -2, "id");
    lua_pushcfunction(L, timer_cancel);
    lua_setfield(L, -2, "cancel");
    return 1;
}

static int sip_after(lua_State *L) { return timer_start(L, 0); }
static int sip_every(lua_State *L) { return timer_start(L, 1); }

/* sip.log(level, ...): the arguments concatenated (tostring), logged as [lua]. */
static int sip_log(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    int level = log_level_from_name(name);
    if (level < 0)
        return luaL_error(L, "sip.log: unknown level '%s' (error, warn, info, debug)", name);
    if (!ls_log_enabled(level))
        return 0;
    int n = lua_gettop(L); /* before luaL_buffinit, which may push a placeholder */
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 2; i <= n; i++) {
        luaL_tolstring(L, i, NULL);
        luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
    ls_log(level, "lua", "%s", lua_tostring(L, -1));
    return 0;
}

static int sip_stats(lua_State *L)
{
    lua_newtable(L);
    for (int i = 0; i < STAT__COUNT; i++) {
        lua_pushinteger(L, (lua_Integer)stats[i]);
        lua_setfield(L, -2, stats_name((enum stat_id)i));
    }
    lua_newtable(L);
    for (int i = 0; i < SM__COUNT; i++) {
        lua_pushinteger(L, (lua_Integer)stats_requests[i]);
        lua_setfield(L, -2, stats_method_name((enum stat_method)i));
    }
    lua_setfield(L, -2, "requests");
    lua_newtable(L);
    for (int i = 1; i <= 6; i++) {
        lua_pushinteger(L, (lua_Integer)stats_replies[i]);
        lua_rawseti(L, -2, i);
    }
    lua_setfield(L, -2, "replies");
    lua_pushinteger(L, coro_count());
    lua_setfield(L, -2, "coroutines");
    return 1;
}

/* sip.is_myself(uri): true when the URI's host:port is one of our listeners (Kamailio's is_myself). */
static int sip_is_myself(lua_State *L)
{
    const char *uri = luaL_checkstring(L, 1);
    char host[256], err[256];
    int port;
    enum sip_proto proto;
    lua_pushboolean(L, proxy_uri_target(uri, host, sizeof host, &port, &proto, err, sizeof err) == 0 &&
                           transport_is_local(host, port));
    return 1;
}

void lsip_open(lua_State *L)
{
    static const luaL_Reg sip[] = {
        { "sleep", sip_sleep }, { "spawn", sip_spawn }, { "after", sip_after },
        { "every", sip_every }, { "log", sip_log },
        { "stats", sip_stats }, { "is_myself", sip_is_myself }, { NULL, NULL },
    };
    luaL_newlib(L, sip);
    lua_setglobal(L, "sip");
}
