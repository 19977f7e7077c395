/* Loadable units (shared objects in the unit directory). Main loop only. */
#ifndef CORE_UNIT_H
#define CORE_UNIT_H
#include <lua.h>
#include <stddef.h>

struct script;

/* dlopen every unit named in s->units from dir, check their ABI, then initialise each with its
 * config.units parameters. Returns 0, or -1 with a reason that names the unit. */
int unit_load_all(struct script *s, const char *dir, char *err, size_t errlen);
/* Start every loaded unit (listeners are open). Returns 0 or -1 with the reason. */
int unit_start_all(char *err, size_t errlen);
/* Register the loaded units' Lua functions in a script state. */
void unit_open_lua(lua_State *L);
/* Name of loaded unit i, NULL past the end. */
const char *unit_name(int i);
/* Stop and unload every unit (at exit, after the Lua states are closed). */
void unit_unload_all(void);

#endif
