/* Loadable units (shared objects in the unit directory). Main loop only. */
#ifndef CORE_UNIT_H
#define CORE_UNIT_H
#include <stddef.h>

struct script;

/* Load and initialise every unit named in s->units from dir. Returns 0, or -1 with a reason that
 * names the unit. */
int unit_load_all(struct script *s, const char *dir, char *err, size_t errlen);
/* Name of loaded unit i, NULL past the end. */
const char *unit_name(int i);
/* Stop and unload every unit (at exit). */
void unit_unload_all(void);

#endif
