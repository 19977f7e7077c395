/* WebSocket (RFC 6455) as SIP's transport (RFC 7118), server side only: the opening handshake
 * and the framing, over a connection tcp.c owns. Main loop only. */
#ifndef CORE_WS_H
#define CORE_WS_H
#include <stddef.h>

struct evbuffer;

/* Per-connection state (tcp.c allocates it zeroed for ws:/wss: connections). */
struct ws_conn {
    struct evbuffer *frag; /* fragments of the message being received, NULL when none */
    unsigned open : 1;     /* handshake done */
    unsigned pinged : 1;   /* idle: a ping went out, close if nothing comes back */
};

enum ws_result {
    WS_MORE = 0,    /* need more bytes */
    WS_MESSAGE = 1, /* a complete message is in the caller's buffer */
    WS_CONTROL = 2, /* a control frame or the handshake was handled; call again */
    WS_CLOSE = -1,  /* stop reading and close once `out` is flushed (reason in why) */
};

/* config.websocket: largest frame payload and message accepted (at most 65535); origins: the
 * Origin values allowed in the handshake (n == 0: any). Copies what it keeps. */
void ws_configure(size_t max_frame, const char *const *origins, size_t n);

/* Consume what `in` holds: the handshake first (the 101 or a refusal goes to out), then frames
 * (pongs and the close reply go to out). A complete SIP message is copied into buf (cap bytes,
 * NUL-terminated) with its length in *len. */
enum ws_result ws_read(struct ws_conn *ws, struct evbuffer *in, struct evbuffer *out, char *buf, size_t cap,
                       size_t *len, char *why, size_t whylen);

/* Queue one message as a single unmasked frame (text when it is valid UTF-8, else binary). */
int ws_write(struct evbuffer *out, const char *buf, size_t len);

/* Queue a ping (idle check). */
void ws_ping(struct evbuffer *out);

/* Free what ws holds (not ws itself). */
void ws_free(struct ws_conn *ws);

#endif
