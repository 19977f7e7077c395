/* HTTP Digest pieces for SIP; see digest.h. */
#include "digest.h"
#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

enum digest_alg digest_alg_parse(const char *s)
{
    if (!s || !*s || !strcasecmp(s, "MD5"))
        return DIGEST_MD5;
    if (!strcasecmp(s, "SHA-256"))
        return DIGEST_SHA256;
    return DIGEST_UNKNOWN;
}

const char *digest_alg_name(enum digest_alg alg)
{
    return alg == DIGEST_SHA256 ? "SHA-256" : "MD5";
}

size_t digest_hex_len(enum digest_alg alg)
{
    return alg == DIGEST_SHA256 ? 64 : 32;
}

static void to_hex(const unsigned char *b, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[b[i] >> 4];
        out[2 * i + 1] = hex[b[i] & 15];
    }
    out[2 * n] = '\0';
}

int digest_hash(enum digest_alg alg, const char *const *parts, size_t n, char *out)
{
    if (alg == DIGEST_UNKNOWN)
        return -1;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    int ok = ctx && EVP_DigestInit_ex(ctx, alg == DIGEST_SHA256 ? EVP_sha256() : EVP_md5(), NULL);
    for (size_t i = 0; ok && i < n; i++)
        ok = (i == 0 || EVP_DigestUpdate(ctx, ":", 1)) && EVP_DigestUpdate(ctx, parts[i], strlen(parts[i]));
    ok = ok && EVP_DigestFinal_ex(ctx, md, &len);
    EVP_MD_CTX_free(ctx);
    if (!ok)
        return -1;
    to_hex(md, len, out);
    return 0;
}

int digest_ha1(enum digest_alg alg, const char *user, const char *realm, const char *password, char *out)
{
    const char *p[] = { user, realm, password };
    return digest_hash(alg, p, 3, out);
}

int digest_response(enum digest_alg alg, const char *ha1, const char *nonce, const char *nc, const char *cnonce,
                    const char *qop, const char *method, const char *uri, char *out)
{
    char ha2[DIGEST_HEX_MAX];
    const char *a2[] = { method, uri };
    if (digest_hash(alg, a2, 2, ha2) != 0)
        return -1;
    if (!qop) {
        const char *p[] = { ha1, nonce, ha2 };
        return digest_hash(alg, p, 3, out);
    }
    if (!nc || !cnonce)
        return -1;
    const char *p[] = { ha1, nonce, nc, cnonce, qop, ha2 };
    return digest_hash(alg, p, 6, out);
}

int digest_equal(const char *a, const char *b)
{
    size_t n = strlen(a);
    return n == strlen(b) && CRYPTO_memcmp(a, b, n) == 0;
}

int digest_is_ha1(const char *s, enum digest_alg alg)
{
    size_t n = digest_hex_len(alg), i;
    for (i = 0; s[i]; i++)
        if (!isxdigit((unsigned char)s[i]))
            return 0;
    return i == n;
}

/* ---- parsing ---- */

static const char *skip_ws(const char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    return s;
}

int digest_parse(const char *value, struct digest_params *p)
{
    memset(p, 0, sizeof *p);
    const char *s = skip_ws(value);
    if (strncasecmp(s, "Digest", 6) != 0 || (s[6] != ' ' && s[6] != '\t'))
        return -1;
    s = skip_ws(s + 6);
    char *o = p->buf, *end = p->buf + sizeof p->buf;
    static const char *const names[] = { "username", "realm", "nonce", "uri", "response", "algorithm",
                                         "cnonce", "opaque", "qop", "nc", "stale" };
    const char **slots[] = { &p->username, &p->realm, &p->nonce, &p->uri, &p->response, &p->algorithm,
                             &p->cnonce, &p->opaque, &p->qop, &p->nc, &p->stale };
    while (*s) {
        const char *k = s;
        while (*s && *s != '=' && *s != ',' && *s != ' ' && *s != '\t')
            s++;
        size_t klen = (size_t)(s - k);
        s = skip_ws(s);
        if (!klen || *s != '=')
            return -1;
        s = skip_ws(s + 1);
        char *v = o;
        if (*s == '"') {
            for (s++; *s && *s != '"'; s++) {
                if (*s == '\\' && s[1])
                    s++;
                if (o + 1 >= end)
                    return -1;
                *o++ = *s;
            }
            if (*s != '"')
                return -1;
            s++;
        } else {
            while (*s && *s != ',' && *s != ' ' && *s != '\t') {
                if (o + 1 >= end)
                    return -1;
                *o++ = *s++;
            }
        }
        if (o >= end)
            return -1;
        *o++ = '\0';
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            if (strlen(names[i]) == klen && !strncasecmp(names[i], k, klen)) {
                if (*slots[i]) /* a parameter twice: refuse rather than guess */
                    return -1;
                *slots[i] = v;
            }
        s = skip_ws(s);
        if (*s == ',')
            s = skip_ws(s + 1);
        else if (*s)
            return -1;
    }
    return 0;
}

