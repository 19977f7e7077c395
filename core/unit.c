#include "unit.h"
#include "script.h"
#include <dlfcn.h>
#include <stdio.h>

int unit_load_all(struct script *s, const char *dir, char *err, size_t errlen)
{
    for (int i = 0; i < s->nunits; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s.so", dir, s->units[i]);
        void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!h) {
            snprintf(err, errlen, "unit '%s': cannot load %s: %s", s->units[i], path, dlerror());
            return -1;
        }
        dlclose(h);
        snprintf(err, errlen, "unit '%s': %s is not a lunasip unit", s->units[i], path);
        return -1;
    }
    return 0;
}

const char *unit_name(int i)
{
    (void)i;
    return NULL;
}

void unit_unload_all(void)
{
}
