/* The main loop handle (include/lunasip/loop.h): set once by the process, read by every layer. */
#include "loop.h"

static struct event_base *base;

struct event_base *server_base(void) { return base; }
void loop_set_base(struct event_base *b) { base = b; }