/* ---- nonces ---- */

#define NONCE_MAC 16

static int nonce_mac(const unsigned char *secret, size_t secret_len, const unsigned char head[16],
                     const char *realm, unsigned char mac[32])
{
    unsigned char data[16 + 256];
    size_t rl = strlen(realm);
    if (rl > 256)
        rl = 256;
    memcpy(data, head, 16);
    memcpy(data + 16, realm, rl);
    unsigned len = 0;
    return HMAC(EVP_sha256(), secret, (int)secret_len, data, 16 + rl, mac, &len) ? 0 : -1;
}

int digest_nonce_make(const unsigned char *secret, size_t secret_len, const char *realm, uint64_t expiry_ms,
                      const unsigned char salt[8], char *out)
{
    unsigned char head[16], mac[32];
    for (int i = 0; i < 8; i++)
        head[i] = (unsigned char)(expiry_ms >> (56 - 8 * i));
    memcpy(head + 8, salt, 8);
    if (nonce_mac(secret, secret_len, head, realm, mac) != 0)
        return -1;
    to_hex(head, 16, out);
    to_hex(mac, NONCE_MAC, out + 32);
    return 0;
}

static int from_hex(const char *s, unsigned char *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned v = 0;
        for (int j = 0; j < 2; j++) {
            char c = s[2 * i + j];
            int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
            if (d < 0)
                return -1;
            v = v * 16 + (unsigned)d;
        }
        out[i] = (unsigned char)v;
    }
    return 0;
}

int digest_nonce_check(const unsigned char *secret, size_t secret_len, const char *realm, const char *nonce,
                       uint64_t now_ms)
{
    unsigned char head[16], mac[32], got[NONCE_MAC];
    if (strlen(nonce) != DIGEST_NONCE_LEN || from_hex(nonce, head, 16) != 0 || from_hex(nonce + 32, got, NONCE_MAC) != 0)
        return -1;
    if (nonce_mac(secret, secret_len, head, realm, mac) != 0 || CRYPTO_memcmp(mac, got, NONCE_MAC) != 0)
        return -1;
    uint64_t expiry = 0;
    for (int i = 0; i < 8; i++)
        expiry = expiry << 8 | head[i];
    return now_ms > expiry ? 1 : 0;
}

/* ---- client ---- */

/* True when the comma/space separated list qops holds "auth". */
static int qop_has_auth(const char *qops)
{
    for (const char *s = qops; *s;) {
        while (*s == ',' || *s == ' ' || *s == '\t')
            s++;
        size_t n = strcspn(s, ", \t");
        if (n == 4 && !strncasecmp(s, "auth", 4))
            return 1;
        s += n;
    }
    return 0;
}

int digest_answer(const struct digest_params *ch, const char *user, const char *password, const char *method,
                  const char *uri, const char *cnonce, char *out, size_t outlen, const char **why)
{
    enum digest_alg alg = digest_alg_parse(ch->algorithm);
    if (alg == DIGEST_UNKNOWN) {
        *why = "unsupported digest algorithm";
        return -1;
    }
    if (!ch->realm || !ch->nonce) {
        *why = "challenge without realm or nonce";
        return -1;
    }
    if (strpbrk(user, "\"\\\r\n") || strpbrk(uri, "\"\\\r\n") || strpbrk(cnonce, "\"\\\r\n") ||
        strpbrk(ch->realm, "\"\\\r\n") || strpbrk(ch->nonce, "\"\\\r\n") ||
        (ch->opaque && strpbrk(ch->opaque, "\"\\\r\n"))) {
        *why = "a quote, backslash or line break in the credentials";
        return -1;
    }
    const char *qop = NULL;
    if (ch->qop) {
        if (!qop_has_auth(ch->qop)) {
            *why = "challenge offers no qop=auth";
            return -1;
        }
        qop = "auth";
    }
    char ha1[DIGEST_HEX_MAX], resp[DIGEST_HEX_MAX];
    if (digest_ha1(alg, user, ch->realm, password, ha1) != 0 ||
        digest_response(alg, ha1, ch->nonce, "00000001", cnonce, qop, method, uri, resp) != 0) {
        *why = "digest computation failed";
        return -1;
    }
    int n = snprintf(out, outlen, "Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", uri=\"%s\", response=\"%s\", algorithm=%s",
                     user, ch->realm, ch->nonce, uri, resp, digest_alg_name(alg));
    if (n > 0 && (size_t)n < outlen && ch->opaque)
        n += snprintf(out + n, outlen - (size_t)n, ", opaque=\"%s\"", ch->opaque);
    if (n > 0 && (size_t)n < outlen && qop)
        n += snprintf(out + n, outlen - (size_t)n, ", qop=auth, nc=00000001, cnonce=\"%s\"", cnonce);
    if (n <= 0 || (size_t)n >= outlen) {
        *why = "credentials too long";
        return -1;
    }
    return 0;
}
