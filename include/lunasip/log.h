/* lunasip logging: one line per call on stderr, "LEVEL [unit] message".
 * Safe to call from the main loop only (the server is single-threaded). */
#ifndef LUNASIP_LOG_H
#define LUNASIP_LOG_H
#include <lunasip/api.h>

LS_API_BEGIN
enum ls_log_level { LS_LOG_ERROR = 0, LS_LOG_WARN, LS_LOG_INFO, LS_LOG_DEBUG };

void ls_log(int level, const char *unit, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int ls_log_enabled(int level);

LS_API_END
#endif
