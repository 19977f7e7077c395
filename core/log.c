#include "log.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int level = LS_LOG_INFO;
static const char *names[] = { "ERROR", "WARN", "INFO", "DEBUG" };
static const int priorities[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
static struct log_settings settings = LOG_SETTINGS_DEFAULT;
static int syslog_fd = -1; /* unconnected datagram socket, opened on first use */

static const struct { const char *name; int value; } facilities[] = {
    { "kern", LOG_KERN }, { "user", LOG_USER }, { "mail", LOG_MAIL }, { "daemon", LOG_DAEMON },
    { "auth", LOG_AUTH }, { "syslog", LOG_SYSLOG }, { "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
    { "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 }, { "local4", LOG_LOCAL4 },
    { "local5", LOG_LOCAL5 }, { "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};

void log_set_level(int l) { level = l < LS_LOG_ERROR ? LS_LOG_ERROR : l > LS_LOG_DEBUG ? LS_LOG_DEBUG : l; }
int log_get_level(void) { return level; }
int ls_log_enabled(int l) { return l <= level; }
void log_configure(const struct log_settings *ls) { settings = *ls; }

int log_level_from_name(const char *name)
{
    for (int i = 0; i <= LS_LOG_DEBUG; i++)
        if (strcasecmp(name, names[i]) == 0)
            return i;
    return strcasecmp(name, "warning") == 0 ? LS_LOG_WARN : -1;
}

int log_facility_from_name(const char *name)
{
    for (size_t i = 0; i < sizeof facilities / sizeof facilities[0]; i++)
        if (strcasecmp(name, facilities[i].name) == 0)
            return facilities[i].value;
    return -1;
}

/* One RFC 3164 datagram to the syslog socket; -1 when it could not be sent. */
static int send_syslog(int l, const char *unit, const char *line)
{
    if (syslog_fd < 0 && (syslog_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
        return -1;
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", settings.socket);
    char msg[2200], stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    strftime(stamp, sizeof stamp, "%b %e %H:%M:%S", localtime_r(&now, &tm));
    int n = snprintf(msg, sizeof msg, "<%d>%s lunasip[%d]: [%s] %s", settings.facility | priorities[l], stamp,
                     (int)getpid(), unit, line);
    if (n >= (int)sizeof msg)
        n = sizeof msg - 1;
    return sendto(syslog_fd, msg, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&sa, sizeof sa) < 0 ? -1 : 0;
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
    l = l < 0 ? 0 : l;
    unit = unit ? unit : "core";
    if (settings.syslog && send_syslog(l, unit, line) == 0)
        return; /* when syslog is unreachable the line goes to stderr rather than nowhere */
    if (settings.timestamps) {
        struct timeval tv;
        struct tm tm;
        char stamp[32];
        gettimeofday(&tv, NULL);
        strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", gmtime_r(&tv.tv_sec, &tm));
        fprintf(stderr, "%s.%03dZ %s [%s] %s\n", stamp, (int)(tv.tv_usec / 1000), names[l], unit, line);
    } else {
        fprintf(stderr, "%s [%s] %s\n", names[l], unit, line);
    }
}
