/* WebSocket server side for SIP (RFC 6455, RFC 7118): the handshake, frames, fragments,
 * ping/pong, the close handshake and the size limit. Main loop only. */
#include "transport/ws.h"
#include <lunasip/transport.h>
#include <event2/buffer.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define WS_MAX_HANDSHAKE 8192 /* bytes of the HTTP upgrade request */
#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

static size_t ws_max_frame = SIP_MAX_MESSAGE;
static char **ws_origins;
static size_t ws_norigins;

void ws_configure(size_t max_frame, const char *const *origins, size_t n)
{
    ws_max_frame = max_frame && max_frame < SIP_MAX_MESSAGE ? max_frame : SIP_MAX_MESSAGE;
    for (size_t i = 0; i < ws_norigins; i++)
        free(ws_origins[i]);
    free(ws_origins);
    ws_origins = n ? calloc(n, sizeof *ws_origins) : NULL;
    ws_norigins = ws_origins ? n : 0;
    for (size_t i = 0; i < ws_norigins; i++)
        ws_origins[i] = strdup(origins[i]);
}

void ws_free(struct ws_conn *ws)
{
    if (ws->frag)
        evbuffer_free(ws->frag);
    ws->frag = NULL;
}

/* The value of header `name` in the header block h (after the request line), trimmed, in v;
 * the n-th occurrence. Returns its length, or -1 when absent. */
static int hdr_get(const char *h, const char *name, int nth, char *v, size_t vlen)
{
    size_t nl = strlen(name);
    for (const char *line = strstr(h, "\r\n"); line && line[2]; line = strstr(line + 2, "\r\n")) {
        const char *p = line + 2, *eol = strstr(p, "\r\n");
        if (!eol || strncasecmp(p, name, nl) != 0 || p[nl] != ':' || nth-- > 0)
            continue;
        for (p += nl + 1; *p == ' ' || *p == '\t'; p++)
            ;
        size_t n = (size_t)(eol - p);
        while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        if (n >= vlen)
            n = vlen - 1;
        memcpy(v, p, n);
        v[n] = '\0';
        return (int)n;
    }
    return -1;
}

