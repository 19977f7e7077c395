/* Lua bindings: the msg object (lua_msg.c) and the sip table (lua_sip.c). */
#ifndef LUNASIP_LUA_H
#define LUNASIP_LUA_H
#include <lua.h>
#include <lunasip/api.h>

LS_API_BEGIN
struct sip_msg;

#define LUA_MSG_MT "lunasip.msg"           /* metatable of msg objects */
#define LUA_HTTP_REQ_MT "lunasip.http_req" /* metatable of on_http's req, an object built on msg */

/* Objects built on msg (on_http's req) are full userdata whose first member is the
 * struct sip_msg *; lua_msg_check accepts them, and their metamethods fall back to these:
 * __index (msg methods, then msg fields), __newindex (ruri, du) and __tostring.
 * lua_msg_index raises an error naming any key that is neither a field nor a method (of msg,
 * or listed in the object's metatable: its "methods" table and its "fields" list), with the
 * close names as suggestions; fields that exist but have no value give nil. */
int lua_msg_index(lua_State *L);
/* Store names (NULL-terminated) as the "fields" list of the metatable on top of the stack:
 * the field names an object built on msg adds, for lua_msg_index's suggestions. */
void lua_msg_set_fields(lua_State *L, const char *const *names);
int lua_msg_newindex(lua_State *L);
int lua_msg_tostring(lua_State *L);

/* Register the msg metatable in L. */
void lua_msg_open(lua_State *L);
/* Push a msg object for msg (takes a new reference). */
void lua_msg_push(lua_State *L, struct sip_msg *msg);
/* The message at idx (a msg, or an object built on one such as req), raising a Lua error
 * when it is neither. */
struct sip_msg *lua_msg_check(lua_State *L, int idx);

/* The usual result of an operation that can fail: pushes true (err NULL) or nil and err.
 * Returns the number of values pushed, for `return lua_push_result(L, err);`. */
int lua_push_result(lua_State *L, const char *err);

/* Register the sip table in L. */
void lua_sip_open(lua_State *L);

LS_API_END
#endif
