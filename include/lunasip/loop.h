/* The main libevent loop as units and the core layers see it: timers in milliseconds.
 * Main loop only. */
#ifndef LUNASIP_LOOP_H
#define LUNASIP_LOOP_H
#include <event2/event.h>
#include <sys/time.h>
#include <lunasip/api.h>

LS_API_BEGIN
/* The main libevent loop (NULL while only checking a script with -c). */
struct event_base *server_base(void);

/* ms (>= 0) milliseconds as a timeval. */
static inline struct timeval ls_tv_ms(long ms)
{
    struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };
    return tv;
}

/* (Re)arm timer ev to fire in ms milliseconds (0: on the next loop turn). Returns event_add's
 * 0 or -1. */
static inline int ls_timer_arm(struct event *ev, long ms)
{
    struct timeval tv = ls_tv_ms(ms);
    return event_add(ev, &tv);
}

LS_API_END
#endif
