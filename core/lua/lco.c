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
 * function raises its usual error. */
#include <lunasip/coro.h>
#include "lua/script.h"
#include <lauxlib.h>

static void co_set_route(lua_State *co, struct coro *c)
{
    *(struct coro **)lua_getextraspace(co) = c;
}

/* After lua_resume(co) returned status with nres values on co: hand them to the resumer, or
 * suspend the route when co waits. */
static int co_finish(lua_State *L, lua_State *co, int status, int nres);

static int co_continue(lua_State *L, int status, lua_KContext ctx)
{
    lua_State *co = lua_tothread(L, 1);
    int n = lua_gettop(L) - 1; /* what the event resumed the route with */
    struct coro *c = coro_of(L);
    co_set_route(co, c);
    lua_xmove(L, co, n);
    int nres;
    status = lua_resume(co, L, n, &nres);
    return co_finish(L, co, status, nres);
}

static int co_finish(lua_State *L, lua_State *co, int status, int nres)
{
    struct coro *c = coro_of(L);
    if (status == LUA_YIELD && c && coro_waiting(c)) {
        lua_pop(co, nres);
        lua_settop(L, 1);
        return lua_yieldk(L, 0, 0, co_continue);
    }
    co_set_route(co, NULL);
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
    if (lua_status(co) == LUA_OK && lua_gettop(co) == 0) {
        lua_pushboolean(L, 0);
        lua_pushliteral(L, "cannot resume dead coroutine");
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
    lua_pop(L, 1);
    if (luaL_loadbufferx(L, wrap_lua, sizeof wrap_lua - 1, "=coroutine.wrap", "t") != LUA_OK ||
        lua_pcall(L, 0, 0, 0) != LUA_OK)
        lua_pop(L, 1);
}
