/* The main loop handle, below every layer: server.c sets it, everyone reads server_base()
 * (lunasip/loop.h). Main loop only. */
#ifndef CORE_LOOP_H
#define CORE_LOOP_H
#include <lunasip/loop.h>

/* Set by the process once the loop exists (NULL again after it is freed). */
void loop_set_base(struct event_base *b);

#endif
