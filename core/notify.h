/* The systemd notification protocol (sd_notify(3)) without libsystemd: one datagram per state
 * change to $NOTIFY_SOCKET (a path, or an abstract name when it starts with '@'). Does nothing
 * when the variable is unset. Main loop only. */
#ifndef CORE_NOTIFY_H
#define CORE_NOTIFY_H

/* Send state, e.g. "READY=1". Failures are logged at debug level and otherwise ignored. */
void notify_send(const char *state);
/* "RELOADING=1" with the MONOTONIC_USEC systemd asks for since v253. */
void notify_reloading(void);

#endif
