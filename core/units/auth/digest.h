/* HTTP Digest for SIP (RFC 7616, RFC 2617 as SIP uses it, RFC 8760): the pure pieces of the auth
 * unit. Hashes (MD5, SHA-256, with OpenSSL's libcrypto), credential parsing, self-validating
 * nonces and the client answer to a challenge. No Lua, no messages, no global state: the
 * server's nonce secret is passed in. tests/unit/test_digest.c checks it against the RFC
 * examples. */
#ifndef AUTH_DIGEST_H
#define AUTH_DIGEST_H
#include <stddef.h>
#include <stdint.h>

enum digest_alg { DIGEST_MD5, DIGEST_SHA256, DIGEST_UNKNOWN };

#define DIGEST_HEX_MAX 65   /* room for a SHA-256 hex digest and its NUL */
#define DIGEST_NONCE_LEN 64 /* hex characters of our nonces */

/* "MD5" / "SHA-256" (any case; NULL or "" is MD5, as RFC 2617 says) -> alg; -sess and others
 * are DIGEST_UNKNOWN. */
enum digest_alg digest_alg_parse(const char *s);
const char *digest_alg_name(enum digest_alg alg);
/* Hex length of alg's digests (32 or 64). */
size_t digest_hex_len(enum digest_alg alg);

/* H(parts[0]:parts[1]:...) in lower-case hex into out (DIGEST_HEX_MAX bytes). 0 or -1. */
int digest_hash(enum digest_alg alg, const char *const *parts, size_t n, char *out);
/* HA1 = H(user:realm:password). */
int digest_ha1(enum digest_alg alg, const char *user, const char *realm, const char *password, char *out);
/* The response of RFC 7616 §3.4.1 for qop=auth (qop NULL: the RFC 2069 form without nc/cnonce). */
int digest_response(enum digest_alg alg, const char *ha1, const char *nonce, const char *nc, const char *cnonce,
                    const char *qop, const char *method, const char *uri, char *out);

/* Constant-time comparison of two NUL-terminated strings (their lengths are not secret). */
int digest_equal(const char *a, const char *b);

/* True when s looks like an HA1 of alg: exactly its hex length of lower- or upper-case hex. */
int digest_is_ha1(const char *s, enum digest_alg alg);

/* Digest credentials (Authorization / Proxy-Authorization value), or a challenge
 * (WWW-Authenticate / Proxy-Authenticate value): the values point into buf (unquoted,
 * backslash escapes removed). Missing values are NULL. */
struct digest_params {
    char buf[2048];
    const char *username, *realm, *nonce, *uri, *response, *algorithm, *cnonce, *opaque, *qop, *nc, *stale;
};
/* Parse `Digest k=v, k="v", ...`. Returns 0, or -1 when it is not Digest, too long or malformed. */
int digest_parse(const char *value, struct digest_params *p);

/* A nonce that carries its own expiry: hex(expiry_ms(8) salt(8)) hex(HMAC-SHA256(secret,
 * expiry salt realm)[0..16]), DIGEST_NONCE_LEN characters plus NUL into out. salt should be random. */
int digest_nonce_make(const unsigned char *secret, size_t secret_len, const char *realm, uint64_t expiry_ms,
                      const unsigned char salt[8], char *out);
/* 0: ours for realm and not expired at now_ms; 1: ours but expired (stale); -1: not ours. */
int digest_nonce_check(const unsigned char *secret, size_t secret_len, const char *realm, const char *nonce,
                       uint64_t now_ms);

/* Client side: the credentials answering challenge ch (parsed) for method and uri, as the value of
 * an Authorization / Proxy-Authorization header into out. cnonce is the client nonce to use;
 * nc is 1. Returns 0, or -1 with *why set (unsupported algorithm or qop, no room). */
int digest_answer(const struct digest_params *ch, const char *user, const char *password, const char *method,
                  const char *uri, const char *cnonce, char *out, size_t outlen, const char **why);

#endif
