/* Loadable units (shared objects in the unit directory). Main loop only. */
#ifndef CORE_UNIT_H
#define CORE_UNIT_H
#include <lua.h>
#include <stddef.h>

struct script;

/* The directory units are loaded from (-U, else the build or install directory); set before
 * the first script is loaded, so that its placeholders know the units there. */
void unit_set_dir(const char *dir);
/* dlopen every unit named in s->units, check their ABI, then initialise each with its
 * config.units parameters (in hook order) and join their hooks to the receive path. Returns 0,
 * or -1 with a reason that names the unit. */
int unit_load_all(struct script *s, char *err, size_t errlen);
/* Start every loaded unit (listeners are open), then register its HTTP routes and metrics
 * writer. Returns 0 or -1 with the reason. */
int unit_start_all(char *err, size_t errlen);
/* Register the loaded units' Lua functions in a script state, and for every other unit in the
 * unit directory a placeholder table whose functions raise "the <name> unit is not loaded". */
void unit_open_lua(lua_State *L);
/* Tell every loaded unit that a reloaded script is current. */
void unit_reload_all(void);
/* The work in flight of every unit (struct ls_unit in_flight), for a stopping server. */
unsigned long unit_in_flight(void);
/* Name of loaded unit i, NULL past the end. */
const char *unit_name(int i);
/* Stop and unload every unit (at exit, after the Lua states are closed). */
void unit_unload_all(void);

#endif
