/* OpenSSL contexts for SIP over TLS/WSS, HTTPS and http.request: built from config, used by
 * tcp.c, the HTTP server and the HTTP client. Main loop only. */
#ifndef CORE_TLS_H
#define CORE_TLS_H
#include <stddef.h>
#include <sys/socket.h>

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;
struct bufferevent;

/* config.tls (paths already resolved against the script's folder). */
struct tls_settings {
    const char *cert, *key; /* PEM files: our certificate (chain) and its key; NULL: none */
    const char *ca;         /* PEM file of trusted CAs; NULL: the system store */
    int verify;             /* check the peer's certificate (servers: always; clients: when sent) */
    int min_version;        /* TLS1_2_VERSION by default */
    int verify_client;      /* servers: refuse a client without a certificate that ca signed */
};
#define TLS_SETTINGS_DEFAULT { NULL, NULL, NULL, 1, 0, 0 }

/* "1.0", "1.1", "1.2", "1.3" to an OpenSSL version number; 0 when unknown. */
int tls_version_parse(const char *s);

/* A new context. server: needs cert and key, asks clients for a certificate when verify and
 * ca are set (a client without one is still accepted, unless verify_client: then it must send
 * one that ca signed). Client: verifies servers against ca or
 * the system store when verify, presents cert/key when set. NULL with the reason in err. */
SSL_CTX *tls_ctx_new(int server, const struct tls_settings *s, char *err, size_t errlen);

/* Replace the SIP contexts (config.tls). The server one only when cert and key are set.
 * Connections already open keep their old context. Returns 0, or -1 (contexts unchanged). */
int tls_configure(const struct tls_settings *s, char *err, size_t errlen);

/* A server SSL for an accepted SIP connection; NULL when config.tls has no certificate. */
SSL *tls_server_ssl(void);

/* A client SSL for ctx (NULL: the SIP client context): SNI and host check for name when it is
 * a DNS name, otherwise the certificate must name the IP of sa. */
SSL *tls_client_ssl(SSL_CTX *ctx, const char *name, const struct sockaddr_storage *sa);

/* The client context for HTTPS (http.request): the SIP one (config.tls's ca or the system
 * store) when verify, else one that checks nothing (created on first use). NULL on failure. */
SSL_CTX *tls_client_ctx(int verify);

/* True when tls_server_ssl() can work (a tls:/wss: listener may open). */
int tls_server_ready(void);

/* Why the handshake or the connection on bev failed: OpenSSL's queued errors and the
 * certificate check result, in buf. Returns buf. */
const char *tls_error(struct bufferevent *bev, char *buf, size_t len);

/* The TLS handshake of a server connection (HTTPS) with ip:port failed: log it once ("<who>: tls
 * handshake with IP:PORT failed: <OpenSSL's queued reasons, which it takes>") and count it
 * (STAT_TLS_ERRORS). SIP over TLS reports its own (tcp.c, through tls_error). */
void tls_handshake_failed(SSL *ssl, const char *who, const char *ip, int port);

/* Free the SIP contexts (at exit). */
void tls_shutdown(void);

#endif
