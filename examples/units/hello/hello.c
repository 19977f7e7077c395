/* hello: the smallest complete unit, to copy when writing one. It shows each way a unit joins
 * the core through its struct ls_unit (include/lunasip/unit.h):
 *   - a Lua function:   hello.greet(name) -> "Hello, <name>!"
 *   - a metric:         lunasip_hello_greetings_total (greetings given, Lua and SIP)
 *   - an HTTP route:    GET /api/hello -> {"greeting": "Hello", "greetings": n}
 *   - a request hook:   a request for the user "hello" (sip:hello@...) is answered
 *                       "200 Hello" before any route or later hook sees it
 * Its parameter: config.units.hello = { greeting = "Hello" }. Main loop only. */
#include <event2/buffer.h>
#include <lauxlib.h>
#include <lunasip/http.h>
#include <lunasip/log.h>
#include <lunasip/msg.h>
#include <lunasip/proxy.h>
#include <lunasip/unit.h>
#include <stdio.h>
#include <string.h>

static char greeting[64] = "Hello";
static unsigned long greetings;

static int init(lua_State *L, char *err, size_t errlen)
{
    if (lua_istable(L, -1) && lua_getfield(L, -1, "greeting") != LUA_TNIL) {
        size_t len;
        const char *g = lua_tolstring(L, -1, &len);
        if (!g || lua_type(L, -1) != LUA_TSTRING || !len || len >= sizeof greeting || strpbrk(g, "\r\n")) {
            snprintf(err, errlen, "parameter greeting must be a short string");
            return -1;
        }
        memcpy(greeting, g, len + 1);
        lua_pop(L, 1);
    } else if (!lua_isnil(L, -1) && !lua_istable(L, -1)) {
        snprintf(err, errlen, "parameters must be a table, e.g. { greeting = \"Hello\" }");
        return -1;
    }
    return 0;
}

/* hello.greet(name) -> "Hello, <name>!" */
static int l_greet(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    greetings++;
    lua_pushfstring(L, "%s, %s!", greeting, name);
    return 1;
}

static const luaL_Reg lua_fns[] = { { "greet", l_greet }, { NULL, NULL } };

static int http_hello(const struct ls_http_request *req, json_t **reply, void *arg)
{
    *reply = json_pack("{s:s, s:I}", "greeting", greeting, "greetings", (json_int_t)greetings);
    return 200;
}

static const struct ls_unit_route routes[] = { { "GET", "/api/hello", http_hello, NULL }, { NULL, NULL, NULL, NULL } };

static void metrics(struct evbuffer *out, void *arg)
{
    ls_metrics_family(out, "lunasip_hello_greetings_total", "counter", "Greetings given by the hello unit.");
    evbuffer_add_printf(out, "lunasip_hello_greetings_total %lu\n", greetings);
}

/* Runs before tm's hook (priority -10 < 0): the request never gets a transaction. */
static int on_request(struct sip_msg *msg)
{
    struct sip_str ruri = sipmsg_ruri(msg);
    struct sip_uri u;
    if (sipmsg_method_is(msg, "ACK") || sip_uri_parse(ruri.s, ruri.len, &u) != 0 || !sip_str_ieq(u.user, "hello"))
        return LS_HOOK_NEXT;
    greetings++;
    proxy_reply(msg, 200, greeting, NULL, NULL, 0);
    return LS_HOOK_DONE;
}

static const struct ls_unit hello = {
    .name = "hello",
    .init = init,
    .lua = lua_fns,
    .priority = -10,
    .on_request = on_request,
    .http = routes,
    .metrics = metrics,
};

LS_UNIT_EXPORT(hello)
