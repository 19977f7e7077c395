/* The auth unit's message access; see auth_msg.h. */
#include "auth_msg.h"
#include <lunasip/msg.h>
#include <stdlib.h>
#include <string.h>

int auth_msg_is_request(const struct sip_msg *msg)
{
    return sipmsg_is_request(msg);
}

const char *auth_msg_method(const struct sip_msg *msg)
{
    static char method[64]; /* main loop only; valid until the next call */
    return sip_str_copy(sipmsg_method(msg), method, sizeof method);
}

char *auth_msg_header(struct sip_msg *msg, const char *name, int pos)
{
    struct sip_str v = sipmsg_header(msg, name, pos);
    return v.s ? strndup(v.s, v.len) : NULL;
}

int auth_msg_remove_value(struct sip_msg *msg, const char *name, int pos)
{
    return sipmsg_header_remove_value(msg, name, pos);
}

void *auth_msg_state(const struct sip_msg *msg)
{
    return sipmsg_slot_get(msg, "auth");
}

int auth_msg_set_state(struct sip_msg *msg, void *state)
{
    return sipmsg_slot_set(msg, "auth", state, free);
}
