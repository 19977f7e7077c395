#include "paths.h"
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

const char *paths_unit_dir(void)
{
    static char dir[PATH_MAX + 64];
    char exe[PATH_MAX], probe[PATH_MAX + 32];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    char *slash = n > 0 ? memrchr(exe, '/', (size_t)n) : NULL;
    if (!slash)
        return LUNASIP_INSTALL_UNIT_DIR;
    *slash = '\0';
    snprintf(probe, sizeof probe, "%s/CMakeCache.txt", exe);
    if (access(probe, F_OK) == 0)
        snprintf(dir, sizeof dir, "%s/units", exe);
    else
        snprintf(dir, sizeof dir, "%s/%s", exe, LUNASIP_BIN_TO_UNIT_DIR);
    return dir;
}
