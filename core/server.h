/* Process-wide state: the event loop, start-up, reload, shutdown. Main loop only. */
#ifndef CORE_SERVER_H
#define CORE_SERVER_H
#include <stddef.h>
#include <lunasip/unit.h> /* server_base(), server_script_path() */


struct server_options {
    const char *script;        /* -f, or NULL */
    const char **listen;       /* -l entries (override config.listen) */
    int nlisten;
    const char *unit_dir;      /* -U, or NULL */
    int log_delta;             /* -v minus -q */
};

/* -c: load and check the script. Prints OK or the reason; returns the exit status. */
int server_check(const struct server_options *o);
/* Run until SIGTERM/SIGINT. Returns the exit status. */
int server_run(const struct server_options *o);
/* Reload the script (SIGHUP, /api/reload). Returns 0, or -1 with the reason in err. */
int server_reload(char *err, size_t errlen);

#endif
