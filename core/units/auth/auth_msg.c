/* The auth unit's message access; see auth_msg.h. */
#include "auth_msg.h"
#include <lunasip/msg.h>
#include <stdlib.h>

int auth_msg_is_request(const struct sip_msg *msg)
{
    return sipmsg_is_request(msg);
}

const char *auth_msg_method(const struct sip_msg *msg)
{
    return msg->m->sip_method ? msg->m->sip_method : "";
}

char *auth_msg_header(struct sip_msg *msg, const char *name, int pos)
{
    char *v = NULL;
    return sipmsg_header_get(msg->m, name, pos, &v) == 0 ? v : NULL;
}

int auth_msg_remove_value(struct sip_msg *msg, const char *name, int pos)
{
    char *vals[64];
    int n = 0;
    while (n < 64 && (vals[n] = auth_msg_header(msg, name, n)) != NULL)
        n++;
    int rc = pos < n && sipmsg_header_remove(msg->m, name) >= 0 ? 0 : -1;
    for (int i = 0; i < n; i++) {
        if (rc == 0 && i != pos && sipmsg_header_append(msg->m, name, vals[i]) != 0)
            rc = -1;
        free(vals[i]);
    }
    return rc;
}

void *auth_msg_state(const struct sip_msg *msg)
{
    return sipmsg_slot_get(msg, "auth");
}

int auth_msg_set_state(struct sip_msg *msg, void *state)
{
    return sipmsg_slot_set(msg, "auth", state, free);
}
