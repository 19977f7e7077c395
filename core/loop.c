/* The main loop handle (include/lunasip/loop.h): set once by the process, read by every layer. */
#include "loop.h"
#include <time.h>

static struct event_base *base;

struct event_base *server_base(void) { return base; }
void loop_set_base(struct event_base *b) { base = b; }

/* libevent reads CLOCK_MONOTONIC_COARSE unless the base asks for precise timers, which costs a
 * timerfd_settime per loop pass: the delay gets how far the coarse clock is behind instead. */
int loop_timer_arm_now(struct event *ev, long ms)
{
    struct timespec fine, coarse;
    long lag_us = 0;
    if (clock_gettime(CLOCK_MONOTONIC_COARSE, &coarse) == 0 && clock_gettime(CLOCK_MONOTONIC, &fine) == 0)
        lag_us = (long)(fine.tv_sec - coarse.tv_sec) * 1000000 + (fine.tv_nsec - coarse.tv_nsec) / 1000 + 1;
    event_base_update_cache_time(event_get_base(ev));
    struct timeval tv = ls_tv_ms(ms);
    tv.tv_usec += lag_us > 0 ? lag_us : 0;
    tv.tv_sec += tv.tv_usec / 1000000;
    tv.tv_usec %= 1000000;
    return event_add(ev, &tv);
}
