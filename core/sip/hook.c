/* Receive-path hook chains (core/sip/hook.h). */
#include "sip/hook.h"
#include <stdlib.h>

static struct sip_hooks *chain;
static size_t nchain;

int sip_hook_add(const struct sip_hooks *h)
{
    struct sip_hooks *n = realloc(chain, (nchain + 1) * sizeof *chain);
    if (!n)
        return -1;
    chain = n;
    chain[nchain++] = *h;
    return 0;
}

void sip_hook_clear(void)
{
    free(chain);
    chain = NULL;
    nchain = 0;
}

#define RUN(field, ...)                                           \
    for (size_t i = 0; i < nchain; i++) {                         \
        int rc = chain[i].field ? chain[i].field(__VA_ARGS__) : LS_HOOK_NEXT; \
        if (rc != LS_HOOK_NEXT)                                   \
            return rc;                                            \
    }                                                             \
    return LS_HOOK_NEXT

int sip_hook_request(struct sip_msg *msg) { RUN(on_request, msg); }
int sip_hook_reply(struct sip_msg *msg) { RUN(on_reply, msg); }
int sip_hook_route_end(struct sip_msg *msg, int failed) { RUN(on_route_end, msg, failed); }
int sip_hook_local_reply(struct sip_msg *req, int code, const char *buf, size_t len) { RUN(on_local_reply, req, code, buf, len); }
