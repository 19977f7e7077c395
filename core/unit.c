/* Unit loader: dlopen every unit, check the ABI, then initialise them all. */
#include "unit.h"
#include "log.h"
#include "lua/script.h"
#include <dlfcn.h>
#include <lauxlib.h>
#include <lunasip/unit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct loaded {
    void *handle;
    const struct ls_unit *u;
    int started;
};

static struct loaded *units;
static int nunits;

const char *unit_name(int i)
{
    return i >= 0 && i < nunits ? units[i].u->name : NULL;
}

const void *ls_unit_api(const char *name)
{
    for (int i = 0; i < nunits; i++)
        if (strcmp(units[i].u->name, name) == 0)
            return units[i].u->api;
    return NULL;
}

static int unit_open(const char *dir, const char *name, char *err, size_t errlen)
{
    char path[4096];
    if (!*name || strchr(name, '/') || strchr(name, '.')) {
        snprintf(err, errlen, "unit '%s': not a unit name", name);
        return -1;
    }
    snprintf(path, sizeof path, "%s/%s.so", dir, name);
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(err, errlen, "unit '%s': %s", name, dlerror());
        return -1;
    }
    const unsigned *abi = dlsym(h, "ls_unit_abi");
    const struct ls_unit **exp = dlsym(h, "ls_unit_exports");
    const char *why = !abi ? "not a lunasip unit (no ls_unit_abi)"
                    : *abi != LS_UNIT_ABI ? "built for another unit ABI version"
                    : !exp || !*exp ? "not a lunasip unit (no ls_unit_exports)"
                    : strcmp((*exp)->name, name) != 0 ? "its exports name another unit" : NULL;
    if (why) {
        snprintf(err, errlen, "unit '%s': %s: %s (ABI %u, expected %u)", name, path, why, abi ? *abi : 0, LS_UNIT_ABI);
        dlclose(h);
        return -1;
    }
    units = realloc(units, (size_t)(nunits + 1) * sizeof *units);
    units[nunits++] = (struct loaded){ .handle = h, .u = *exp };
    return 0;
}

int unit_load_all(struct script *s, const char *dir, char *err, size_t errlen)
{
    for (int i = 0; i < s->nunits; i++)
        if (unit_open(dir, s->units[i], err, errlen) != 0)
            return -1;
    /* All loaded before any init: a unit may bind any other in its init. */
    for (int i = 0; i < nunits; i++) {
        const struct ls_unit *u = units[i].u;
        if (!u->init)
            continue;
        script_push_unit_params(s, u->name);
        char why[512] = "";
        int rc = u->init(s->L, why, sizeof why);
        lua_pop(s->L, 1);
        if (rc != 0) {
            snprintf(err, errlen, "unit '%s': %s", u->name, why[0] ? why : "init failed");
            return -1;
        }
    }
    return 0;
}

int unit_start_all(char *err, size_t errlen)
{
    for (int i = 0; i < nunits; i++) {
        char why[512] = "";
        if (units[i].u->start && units[i].u->start(why, sizeof why) != 0) {
            snprintf(err, errlen, "unit '%s': %s", units[i].u->name, why[0] ? why : "start failed");
            return -1;
        }
        units[i].started = 1;
        ls_log(LS_LOG_INFO, units[i].u->name, "started");
    }
    return 0;
}

void unit_open_lua(lua_State *L)
{
    for (int i = 0; i < nunits; i++) {
        if (!units[i].u->lua)
            continue;
        if (lua_getglobal(L, units[i].u->name) != LUA_TTABLE) {
            lua_pop(L, 1);
            lua_newtable(L);
            lua_pushvalue(L, -1);
            lua_setglobal(L, units[i].u->name);
        }
        luaL_setfuncs(L, units[i].u->lua, 0);
        lua_pop(L, 1);
    }
}

void unit_unload_all(void)
{
    for (int i = nunits - 1; i >= 0; i--)
        if (units[i].u->stop)
            units[i].u->stop();
    /* Lua states that held unit functions are closed by now; dlclose is safe. */
    for (int i = nunits - 1; i >= 0; i--)
        dlclose(units[i].handle);
    free(units);
    units = NULL;
    nunits = 0;
}
