#include "log.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static int level = LS_LOG_INFO;
static const char *names[] = { "ERROR", "WARN", "INFO", "DEBUG" };

void log_set_level(int l) { level = l < LS_LOG_ERROR ? LS_LOG_ERROR : l > LS_LOG_DEBUG ? LS_LOG_DEBUG : l; }
int log_get_level(void) { return level; }
int ls_log_enabled(int l) { return l <= level; }

int log_level_from_name(const char *name)
{
    for (int i = 0; i <= LS_LOG_DEBUG; i++)
        if (strcasecmp(name, names[i]) == 0)
            return i;
    return strcasecmp(name, "warning") == 0 ? LS_LOG_WARN : -1;
}

void ls_log(int l, const char *unit, const char *fmt, ...)
{
    if (l > level)
        return;
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s [%s] %s\n", names[l < 0 ? 0 : l], unit ? unit : "core", line);
}
