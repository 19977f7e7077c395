/* Lua bindings: the msg object (lua_msg.c) and the sip and tm tables (lua_sip.c). */
#ifndef LUNASIP_LUA_H
#define LUNASIP_LUA_H
#include <lua.h>
#include <osipparser2/osip_parser.h>

struct sip_msg;

/* Register the msg metatable in L. */
void lua_msg_open(lua_State *L);
/* Push a msg object for msg (takes a new reference). */
void lua_msg_push(lua_State *L, struct sip_msg *msg);
/* The message at idx, raising a Lua error when it is not one. */
struct sip_msg *lua_msg_check(lua_State *L, int idx);

/* Set by tm: sends msg:reply()'s reply through the request's transaction (msg->tx != NULL). */
extern int (*lua_msg_reply_hook)(struct sip_msg *req, osip_message_t *reply);

/* Register the sip and tm tables in L. */
void lua_sip_open(lua_State *L);

#endif
