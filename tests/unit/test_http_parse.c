/* The HTTP request parser (core/http/http_parse.c): whole requests, pipelined ones, bytes fed
 * one at a time, chunked bodies, every refusal with its status. */
#include "check.h"
#include "http/http_parse.h"
#include <stdlib.h>

static const struct http_limits_parse lim = { .max_head = 1024, .max_body = 64 };

/* Parse the request at the start of text, fed step bytes at a time (0: all at once), into a
 * copy the caller frees (*buf). Returns the parser's last result. */
static int feed(const char *text, size_t len, size_t step, struct http_parser *p, char **buf, struct http_msg *m)
{
    memset(p, 0, sizeof *p);
    *buf = NULL;
    size_t have = 0;
    int r;
    do {
        size_t next = step && have + step < len ? have + step : len;
        /* a fresh buffer each time: the parser must live with the caller moving it; the bytes
         * seen before are kept as the parser left them (it writes into them) */
        char *nb = malloc(len + 1);
        if (have)
            memcpy(nb, *buf, have);
        memcpy(nb + have, text + have, next - have);
        free(*buf);
        *buf = nb;
        have = next;
        r = http_parse_request(p, *buf, have, &lim);
    } while (r == HTTP_PARSE_MORE && have < len);
    if (r == HTTP_PARSE_DONE)
        http_parse_msg(p, *buf, m);
    return r;
}

static int status_of(const char *text)
{
    struct http_parser p;
    struct http_msg m;
    char *buf;
    int r = feed(text, strlen(text), 0, &p, &buf, &m);
    free(buf);
    return r;
}

static void test_simple(void)
{
    const char *req = "GET /a%20b/c?x=1&y=%20 HTTP/1.1\r\nHost: h\r\nX-Long:   spaced value \t\r\nEmpty:\r\n\r\n";
    for (size_t step = 0; step <= 3; step++) {
        struct http_parser p;
        struct http_msg m;
        char *buf;
        CHECK(feed(req, strlen(req), step, &p, &buf, &m) == HTTP_PARSE_DONE);
        CHECK_STR(m.method, "GET");
        CHECK_STR(m.path, "/a b/c");
        CHECK_STR(m.query, "x=1&y=%20");
        CHECK(m.body_len == 0);
        CHECK(m.total == strlen(req));
        CHECK(p.keep_alive && p.minor == 1);
        CHECK_STR(http_parse_header(&p, buf, "host"), "h");
        CHECK_STR(http_parse_header(&p, buf, "X-LONG"), "spaced value");
        CHECK_STR(http_parse_header(&p, buf, "Empty"), "");
        CHECK(http_parse_header(&p, buf, "Missing") == NULL);
        CHECK(p.nhdrs == 3);
        free(buf);
    }
}

static void test_incomplete(void)
{
    /* every proper prefix of a request with a body needs more */
    const char *req = "POST /p HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello";
    for (size_t n = 0; n < strlen(req); n++) {
        struct http_parser p = { 0 };
        char buf[128];
        memcpy(buf, req, n);
        CHECK(http_parse_request(&p, buf, n, &lim) == HTTP_PARSE_MORE);
    }
    struct http_parser p;
    struct http_msg m;
    char *buf;
    for (size_t step = 1; step <= 7; step++) {
        CHECK(feed(req, strlen(req), step, &p, &buf, &m) == HTTP_PARSE_DONE);
        CHECK(m.body_len == 5 && !memcmp(m.body, "hello", 5));
        CHECK(m.total == strlen(req));
        free(buf);
    }
}

static void test_pipelined(void)
{
    char buf[512];
    const char *two = "GET /one HTTP/1.1\r\n\r\nPOST /two HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET /thr";
    size_t len = strlen(two), off = 0;
    memcpy(buf, two, len);
    struct http_parser p = { 0 };
    struct http_msg m;
    CHECK(http_parse_request(&p, buf, len, &lim) == HTTP_PARSE_DONE);
    http_parse_msg(&p, buf, &m);
    CHECK_STR(m.path, "/one");
    off += m.total;
    memset(&p, 0, sizeof p);
    CHECK(http_parse_request(&p, buf + off, len - off, &lim) == HTTP_PARSE_DONE);
    http_parse_msg(&p, buf + off, &m);
    CHECK_STR(m.path, "/two");
    CHECK(m.body_len == 3 && !memcmp(m.body, "abc", 3));
    off += m.total;
    memset(&p, 0, sizeof p);
    CHECK(http_parse_request(&p, buf + off, len - off, &lim) == HTTP_PARSE_MORE);
    CHECK(off + strlen("GET /thr") == len);
}

