/* The unit ABI: what a loadable unit (core/units/<name>/ -> <name>.so) exports.
 *
 * A unit defines one `struct ls_unit` and exports it with LS_UNIT_EXPORT(u). The core dlopen()s
 * every unit named in config.units (RTLD_NOW), checks ls_unit_abi before touching anything else,
 * and only when all are loaded calls init() on each, so a unit may bind another unit's typed
 * API (ls_unit_api) in its init whatever the order of config.units. Main loop only. */
#ifndef LUNASIP_UNIT_H
#define LUNASIP_UNIT_H
#include <stddef.h>

#define LS_UNIT_ABI 1

struct lua_State;
struct luaL_Reg;

struct ls_unit {
    const char *name;
    /* Check parameters and set up. The config.units[name] table (or nil) is on top of L's stack
     * (a scratch Lua state: read values, keep no references). Return 0, or -1 with the reason. */
    int (*init)(struct lua_State *L, char *err, size_t errlen);
    /* Listeners are open and the loop exists: start timers, probes. Return 0 or -1 with the reason. */
    int (*start)(char *err, size_t errlen);
    /* At exit, before the loop is freed: release everything. */
    void (*stop)(void);
    /* Functions of the Lua table named after the unit (tm.relay, ...), registered in every script
     * state (at start and on each reload). NULL-terminated; may be NULL. */
    const struct luaL_Reg *lua;
    /* Typed API for other units, returned by ls_unit_api(name). May be NULL. */
    const void *api;
};

#define LS_UNIT_EXPORT(u)                                                  \
    __attribute__((visibility("default"))) const unsigned ls_unit_abi = LS_UNIT_ABI; \
    __attribute__((visibility("default"))) const struct ls_unit *ls_unit_exports = &(u);

struct event_base;
/* The main libevent loop (NULL while only checking a script with -c). */
struct event_base *server_base(void);

/* The script file given with -f (or ./lunasip.lua), as given; NULL for the embedded default.
 * Units resolve relative paths in their parameters against its directory. */
const char *server_script_path(void);

/* The API pointer of loaded unit name, or NULL when it is not loaded. Valid from init() on. */
const void *ls_unit_api(const char *name);

#endif
