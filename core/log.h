/* Core logging shortcuts over ls_log() with the unit name "core", and where log lines go. */
#ifndef CORE_LOG_H
#define CORE_LOG_H
#include <lunasip/log.h>
#include <syslog.h>

#define log_error(...) ls_log(LS_LOG_ERROR, "core", __VA_ARGS__)
#define log_warn(...)  ls_log(LS_LOG_WARN, "core", __VA_ARGS__)
#define log_info(...)  ls_log(LS_LOG_INFO, "core", __VA_ARGS__)
#define log_debug(...) do { if (ls_log_enabled(LS_LOG_DEBUG)) ls_log(LS_LOG_DEBUG, "core", __VA_ARGS__); } while (0)

void log_set_level(int level);
int log_get_level(void);
int log_level_from_name(const char *name); /* -1 when unknown */

/* config.log apart from the level. */
struct log_settings {
    int timestamps;             /* prefix stderr lines with an ISO 8601 UTC time */
    int syslog;                 /* send lines to the syslog socket instead of stderr */
    int facility;               /* LOG_DAEMON, LOG_LOCAL0, ... (already shifted, as syslog.h has them) */
    char socket[108];           /* the syslog socket, "/dev/log" */
};
#define LOG_SETTINGS_DEFAULT ((struct log_settings){ 0, 0, LOG_DAEMON, "/dev/log" })

/* Use these settings from the next line on (start and reload). */
void log_configure(const struct log_settings *ls);
/* "daemon", "local3", ... to its LOG_* value; -1 when unknown. */
int log_facility_from_name(const char *name);
#endif