static void test_chunked(void)
{
    const char *req = "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "5;ext=1\r\nhello\r\n1A\r\n, and a longer second one\r\n0\r\nTrailer: x\r\n\r\nGET";
    size_t len = strlen(req) - 3;
    for (size_t step = 0; step <= 5; step++) {
        struct http_parser p;
        struct http_msg m;
        char *buf;
        CHECK(feed(req, len, step, &p, &buf, &m) == HTTP_PARSE_DONE);
        CHECK(m.body_len == 31);
        CHECK(m.body_len == 31 && !memcmp(m.body, "hello, and a longer second one", 30));
        CHECK(m.total == len);
        free(buf);
    }
    CHECK(status_of("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n") == 400);
    CHECK(status_of("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n") == 400);
    CHECK(status_of("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n41\r\n") == 413);
    CHECK(status_of("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n20\r\n") == HTTP_PARSE_MORE);
    CHECK(status_of("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "20\r\n12345678901234567890123456789012\r\n21\r\n") == 413);
    CHECK(status_of("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffffff\r\n") == 413);
    CHECK(status_of("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n") == 501);
    CHECK(status_of("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n") == 400);
}

static void test_refused(void)
{
    CHECK(status_of("GET /\r\n\r\n") == 400);                      /* HTTP/0.9 */
    CHECK(status_of("GET  / HTTP/1.1\r\n\r\n") == 400);
    CHECK(status_of("GET / HTTP/1.1 x\r\n\r\n") == 400);
    CHECK(status_of("G(T / HTTP/1.1\r\n\r\n") == 400);
    CHECK(status_of("GET relative HTTP/1.1\r\n\r\n") == 400);
    CHECK(status_of("GET /a\x01 HTTP/1.1\r\n\r\n") == 400);
    CHECK(status_of("GET / HTTP/2.0\r\n\r\n") == 505);
    CHECK(status_of("GET / HTTQ/1.1\r\n\r\n") == 400);
    CHECK(status_of("GET /%00x HTTP/1.1\r\n\r\n") == 400);
    CHECK(status_of("GET / HTTP/1.1\r\nNo colon\r\n\r\n") == 400);
    CHECK(status_of("GET / HTTP/1.1\r\nName : v\r\n\r\n") == 400);
    CHECK(status_of("GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n") == 400);
    CHECK(status_of("GET / HTTP/1.1\r\nA: b\x7f\r\n\r\n") == 400);
    CHECK(status_of("GET / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n") == 400);
    CHECK(status_of("GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n") == 400);
    CHECK(status_of("GET / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n") == 400);
    CHECK(status_of("POST / HTTP/1.1\r\nContent-Length: 65\r\n\r\n") == 413);
    CHECK(status_of("POST / HTTP/1.1\r\nContent-Length: 64\r\n\r\n") == HTTP_PARSE_MORE);
    CHECK(status_of("POST / HTTP/1.1\r\nExpect: something\r\n\r\n") == 417);
    /* head limits: bytes (also before the empty line arrived) and lines */
    char big[2048];
    snprintf(big, sizeof big, "GET / HTTP/1.1\r\nX: %01010d\r\n\r\n", 0);
    CHECK(status_of(big) == 431);
    snprintf(big, sizeof big, "GET / HTTP/1.1\r\nX: %01100d", 0);
    CHECK(status_of(big) == 431);
    snprintf(big, sizeof big, "GET / HTTP/1.1\r\nX: %0900d", 0);
    CHECK(status_of(big) == HTTP_PARSE_MORE);
    struct http_limits_parse wide = { .max_head = 8192, .max_body = 0 };
    char many[8192] = "GET / HTTP/1.1\r\n";
    for (int i = 0; i <= HTTP_MAX_HEADER_LINES; i++)
        strcat(many, "A: b\r\n");
    strcat(many, "\r\n");
    struct http_parser p = { 0 };
    CHECK(http_parse_request(&p, many, strlen(many), &wide) == 431);
    CHECK(p.error != NULL);
}

static void test_forms(void)
{
    struct http_parser p;
    struct http_msg m;
    char *buf;
    /* HTTP/1.0: closes unless keep-alive is asked; 1.1 keeps unless close is */
    CHECK(feed("GET / HTTP/1.0\r\n\r\n", 18, 0, &p, &buf, &m) == 0 && !p.keep_alive && p.minor == 0);
    free(buf);
    const char *ka = "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n";
    CHECK(feed(ka, strlen(ka), 0, &p, &buf, &m) == 0 && p.keep_alive);
    free(buf);
    const char *cl = "GET / HTTP/1.1\r\nConnection: foo, close\r\n\r\n";
    CHECK(feed(cl, strlen(cl), 0, &p, &buf, &m) == 0 && !p.keep_alive);
    free(buf);
    /* bare LF, leading empty lines, absolute form, '*', Expect */
    const char *lf = "\r\n\nPUT http://example.com:80/x/y?q HTTP/1.1\nExpect: 100-continue\nContent-Length: 2\n\nab";
    CHECK(feed(lf, strlen(lf), 0, &p, &buf, &m) == 0);
    CHECK_STR(m.method, "PUT");
    CHECK_STR(m.path, "/x/y");
    CHECK_STR(m.query, "q");
    CHECK(p.expect && m.body_len == 2 && m.total == strlen(lf));
    free(buf);
    const char *abs = "GET https://example.com?q=1 HTTP/1.1\r\n\r\n";
    CHECK(feed(abs, strlen(abs), 0, &p, &buf, &m) == 0);
    CHECK_STR(m.path, "/");
    CHECK_STR(m.query, "q=1");
    free(buf);
    const char *star = "OPTIONS * HTTP/1.1\r\n\r\n";
    CHECK(feed(star, strlen(star), 0, &p, &buf, &m) == 0);
    CHECK_STR(m.path, "*");
    CHECK(m.query == NULL);
    free(buf);
}

int main(void)
{
    test_simple();
    test_incomplete();
    test_pipelined();
    test_chunked();
    test_refused();
    test_forms();
    return check_report("test_http_parse");
}
