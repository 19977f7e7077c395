/* The HTTP/1.x request parser of the server (http_conn.c): pure code, no I/O, resumable.
 *
 * A connection keeps one struct http_parser per request being read and calls
 * http_parse_request() each time bytes were added to its buffer, with the buffer's bytes from
 * the start of the request. The parser finds the end of the head incrementally (a dribbling
 * client costs O(bytes), not O(bytes^2)), parses the request line and headers once, then waits
 * for a Content-Length body or decodes a chunked one in place. Once the head is parsed it
 * writes NULs into it (after the method, the target, each header name and value): the strings
 * of the finished request point into the caller's buffer, which must not lose the request's
 * bytes until the request is done. Offsets are relative to the request's first byte, so the
 * caller may move (realloc) the buffer between calls. */
#ifndef CORE_HTTP_PARSE_H
#define CORE_HTTP_PARSE_H
#include <stddef.h>
#include <stdint.h>

#define HTTP_MAX_HEADER_LINES 100 /* header lines of one request; more: 431 */

enum http_parse_result {
    HTTP_PARSE_DONE = 0,      /* a whole request: see http_parse_msg() */
    HTTP_PARSE_MORE = 1,      /* needs more bytes */
    /* otherwise the HTTP status to answer before closing the connection: 400 (malformed),
     * 413 (body over max_body), 417 (an Expect other than 100-continue), 431 (head over max_head or too many lines), 501 (a transfer
     * coding other than chunked), 505 (HTTP version). A request without Content-Length or
     * Transfer-Encoding has no body (RFC 9112 6.3), so 411 is never needed. */
};

struct http_span {
    uint16_t name, value;     /* offsets of the NUL-terminated name and value */
};

struct http_parser {
    size_t scan;              /* head bytes already searched for the empty line */
    size_t head;              /* length of the head (request line + headers + empty line), 0 before */
    size_t body;              /* Content-Length, or the decoded body so far when chunked */
    size_t raw;               /* chunked: offset of the next undecoded byte */
    size_t chunk;             /* chunked: bytes left in the current chunk; in the trailers,
                               * the offset where they start */
    uint16_t method, path, query; /* offsets; path 0: "/" (absolute URI without one), query 0: none */
    uint8_t minor;            /* HTTP/1.<minor> */
    uint8_t cstate;           /* chunked: size line, data, CRLF after the data, trailers */
    unsigned chunked : 1;     /* Transfer-Encoding: chunked */
    unsigned keep_alive : 1;  /* the connection stays open after the answer */
    unsigned expect : 1;      /* Expect: 100-continue */
    int nhdrs;
    struct http_span hdrs[HTTP_MAX_HEADER_LINES];
    const char *error;        /* why a request was refused (for the error body) */
};

struct http_limits_parse {
    size_t max_head;          /* bytes of request line + headers */
    size_t max_body;          /* bytes of body (after chunked decoding) */
};

/* Parse what buf (len bytes from the start of the request) holds so far; p starts zeroed
 * (memset) for each request. Returns an enum http_parse_result or an HTTP error status. */
int http_parse_request(struct http_parser *p, char *buf, size_t len, const struct http_limits_parse *lim);

/* A finished request's strings (valid while its bytes are in buf, which is the same buffer
 * http_parse_request() was given, possibly moved). */
struct http_msg {
    const char *method;       /* as sent: "GET" */
    const char *path;         /* the target's path, %XX decoded ("*" for OPTIONS *) */
    const char *query;        /* raw, without '?', or NULL */
    const char *body;         /* the body (decoded when chunked), not NUL-terminated */
    size_t body_len;
    size_t total;             /* bytes of the request in buf: the next request starts there */
};
void http_parse_msg(const struct http_parser *p, char *buf, struct http_msg *m);

/* The value of the first header called name (case-insensitive), or NULL. */
const char *http_parse_header(const struct http_parser *p, const char *buf, const char *name);

/* Is tok one of the comma-separated tokens of list (case-insensitive)? "close" in "foo, Close". */
int http_parse_has_token(const char *list, const char *tok);

#endif
