/* config.tls, config.http.tls and config.websocket: read from the script's config table. */
#include "lua/script.h"
#include "transport/tls.h"
#include <lunasip/transport.h>
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* path relative to the folder of script_path (NULL: the current folder), malloc'd. */
static char *resolve_path(const char *script_path, const char *path)
{
    const char *slash = script_path ? strrchr(script_path, '/') : NULL;
    if (path[0] == '/' || !slash)
        return strdup(path);
    size_t dl = (size_t)(slash - script_path) + 1, pl = strlen(path);
    char *out = malloc(dl + pl + 1);
    if (out) {
        memcpy(out, script_path, dl);
        memcpy(out + dl, path, pl + 1);
    }
    return out;
}

static int read_path(lua_State *L, const char *what, const char *field, const char *script_path, char **out,
                     char *err, size_t errlen)
{
    int t = lua_getfield(L, -1, field);
    if (t == LUA_TSTRING && lua_rawlen(L, -1) > 0)
        *out = resolve_path(script_path, lua_tostring(L, -1));
    lua_pop(L, 1);
    if (t != LUA_TNIL && t != LUA_TSTRING) {
        snprintf(err, errlen, "%s.%s must be a file path", what, field);
        return -1;
    }
    return 0;
}

int script_read_tls(lua_State *L, const char *what, const char *script_path, struct script_tls *tls, char *err,
                    size_t errlen)
{
    if (!lua_istable(L, -1)) {
        snprintf(err, errlen, "%s must be a table { cert = , key = , ca = , verify = , verify_client = , min_version = }",
                 what);
        return -1;
    }
    tls->set = 1;
    tls->verify = 1;
    if (read_path(L, what, "cert", script_path, &tls->cert, err, errlen) != 0
        || read_path(L, what, "key", script_path, &tls->key, err, errlen) != 0
        || read_path(L, what, "ca", script_path, &tls->ca, err, errlen) != 0)
        return -1;
    int t = lua_getfield(L, -1, "verify");
    if (t == LUA_TBOOLEAN)
        tls->verify = lua_toboolean(L, -1);
    lua_pop(L, 1);
    if (t != LUA_TNIL && t != LUA_TBOOLEAN) {
        snprintf(err, errlen, "%s.verify must be true or false", what);
        return -1;
    }
    t = lua_getfield(L, -1, "verify_client");
    tls->verify_client = lua_toboolean(L, -1);
    lua_pop(L, 1);
    if (t != LUA_TNIL && t != LUA_TBOOLEAN) {
        snprintf(err, errlen, "%s.verify_client must be true or false", what);
        return -1;
    }
    if (tls->verify_client && !tls->ca) {
        snprintf(err, errlen, "%s.verify_client needs ca (the CA that signs client certificates)", what);
        return -1;
    }
    t = lua_getfield(L, -1, "min_version");
    tls->min_version = t == LUA_TNIL ? 0 : tls_version_parse(lua_tostring(L, -1));
    lua_pop(L, 1);
    if (t != LUA_TNIL && !tls->min_version) {
        snprintf(err, errlen, "%s.min_version must be \"1.0\", \"1.1\", \"1.2\" or \"1.3\"", what);
        return -1;
    }
    if ((tls->cert != NULL) != (tls->key != NULL)) {
        snprintf(err, errlen, "%s needs both cert and key (or neither)", what);
        return -1;
    }
    return 0;
}

void script_tls_free(struct script_tls *tls)
{
    free(tls->cert);
    free(tls->key);
    free(tls->ca);
}

void script_tls_settings(const struct script_tls *tls, struct tls_settings *out)
{
    *out = (struct tls_settings){ tls->cert, tls->key, tls->ca, tls->verify, tls->min_version, tls->verify_client };
}

int script_read_websocket(struct script *s, lua_State *L, char *err, size_t errlen)
{
    if (!lua_istable(L, -1)) {
        snprintf(err, errlen, "config.websocket must be a table { max_frame = , origins = { ... } }");
        return -1;
    }
    int t = lua_getfield(L, -1, "max_frame");
    if (t != LUA_TNIL) {
        if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 16 || lua_tointeger(L, -1) > SIP_MAX_MESSAGE) {
            snprintf(err, errlen, "config.websocket.max_frame must be a number of bytes from 16 to %d",
                     SIP_MAX_MESSAGE);
            return -1;
        }
        s->ws_max_frame = (long)lua_tointeger(L, -1);
    }
    lua_pop(L, 1);
    t = lua_getfield(L, -1, "origins");
    if (t == LUA_TTABLE) {
        lua_Integer n = luaL_len(L, -1);
        s->ws_origins = n > 0 ? calloc((size_t)n, sizeof *s->ws_origins) : NULL;
        for (lua_Integer i = 1; s->ws_origins && i <= n; i++) {
            if (lua_geti(L, -1, i) != LUA_TSTRING) {
                snprintf(err, errlen, "config.websocket.origins must be a list of strings");
                return -1;
            }
            s->ws_origins[s->nws_origins++] = strdup(lua_tostring(L, -1));
            lua_pop(L, 1);
        }
    } else if (t != LUA_TNIL) {
        snprintf(err, errlen, "config.websocket.origins must be a list of strings");
        return -1;
    }
    lua_pop(L, 1);
    return 0;
}
