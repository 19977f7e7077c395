/* Every access the auth unit makes to a SIP message, in one place (auth_msg.c), so that a
 * change of the message API stays local. Main loop only. */
#ifndef AUTH_MSG_H
#define AUTH_MSG_H

struct sip_msg;

/* True for a request; its method ("" when unknown). */
int auth_msg_is_request(const struct sip_msg *msg);
const char *auth_msg_method(const struct sip_msg *msg);
/* Value number pos of header name (malloc'd, the caller frees), or NULL when there is none. */
char *auth_msg_header(struct sip_msg *msg, const char *name, int pos);
/* Remove value number pos of header name, keeping the others in order. 0 or -1. */
int auth_msg_remove_value(struct sip_msg *msg, const char *name, int pos);
/* Per-message storage of the unit (see sipmsg_slot_get/set); set takes ownership (free()). */
void *auth_msg_state(const struct sip_msg *msg);
int auth_msg_set_state(struct sip_msg *msg, void *state);

#endif
