/* The receive-path hooks a unit gives in its struct ls_unit (lunasip/unit.h): their result
 * and their types. Main loop only. */
#ifndef LUNASIP_HOOK_H
#define LUNASIP_HOOK_H
#include <stddef.h>
#include <lunasip/api.h>

LS_API_BEGIN
struct sip_msg;

/* What a hook returns: NEXT lets the next hook (and in the end the core) handle the message;
 * DONE: handled, the chain stops; FAILED (on_local_reply only): taken but not sent. */
enum ls_hook_result { LS_HOOK_FAILED = -1, LS_HOOK_NEXT = 0, LS_HOOK_DONE = 1 };

typedef int (*ls_msg_hook)(struct sip_msg *msg);                          /* on_request, on_reply */
typedef int (*ls_route_end_hook)(struct sip_msg *msg, int failed);        /* on_route_end */
typedef int (*ls_local_reply_hook)(struct sip_msg *req, int code, const char *buf, size_t len);

LS_API_END
#endif
