/* Receive-path hook chains (core/sip/hook.h). */
#include "sip/hook.h"
#include <stdlib.h>
#include <string.h>

static const struct ls_unit **chain;
static size_t nchain;

void sip_hook_set(const struct ls_unit *const *units, size_t n)
{
    free(chain);
    chain = NULL;
    nchain = 0;
    if (!n || !(chain = malloc(n * sizeof *chain)))
        return;
    memcpy(chain, units, n * sizeof *chain);
    nchain = n;
}

#define RUN(field, ...)                                           \
    for (size_t i = 0; i < nchain; i++) {                         \
        int rc = chain[i]->field ? chain[i]->field(__VA_ARGS__) : LS_HOOK_NEXT; \
        if (rc != LS_HOOK_NEXT)                                   \
            return rc;                                            \
    }                                                             \
    return LS_HOOK_NEXT

int sip_hook_request(struct sip_msg *msg) { RUN(on_request, msg); }
int sip_hook_reply(struct sip_msg *msg) { RUN(on_reply, msg); }
int sip_hook_route_end(struct sip_msg *msg, int failed) { RUN(on_route_end, msg, failed); }
int sip_hook_local_reply(struct sip_msg *req, int code, const char *buf, size_t len) { RUN(on_local_reply, req, code, buf, len); }
