/* Lua bindings: the msg object (lua_msg.c) and the sip and tm tables (lua_sip.c). */
#ifndef CORE_LUA_API_H
#define CORE_LUA_API_H
#include <lua.h>

struct sip_msg;

/* Register the msg metatable in L. */
void lua_msg_open(lua_State *L);
/* Push a msg object for msg (takes a new reference). */
void lua_msg_push(lua_State *L, struct sip_msg *msg);
/* The message at idx, raising a Lua error when it is not one. */
struct sip_msg *lua_msg_check(lua_State *L, int idx);

/* Register the sip and tm tables in L. */
void lua_sip_open(lua_State *L);

#endif
