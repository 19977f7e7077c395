/* HTTP request to req: the input is what a client sends to the HTTP server. First the request
 * parser alone (http_parse.c), fed the input in two pieces split where its first byte says,
 * request after request as the server does (its results must stay inside the buffer); then the
 * same bytes through a real connection: the server's parser, built-in paths, unit-less API
 * errors and http.lua's on_http, which reads every req field. */
#include "fuzz_peer.h"
#include "http/http.h"
#include "http/http_parse.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void parse_alone(const uint8_t *data, size_t size)
{
    static const struct http_limits_parse lim = { HTTP_MAX_HEADERS, 4096 };
    char *buf = malloc(size + 1);
    size_t split = size ? data[0] % (size + 1) : 0, have = split, off = 0;
    memcpy(buf, data, size);
    struct http_parser p = { 0 };
    for (;;) {
        int r = http_parse_request(&p, buf + off, have - off, &lim);
        if (r == HTTP_PARSE_MORE) {
            if (have == size)
                break;
            have = size; /* the second piece arrives */
            continue;
        }
        if (r != HTTP_PARSE_DONE)
            break;
        struct http_msg m;
        http_parse_msg(&p, buf + off, &m);
        if (m.total == 0 || m.total > have - off || m.body + m.body_len > buf + have || strlen(m.method) == 0)
            abort();
        for (int i = 0; i < p.nhdrs; i++)
            (void)strlen(buf + off + p.hdrs[i].value);
        (void)http_parse_header(&p, buf + off, "Host");
        off += m.total;
        memset(&p, 0, sizeof p);
    }
    free(buf);
}

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
    parse_alone(data, size);
    fuzz_peer_send(port, data, size);
    return 0;
}
