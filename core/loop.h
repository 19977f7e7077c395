/* The main loop handle, below every layer: server.c sets it, everyone reads server_base()
 * (lunasip/loop.h). Main loop only. */
#ifndef CORE_LOOP_H
#define CORE_LOOP_H
#include <lunasip/loop.h>

/* Set by the process once the loop exists (NULL again after it is freed). */
void loop_set_base(struct event_base *b);

/* Arm timer ev (of the main loop) to fire no sooner than ms milliseconds from now. ls_timer_arm
 * counts from the time libevent cached at the start of the loop pass, which a busy pass leaves
 * tens of ms behind, on a clock that moves in steps (CLOCK_MONOTONIC_COARSE, 4 ms here), so the
 * timer may fire that much early: fine for protocol timers, not for the timers a script
 * measures (sip.sleep, sip.after, sip.every). */
int loop_timer_arm_now(struct event *ev, long ms);

#endif
