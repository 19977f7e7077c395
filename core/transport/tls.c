/* OpenSSL contexts and per-connection SSL objects; the I/O itself is libevent's
 * bufferevent_openssl (see tcp.c). Main loop only. */
#include "transport/tls.h"
#include "transport/transport_internal.h"
#include "log.h"
#include "stats.h"
#include <arpa/inet.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

static SSL_CTX *sip_server_ctx, *sip_client_ctx, *noverify_ctx;

int tls_version_parse(const char *s)
{
    static const struct { const char *name; int v; } vs[] = {
        { "1.0", TLS1_VERSION }, { "1.1", TLS1_1_VERSION }, { "1.2", TLS1_2_VERSION }, { "1.3", TLS1_3_VERSION },
    };
    for (size_t i = 0; s && i < sizeof vs / sizeof vs[0]; i++)
        if (strcmp(s, vs[i].name) == 0)
            return vs[i].v;
    return 0;
}

static const char *ssl_errors(char *buf, size_t len)
{
    unsigned long e;
    size_t n = 0;
    buf[0] = '\0';
    while ((e = ERR_get_error()) != 0 && n + 2 < len) {
        if (n)
            n += (size_t)snprintf(buf + n, len - n, "; ");
        ERR_error_string_n(e, buf + n, len - n);
        n = strlen(buf);
    }
    return buf[0] ? buf : "unknown error";
}

SSL_CTX *tls_ctx_new(int server, const struct tls_settings *s, char *err, size_t errlen)
{
    char why[512];
    SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
    if (!ctx) {
        snprintf(err, errlen, "cannot create a TLS context: %s", ssl_errors(why, sizeof why));
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, s->min_version ? s->min_version : TLS1_2_VERSION);
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    if (server && (!s->cert || !s->key)) {
        snprintf(err, errlen, "a TLS server needs cert and key");
        goto fail;
    }
    if (s->cert && SSL_CTX_use_certificate_chain_file(ctx, s->cert) != 1) {
        snprintf(err, errlen, "cert %s: %s", s->cert, ssl_errors(why, sizeof why));
        goto fail;
    }
    if (s->key && (SSL_CTX_use_PrivateKey_file(ctx, s->key, SSL_FILETYPE_PEM) != 1
                   || SSL_CTX_check_private_key(ctx) != 1)) {
        snprintf(err, errlen, "key %s: %s", s->key, ssl_errors(why, sizeof why));
        goto fail;
    }
    if (s->ca ? SSL_CTX_load_verify_locations(ctx, s->ca, NULL) != 1 : SSL_CTX_set_default_verify_paths(ctx) != 1) {
        snprintf(err, errlen, "ca %s: %s", s->ca ? s->ca : "(system store)", ssl_errors(why, sizeof why));
        goto fail;
    }
    if (server && s->ca && (s->verify || s->verify_client)) {
        STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(s->ca);
        if (names)
            SSL_CTX_set_client_CA_list(ctx, names);
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | (s->verify_client ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0), NULL);
    } else if (!server) {
        SSL_CTX_set_verify(ctx, s->verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, NULL);
    }
    return ctx;
fail:
    SSL_CTX_free(ctx);
    return NULL;
}

int tls_configure(const struct tls_settings *s, char *err, size_t errlen)
{
    SSL_CTX *srv = NULL, *cli = tls_ctx_new(0, s, err, errlen);
    if (!cli || (s->cert && s->key && !(srv = tls_ctx_new(1, s, err, errlen)))) {
        SSL_CTX_free(cli);
        return -1;
    }
    tls_shutdown();
    sip_server_ctx = srv;
    sip_client_ctx = cli;
    return 0;
}

int tls_server_ready(void)
{
    return sip_server_ctx != NULL;
}

SSL *tls_server_ssl(void)
{
    return sip_server_ctx ? SSL_new(sip_server_ctx) : NULL;
}

SSL_CTX *tls_client_ctx(int verify)
{
    struct tls_settings def = TLS_SETTINGS_DEFAULT;
    char err[256];
    def.verify = verify;
    if (verify && !sip_client_ctx)
        sip_client_ctx = tls_ctx_new(0, &def, err, sizeof err);
    if (!verify && !noverify_ctx)
        noverify_ctx = tls_ctx_new(0, &def, err, sizeof err);
    return verify ? sip_client_ctx : noverify_ctx;
}

SSL *tls_client_ssl(SSL_CTX *ctx, const char *name, const struct sockaddr_storage *sa)
{
    if (!ctx && !(ctx = tls_client_ctx(1)))
        return NULL;
    SSL *ssl = SSL_new(ctx);
    if (!ssl)
        return NULL;
    struct sockaddr_storage tmp;
    socklen_t tl;
    char ip[INET6_ADDRSTRLEN];
    if (name && *name && transport_addr_parse(name, 0, &tmp, &tl) < 0) {
        SSL_set_tlsext_host_name(ssl, name);
        SSL_set1_host(ssl, name);
    } else {
        addr_ip_port(sa, ip, sizeof ip, NULL);
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), ip);
    }
    return ssl;
}

const char *tls_error(struct bufferevent *bev, char *buf, size_t len)
{
    unsigned long e;
    size_t n = 0;
    buf[0] = '\0';
    while ((e = bufferevent_get_openssl_error(bev)) != 0 && n + 2 < len) {
        if (!ERR_GET_LIB(e))
            continue; /* libevent's own entry: SSL_get_error()'s code, not a reason */
        if (n)
            n += (size_t)snprintf(buf + n, len - n, "; ");
        ERR_error_string_n(e, buf + n, len - n);
        n = strlen(buf);
    }
    SSL *ssl = bufferevent_openssl_get_ssl(bev);
    long v = ssl ? SSL_get_verify_result(ssl) : X509_V_OK;
    if (v != X509_V_OK && n + 2 < len)
        snprintf(buf + n, len - n, "%scertificate: %s", n ? "; " : "", X509_verify_cert_error_string(v));
    return buf[0] ? buf : "connection closed during the handshake";
}

void tls_handshake_failed(SSL *ssl, const char *who, const char *ip, int port)
{
    char why[512];
    ssl_errors(why, sizeof why);
    if (strcmp(why, "unknown error") == 0) /* no reason queued: the peer left (EOF) */
        snprintf(why, sizeof why, "connection closed during the handshake");
    long v = SSL_get_verify_result(ssl);
    if (v != X509_V_OK)
        snprintf(why + strlen(why), sizeof why - strlen(why), "; certificate: %s", X509_verify_cert_error_string(v));
    stats_inc(STAT_TLS_ERRORS);
    log_warn("%s: tls handshake with %s:%d failed: %s", who, ip, port, why);
}

void tls_shutdown(void)
{
    SSL_CTX_free(sip_server_ctx);
    SSL_CTX_free(sip_client_ctx);
    SSL_CTX_free(noverify_ctx);
    sip_server_ctx = sip_client_ctx = noverify_ctx = NULL;
}
