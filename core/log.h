/* Core logging shortcuts over ls_log() with the unit name "core". */
#ifndef CORE_LOG_H
#define CORE_LOG_H
#include <lunasip/log.h>

#define log_error(...) ls_log(LS_LOG_ERROR, "core", __VA_ARGS__)
#define log_warn(...)  ls_log(LS_LOG_WARN, "core", __VA_ARGS__)
#define log_info(...)  ls_log(LS_LOG_INFO, "core", __VA_ARGS__)
#define log_debug(...) do { if (ls_log_enabled(LS_LOG_DEBUG)) ls_log(LS_LOG_DEBUG, "core", __VA_ARGS__); } while (0)

void log_set_level(int level);
int log_get_level(void);
int log_level_from_name(const char *name); /* -1 when unknown */
#endif
