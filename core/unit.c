/* Unit loader: dlopen every unit, check the ABI, then initialise them all and join their hooks,
 * HTTP routes and metrics to the core (include/lunasip/unit.h). */
#include "unit.h"
#include "log.h"
#include "lua/script.h"
#include "sip/hook.h"
#include <dirent.h>
#include <dlfcn.h>
#include <lauxlib.h>
#include <lunasip/coro.h>
#include <lunasip/http.h>
#include <lunasip/unit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct loaded {
    void *handle;
    const struct ls_unit *u;
    int started;
};

static struct loaded *units; /* in hook order once all are loaded */
static int nunits;
static char *unit_dir;       /* where units are looked for (placeholders list its units) */

void unit_set_dir(const char *dir)
{
    free(unit_dir);
    unit_dir = dir ? strdup(dir) : NULL;
}

/* Hook order: ascending priority, then name. */
static int hook_order(const void *a, const void *b)
{
    const struct ls_unit *x = ((const struct loaded *)a)->u, *y = ((const struct loaded *)b)->u;
    if (x->priority != y->priority)
        return x->priority < y->priority ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* Join the loaded units' hooks to the chains, in hook order. */
static void join_hooks(void)
{
    if (nunits) /* qsort(NULL, 0) is undefined behaviour (UBSan) */
        qsort(units, (size_t)nunits, sizeof *units, hook_order);
    for (int i = 0; i < nunits; i++) {
        const struct ls_unit *u = units[i].u;
        struct sip_hooks h = { u->on_request, u->on_reply, u->on_route_end, u->on_local_reply };
        if (h.on_request || h.on_reply || h.on_route_end || h.on_local_reply)
            sip_hook_add(&h);
        if (u->wait_guard)
            coro_wait_guard_add(u->wait_guard);
    }
}

const char *unit_name(int i)
{
    return i >= 0 && i < nunits ? units[i].u->name : NULL;
}

static int unit_loaded(const char *name)
{
    for (int i = 0; i < nunits; i++)
        if (strcmp(units[i].u->name, name) == 0)
            return 1;
    return 0;
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
        snprintf(err, errlen, "unit '%s': %s: %s (the unit has unit ABI %08x, this lunasip has unit ABI %08x)",
                 name, path, why, abi ? *abi : 0, (unsigned)LS_UNIT_ABI);
        dlclose(h);
        return -1;
    }
    units = realloc(units, (size_t)(nunits + 1) * sizeof *units);
    units[nunits++] = (struct loaded){ .handle = h, .u = *exp };
    return 0;
}

int unit_load_all(struct script *s, char *err, size_t errlen)
{
    const char *dir = unit_dir ? unit_dir : ".";
    for (int i = 0; i < s->nunits; i++)
        if (unit_open(dir, s->units[i], err, errlen) != 0)
            return -1;
    if (nunits) /* init in hook order too */
        qsort(units, (size_t)nunits, sizeof *units, hook_order);
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
    join_hooks();
    return 0;
}

/* Register u's HTTP routes and metrics writer (add) or remove them. */
static int unit_http(const struct ls_unit *u, int add, char *err, size_t errlen)
{
    for (const struct ls_unit_route *r = u->http; r && r->fn; r++) {
        if (!add) {
            ls_http_route_remove(r->fn, r->arg);
        } else if (ls_http_route(r->method, r->path_prefix, r->fn, r->arg) != 0) {
            snprintf(err, errlen, "cannot serve %s %s (taken or reserved)", r->method ? r->method : "*", r->path_prefix);
            return -1;
        }
    }
    if (u->metrics && add)
        ls_metrics_source(u->metrics, u->metrics_arg);
    else if (u->metrics)
        ls_metrics_source_remove(u->metrics, u->metrics_arg);
    return 0;
}

int unit_start_all(char *err, size_t errlen)
{
    for (int i = 0; i < nunits; i++) {
        char why[512] = "";
        if ((units[i].u->start && units[i].u->start(why, sizeof why) != 0) ||
            unit_http(units[i].u, 1, why, sizeof why) != 0) {
            snprintf(err, errlen, "unit '%s': %s", units[i].u->name, why[0] ? why : "start failed");
            return -1;
        }
        units[i].started = 1;
        ls_log(LS_LOG_INFO, units[i].u->name, "started");
    }
    return 0;
}

unsigned long unit_in_flight(void)
{
    unsigned long n = 0;
    for (int i = 0; i < nunits; i++)
        if (units[i].u->in_flight)
            n += units[i].u->in_flight();
    return n;
}

void unit_reload_all(void)
{
    for (int i = 0; i < nunits; i++)
        if (units[i].u->reload)
            units[i].u->reload();
}

/* Any field of a placeholder table is a function raising "the <name> unit is not loaded". */
static int missing_call(lua_State *L)
{
    return luaL_error(L, "the %s unit is not loaded", lua_tostring(L, lua_upvalueindex(1)));
}

static int missing_index(lua_State *L)
{
    lua_getfield(L, lua_upvalueindex(1), "__name");
    lua_pushcclosure(L, missing_call, 1);
    return 1;
}

/* The same placeholder table, under its name, for every unit in the unit directory that is not
 * loaded and whose name the script has not taken. */
static void placeholders(lua_State *L)
{
    DIR *d = unit_dir ? opendir(unit_dir) : NULL;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 4 || n > 64 || strcmp(e->d_name + n - 3, ".so") != 0 || memchr(e->d_name, '.', n - 3))
            continue;
        char name[64];
        memcpy(name, e->d_name, n - 3);
        name[n - 3] = '\0';
        int taken = unit_loaded(name);
        if (!taken) {
            taken = lua_getglobal(L, name) != LUA_TNIL;
            lua_pop(L, 1);
        }
        if (taken)
            continue;
        lua_newtable(L);
        lua_createtable(L, 0, 2);
        lua_pushstring(L, name);
        lua_setfield(L, -2, "__name");
        lua_pushvalue(L, -1);
        lua_pushcclosure(L, missing_index, 1);
        lua_setfield(L, -2, "__index");
        lua_setmetatable(L, -2);
        lua_setglobal(L, name);
    }
    if (d)
        closedir(d);
}

/* sip.units() -> the names of the loaded units */
static int sip_units(lua_State *L)
{
    lua_createtable(L, nunits, 0);
    for (int i = 0; i < nunits; i++) {
        lua_pushstring(L, units[i].u->name);
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

void unit_open_lua(lua_State *L)
{
    if (lua_getglobal(L, "sip") == LUA_TTABLE) {
        lua_pushcfunction(L, sip_units);
        lua_setfield(L, -2, "units");
    }
    lua_pop(L, 1);
    placeholders(L);
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
    char why[16];
    for (int i = nunits - 1; i >= 0; i--) {
        if (units[i].started)
            unit_http(units[i].u, 0, why, sizeof why);
        if (units[i].u->wait_guard)
            coro_wait_guard_remove(units[i].u->wait_guard);
    }
    sip_hook_clear();
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
