/* coroutine.resume and coroutine.wrap for scripts: a user coroutine (coroutine.create inside a
 * route) may call a waiting function (sip.sleep, tm.request, http.request). The wait then
 * suspends the whole route, and when the route is resumed the user coroutine goes on where it
 * was, as in OpenResty. Main loop only.
 *
 * How: while resume runs a user coroutine, that thread's extra space names the route's coroutine
 * (struct coro), so the waiting function arms its event for the route. When the user coroutine
 * yields with a wait armed (coro_waiting), resume yields the route thread too (lua_yieldk); the
 * event resumes the route, whose continuation passes the values on to the user coroutine. A plain
 * coroutine.yield in the user coroutine returns to its resumer as usual. Outside a route (the main
 * chunk), or where the route itself cannot yield, the user coroutine gets no route and a waiting
 * function raises its usual error.
 *
 * A user coroutine names its route only while that route runs it: once it is suspended (a wait,
 * or a plain yield) its extra space is NULL again, so a route that ends (or is cancelled by a
 * reload or a client that went away) while the user coroutine waits leaves nothing that points
 * to it. Scripts may not resume a user coroutine while it waits for its route's event (it would
 * return from sip.sleep before its time), nor resume or close a route's own thread (the thread of
 * a waiting route: coroutine.running() in a route). */
#include <lunasip/coro.h>
#include "lua/script.h"
#include <lauxlib.h>

static void co_set_route(lua_State *co, struct coro *c)
{
    *(struct coro **)lua_getextraspace(co) = c;
}

/* The thread of a route, timer or spawned coroutine itself (not a user coroutine). */
static int route_thread(lua_State *co)
{
    struct coro *c = coro_of(co);
    return c && coro_L(c) == co;
}

/* registry["lunasip.co_waiting"][co] = true or nil (arguments 1 and 2): co waits for its route's
 * event. Weak keys. */
static int mark_waiting(lua_State *L)
{
    if (lua_getfield(L, LUA_REGISTRYINDEX, "lunasip.co_waiting") != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_createtable(L, 0, 1);
        lua_pushliteral(L, "k");
        lua_setfield(L, -2, "__mode");
        lua_setmetatable(L, -2);
        lua_pushvalue(L, -1);
        lua_setfield(L, LUA_REGISTRYINDEX, "lunasip.co_waiting");
    }
    lua_pushvalue(L, 1);
    lua_pushvalue(L, 2);
    lua_rawset(L, -3);
    return 0;
}

/* The same for the thread at index 1 of L, protected: it runs between arming a wait and
 * yielding, where nothing may raise (out of memory, it is left unmarked). */
static void co_mark_waiting(lua_State *L, int on)
{
    lua_pushcfunction(L, mark_waiting);
    lua_pushvalue(L, 1);
    if (on)
        lua_pushboolean(L, 1);
    else
        lua_pushnil(L);
    if (lua_pcall(L, 2, 0, 0) != LUA_OK)
        lua_pop(L, 1);
}

static int co_waiting(lua_State *L)
{
    if (lua_getfield(L, LUA_REGISTRYINDEX, "lunasip.co_waiting") != LUA_TTABLE) {
        lua_pop(L, 1);
        return 0;
    }
    lua_pushvalue(L, 1);
    int on = lua_rawget(L, -2) != LUA_TNIL;
    lua_pop(L, 2);
    return on;
}

/* After lua_resume(co) returned status with nres values on co: hand them to the resumer, or
 * suspend the route when co waits. */
static int co_finish(lua_State *L, lua_State *co, int status, int nres);

static int co_continue(lua_State *L, int status, lua_KContext ctx)
{
    lua_State *co = lua_tothread(L, 1);
    int n = lua_gettop(L) - 1; /* what the event resumed the route with */
    struct coro *c = coro_of(L);
    co_mark_waiting(L, 0);
    co_set_route(co, c);
    lua_xmove(L, co, n);
    int nres;
    status = lua_resume(co, L, n, &nres);
    return co_finish(L, co, status, nres);
}

static int co_finish(lua_State *L, lua_State *co, int status, int nres)
{
    struct coro *c = coro_of(L);
    co_set_route(co, NULL);
    if (status == LUA_YIELD && c && coro_waiting(c)) {
        lua_pop(co, nres);
        lua_settop(L, 1);
        co_mark_waiting(L, 1);
        return lua_yieldk(L, 0, 0, co_continue);
    }
    if (status == LUA_OK || status == LUA_YIELD) {
        if (!lua_checkstack(L, nres + 1)) {
            lua_pop(co, nres);
            lua_pushboolean(L, 0);
            lua_pushliteral(L, "too many results to resume");
            return 2;
        }
        lua_pushboolean(L, 1);
        lua_xmove(co, L, nres);
        return nres + 1;
    }
    lua_pushboolean(L, 0);
    lua_xmove(co, L, 1); /* the error object */
    return 2;
}

static int co_resume(lua_State *L)
{
    lua_State *co = lua_tothread(L, 1);
    luaL_argexpected(L, co, 1, "coroutine");
    int n = lua_gettop(L) - 1;
    const char *why = lua_status(co) == LUA_OK && lua_gettop(co) == 0 ? "cannot resume dead coroutine"
                    : route_thread(co) ? "cannot resume a route's own coroutine (its event resumes it)"
                    : co_waiting(L) ? "cannot resume a coroutine that waits for its route's event"
                    : NULL;
    if (why) {
        lua_pushboolean(L, 0);
        lua_pushstring(L, why);
        return 2;
    }
    if (!lua_checkstack(co, n)) {
        lua_pushboolean(L, 0);
        lua_pushliteral(L, "too many arguments to resume");
        return 2;
    }
    struct coro *c = coro_of(L);
    co_set_route(co, c && lua_isyieldable(L) ? c : NULL);
    lua_xmove(L, co, n);
    int nres, status = lua_resume(co, L, n, &nres);
    return co_finish(L, co, status, nres);
}

/* coroutine.close, refusing a route's own thread; upvalue 1: the standard one. */
static int co_close(lua_State *L)
{
    lua_State *co = lua_tothread(L, 1);
    luaL_argexpected(L, co, 1, "coroutine");
    if (route_thread(co))
        return luaL_error(L, "cannot close a route's own coroutine");
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

/* coroutine.wrap on top of the resume above (errors propagate, as in the standard one). */
static const char wrap_lua[] =
    "local create, resume, error, select = coroutine.create, coroutine.resume, error, select\n"
    "local function check(ok, ...)\n"
    "  if not ok then error((...), 0) end\n"
    "  return ...\n"
    "end\n"
    "coroutine.wrap = function(f)\n"
    "  local co = create(f)\n"
    "  return function(...) return check(resume(co, ...)) end\n"
    "end\n";

void lco_open(lua_State *L)
{
    lua_getglobal(L, "coroutine");
    lua_pushcfunction(L, co_resume);
    lua_setfield(L, -2, "resume");
    lua_getfield(L, -1, "close");
    lua_pushcclosure(L, co_close, 1);
    lua_setfield(L, -2, "close");
    lua_pop(L, 1);
    if (luaL_loadbufferx(L, wrap_lua, sizeof wrap_lua - 1, "=coroutine.wrap", "t") != LUA_OK ||
        lua_pcall(L, 0, 0, 0) != LUA_OK)
        lua_pop(L, 1);
}