/* Header `name` (any occurrence) lists token (comma-separated, case-insensitive). */
static int hdr_has_token(const char *h, const char *name, const char *token)
{
    char v[512];
    size_t tl = strlen(token);
    for (int i = 0; hdr_get(h, name, i, v, sizeof v) >= 0; i++)
        for (char *save, *t = strtok_r(v, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            while (*t == ' ' || *t == '\t')
                t++;
            size_t n = strlen(t);
            while (n && (t[n - 1] == ' ' || t[n - 1] == '\t'))
                n--;
            if (n == tl && strncasecmp(t, token, tl) == 0)
                return 1;
        }
    return 0;
}

static enum ws_result refuse(struct evbuffer *out, const char *status, const char *extra, char *why, size_t whylen,
                             const char *reason)
{
    evbuffer_add_printf(out, "HTTP/1.1 %s\r\n%sContent-Length: 0\r\nConnection: close\r\n\r\n", status, extra);
    snprintf(why, whylen, "handshake refused (%s): %s", status, reason);
    return WS_CLOSE;
}

static enum ws_result handshake(struct ws_conn *ws, struct evbuffer *in, struct evbuffer *out, char *why,
                                size_t whylen)
{
    struct evbuffer_ptr end = evbuffer_search(in, "\r\n\r\n", 4, NULL);
    size_t avail = evbuffer_get_length(in);
    if (end.pos < 0 || end.pos + 4 > WS_MAX_HANDSHAKE) {
        if (avail < WS_MAX_HANDSHAKE && end.pos < 0)
            return WS_MORE;
        return refuse(out, "431 Request Header Fields Too Large", "", why, whylen, "request too large");
    }
    char h[WS_MAX_HANDSHAKE + 1], v[256];
    size_t hl = (size_t)end.pos + 4;
    evbuffer_remove(in, h, hl);
    h[hl] = '\0';
    if (strncmp(h, "GET ", 4) != 0 || !strstr(h, " HTTP/1.1\r\n") || strstr(h, " HTTP/1.1\r\n") > strstr(h, "\r\n"))
        return refuse(out, "400 Bad Request", "", why, whylen, "not an HTTP/1.1 GET");
    if (!hdr_has_token(h, "Upgrade", "websocket") || !hdr_has_token(h, "Connection", "upgrade"))
        return refuse(out, "426 Upgrade Required", "Upgrade: websocket\r\n", why, whylen, "no Upgrade: websocket");
    if (hdr_get(h, "Sec-WebSocket-Version", 0, v, sizeof v) < 0 || strcmp(v, "13") != 0)
        return refuse(out, "426 Upgrade Required", "Sec-WebSocket-Version: 13\r\n", why, whylen,
                      "Sec-WebSocket-Version is not 13");
    char key[64];
    if (hdr_get(h, "Sec-WebSocket-Key", 0, key, sizeof key) != 24)
        return refuse(out, "400 Bad Request", "", why, whylen, "bad Sec-WebSocket-Key");
    if (!hdr_has_token(h, "Sec-WebSocket-Protocol", "sip"))
        return refuse(out, "400 Bad Request", "", why, whylen, "Sec-WebSocket-Protocol does not offer sip");
    if (ws_norigins) {
        size_t i = 0;
        if (hdr_get(h, "Origin", 0, v, sizeof v) >= 0)
            while (i < ws_norigins && strcmp(ws_origins[i], v) != 0)
                i++;
        else
            i = ws_norigins;
        if (i == ws_norigins)
            return refuse(out, "403 Forbidden", "", why, whylen, "Origin not allowed");
    }
    unsigned char sha[SHA_DIGEST_LENGTH], b64[64];
    char kg[128];
    snprintf(kg, sizeof kg, "%s" WS_GUID, key);
    SHA1((const unsigned char *)kg, strlen(kg), sha);
    EVP_EncodeBlock(b64, sha, SHA_DIGEST_LENGTH);
    evbuffer_add_printf(out, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                             "Sec-WebSocket-Accept: %s\r\nSec-WebSocket-Protocol: sip\r\n\r\n", (char *)b64);
    ws->open = 1;
    return WS_CONTROL;
}

static void frame_header(struct evbuffer *out, unsigned char b0, size_t len)
{
    unsigned char h[10] = { b0 };
    size_t n = 2;
    if (len < 126) {
        h[1] = (unsigned char)len;
    } else if (len <= 0xffff) {
        h[1] = 126;
        h[2] = (unsigned char)(len >> 8);
        h[3] = (unsigned char)len;
        n = 4;
    } else {
        h[1] = 127;
        for (int i = 0; i < 8; i++)
            h[2 + i] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
        n = 10;
    }
    evbuffer_add(out, h, n);
}

/* Send a close frame with code (and what) and stop. */
static enum ws_result fail(struct evbuffer *out, unsigned code, char *why, size_t whylen, const char *what)
{
    unsigned char c[2] = { (unsigned char)(code >> 8), (unsigned char)code };
    frame_header(out, 0x88, 2);
    evbuffer_add(out, c, 2);
    snprintf(why, whylen, "%s (close %u)", what, code);
    return WS_CLOSE;
}

static int utf8_valid(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        size_t k = c < 0x80 ? 0 : (c & 0xe0) == 0xc0 && c >= 0xc2 ? 1 : (c & 0xf0) == 0xe0 ? 2
                 : (c & 0xf8) == 0xf0 && c <= 0xf4 ? 3 : 9;
        if (k == 9 || i + k >= n + (k ? 0 : 1))
            return 0;
        for (size_t j = 1; j <= k; j++)
            if ((s[i + j] & 0xc0) != 0x80)
                return 0;
        i += k + 1;
    }
    return 1;
}

