/* SIP over TCP framing: the input is what a peer sends on one connection (several messages,
 * keepalive CRLFs, Content-Length games), framed by tcp.c and received by the core. */
#include "fuzz_peer.h"
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int port;
    if (!port) {
        char err[256];
        struct event_base *base = fuzz_init(FUZZ_SCRIPT);
        if (transport_listen(base, "tcp:127.0.0.1:0", err, sizeof err) != 0) {
            fprintf(stderr, "fuzz: %s\n", err);
            abort();
        }
        port = transport_listener_for(PROTO_TCP, AF_INET)->port;
    }
    if (size > 4 * SIP_MAX_MESSAGE)
        return 0;
    fuzz_peer_send(port, data, size);
    return 0;
}
