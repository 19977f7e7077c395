/* Lua bindings: the msg object (lmsg.c) and the sip table (lsip.c). */
#ifndef LUNASIP_LUA_H
#define LUNASIP_LUA_H
#include <lua.h>
#include <lunasip/api.h>

LS_API_BEGIN
struct script;
/* Keep a script (and so its Lua state, whose main thread is the registry's LUA_RIDX_MAINTHREAD)
 * alive while holding registry references in it, e.g. route callbacks kept across events
 * (coro_script() gives a route's script). */
struct script *script_ref(struct script *s);
void script_unref(struct script *s);

struct sip_msg;

#define LMSG_MT "lunasip.msg"           /* metatable of msg objects */
#define LMSG_REQ_MT "lunasip.http_req" /* metatable of on_http's req, an object built on msg */

/* Objects built on msg (on_http's req) are full userdata whose first member is the
 * struct sip_msg *; lmsg_check accepts them, and their metamethods fall back to these:
 * __index (msg methods, then msg fields), __newindex (ruri, du) and __tostring.
 * lmsg_index raises an error naming any key that is neither a field nor a method (of msg,
 * or listed in the object's metatable: its "methods" table and its "fields" list), with the
 * close names as suggestions; fields that exist but have no value give nil. */
int lmsg_index(lua_State *L);
/* Store names (NULL-terminated) as the "fields" list of the metatable on top of the stack:
 * the field names an object built on msg adds, for lmsg_index's suggestions. */
void lmsg_set_fields(lua_State *L, const char *const *names);
int lmsg_newindex(lua_State *L);
int lmsg_tostring(lua_State *L);

/* Register the msg metatable in L. */
void lmsg_open(lua_State *L);
/* Push a msg object for msg (takes a new reference). */
void lmsg_push(lua_State *L, struct sip_msg *msg);
/* The message at idx (a msg, or an object built on one such as req), raising a Lua error
 * when it is neither. */
struct sip_msg *lmsg_check(lua_State *L, int idx);

/* The usual result of an operation that can fail: pushes true (err NULL) or nil and err.
 * Returns the number of values pushed, for `return lsip_push_result(L, err);`. */
int lsip_push_result(lua_State *L, const char *err);

/* Register the sip table in L. */
void lsip_open(lua_State *L);

LS_API_END
#endif