enum ws_result ws_read(struct ws_conn *ws, struct evbuffer *in, struct evbuffer *out, char *buf, size_t cap,
                       size_t *len, char *why, size_t whylen)
{
    if (!ws->open)
        return handshake(ws, in, out, why, whylen);
    size_t avail = evbuffer_get_length(in);
    if (avail < 2)
        return WS_MORE;
    unsigned char h[14];
    evbuffer_copyout(in, h, avail < sizeof h ? avail : sizeof h);
    int fin = h[0] & 0x80, op = h[0] & 0x0f, masked = h[1] & 0x80;
    uint64_t plen = h[1] & 0x7f;
    size_t hl = 2;
    if (h[0] & 0x70)
        return fail(out, 1002, why, whylen, "reserved bits set");
    if (!masked)
        return fail(out, 1002, why, whylen, "unmasked client frame");
    if (op >= 8 && (!fin || plen > 125))
        return fail(out, 1002, why, whylen, "fragmented or long control frame");
    if (op != 0 && op != 1 && op != 2 && op != 8 && op != 9 && op != 10)
        return fail(out, 1002, why, whylen, "unknown opcode");
    if (plen == 126 || plen == 127) {
        size_t ext = plen == 126 ? 2 : 8;
        if (avail < 2 + ext)
            return WS_MORE;
        plen = 0;
        for (size_t i = 0; i < ext; i++)
            plen = plen << 8 | h[2 + i];
        hl += ext;
    }
    if (plen > ws_max_frame)
        return fail(out, 1009, why, whylen, "frame larger than config.websocket.max_frame");
    if (avail < hl + 4 + plen)
        return WS_MORE;
    unsigned char mask[4];
    memcpy(mask, h + hl, 4);
    evbuffer_drain(in, hl + 4);
    unsigned char ctl[126], *p = ctl;
    size_t have = ws->frag ? evbuffer_get_length(ws->frag) : 0;
    if (op < 8) {
        if ((op == 0) != (ws->frag != NULL))
            return fail(out, 1002, why, whylen, op ? "new message inside a fragmented one" : "continuation without a start");
        if (have + plen > ws_max_frame || have + plen >= cap)
            return fail(out, 1009, why, whylen, "message larger than config.websocket.max_frame");
        p = (unsigned char *)buf + have;
    }
    evbuffer_remove(in, p, (size_t)plen);
    for (size_t i = 0; i < plen; i++)
        p[i] ^= mask[i & 3];
    if (op == 9) { /* ping: pong with the same payload */
        frame_header(out, 0x8a, (size_t)plen);
        evbuffer_add(out, ctl, (size_t)plen);
        return WS_CONTROL;
    }
    if (op == 10) /* pong (answer to our idle ping): nothing more to do */
        return WS_CONTROL;
    if (op == 8) { /* close: echo the code, then we are done */
        unsigned char code[2] = { 0x03, 0xe8 }; /* 1000 */
        if (plen >= 2)
            memcpy(code, ctl, 2);
        frame_header(out, 0x88, 2);
        evbuffer_add(out, code, 2);
        snprintf(why, whylen, "closed by the peer (close %u)", (unsigned)(code[0] << 8 | code[1]));
        return WS_CLOSE;
    }
    if (!fin) { /* keep the fragment: buf is shared with other connections until the last one */
        if (!ws->frag && !(ws->frag = evbuffer_new()))
            return fail(out, 1011, why, whylen, "out of memory");
        evbuffer_add(ws->frag, p, (size_t)plen);
        return WS_CONTROL;
    }
    if (ws->frag) {
        evbuffer_remove(ws->frag, buf, have); /* the earlier fragments in front of the last */
        evbuffer_free(ws->frag);
        ws->frag = NULL;
    }
    *len = have + (size_t)plen;
    buf[*len] = '\0';
    return WS_MESSAGE;
}

int ws_write(struct evbuffer *out, const char *buf, size_t len)
{
    frame_header(out, utf8_valid((const unsigned char *)buf, len) ? 0x81 : 0x82, len);
    return evbuffer_add(out, buf, len);
}

void ws_ping(struct evbuffer *out)
{
    frame_header(out, 0x89, 0);
}
