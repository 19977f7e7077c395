#include "fuzz_common.h"
#include "log.h"
#include "lua/script.h"
#include "http/http.h"
#include <lunasip/lua.h>
#include "loop.h"
#include <arpa/inet.h>
#include <event2/event.h>
#include <lunasip/msg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static struct event_base *base;

/* Linked with -Wl,--wrap=sendto,--wrap=sendmsg,--wrap=sendmmsg: nothing the fuzzed messages
 * make us send over UDP leaves the process (TCP to our own listeners goes through write()). */
ssize_t __wrap_sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to, socklen_t tolen)
{
    return (ssize_t)len;
}

ssize_t __wrap_sendmsg(int fd, const struct msghdr *m, int flags)
{
    size_t n = 0;
    for (size_t i = 0; i < m->msg_iovlen; i++)
        n += m->msg_iov[i].iov_len;
    return (ssize_t)n;
}

int __wrap_sendmmsg(int fd, struct mmsghdr *v, unsigned int vlen, int flags)
{
    for (unsigned i = 0; i < vlen; i++) {
        v[i].msg_len = 0;
        for (size_t k = 0; k < v[i].msg_hdr.msg_iovlen; k++)
            v[i].msg_len += (unsigned)v[i].msg_hdr.msg_iov[k].iov_len;
    }
    return (int)vlen;
}

struct event_base *fuzz_init(const char *script)
{
    char err[1024];
    if (base)
        return base;
    static const script_open_fn bindings[] = { /* as core/server.c, without units */
        lmsg_open, lsip_open, http_req_lua_open, http_client_lua_open, NULL,
    };
    log_set_level(getenv("FUZZ_VERBOSE") ? LS_LOG_DEBUG : -1);
    script_set_openers(bindings);
    sip_route_init();
    sipmsg_init();
    base = event_base_new();
    loop_set_base(base);
    if (transport_listen(base, "udp:127.0.0.1:0", err, sizeof err) != 0) {
        fprintf(stderr, "fuzz: %s\n", err);
        abort();
    }
    transport_cancel_pending(); /* names fail at once: no lookups pile up */
    if (script) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", LUNASIP_FUZZ_DIR, script);
        struct script *s = script_load(path, err, sizeof err);
        if (!s) {
            fprintf(stderr, "fuzz: %s\n", err);
            abort();
        }
        script_activate(s);
    }
    return base;
}

void fuzz_drain(void)
{
    event_base_loop(base, EVLOOP_NONBLOCK);
}

struct sip_source fuzz_udp_source(void)
{
    struct sip_source src = { .addr = { .proto = PROTO_UDP, .salen = sizeof(struct sockaddr_in) } };
    struct sockaddr_in *sin = (struct sockaddr_in *)&src.addr.sa;
    sin->sin_family = AF_INET;
    sin->sin_port = htons(5070);
    inet_pton(AF_INET, "127.0.0.1", &sin->sin_addr);
    src.lst = transport_listener_for(PROTO_UDP, AF_INET);
    return src;
}
