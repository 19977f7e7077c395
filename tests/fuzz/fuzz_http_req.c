/* HTTP request to req: the input is what a client sends to the HTTP server; built-in paths,
 * unit-less API errors and http.lua's on_http, which reads every req field. */
#include "fuzz_peer.h"
#include "http/http.h"
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int port;
    if (!port) {
        char err[256], spec[64];
        struct event_base *base = fuzz_init(FUZZ_SCRIPT);
        int probe = socket(AF_INET, SOCK_STREAM, 0); /* a free port for the HTTP server */
        struct sockaddr_in sin = { .sin_family = AF_INET };
        socklen_t len = sizeof sin;
        inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
        if (bind(probe, (struct sockaddr *)&sin, sizeof sin) != 0 || getsockname(probe, (struct sockaddr *)&sin, &len) != 0)
            abort();
        port = ntohs(sin.sin_port);
        close(probe);
        snprintf(spec, sizeof spec, "127.0.0.1:%d", port);
        http_configure(NULL, 4096);
        if (http_start(base, spec, err, sizeof err) != 0) {
            fprintf(stderr, "fuzz: %s\n", err);
            abort();
        }
    }
    if (size > 65536)
        return 0;
    fuzz_peer_send(port, data, size);
    return 0;
}
