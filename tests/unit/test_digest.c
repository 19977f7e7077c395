/* The auth unit's digest math (core/units/auth/digest.c) against the examples of RFC 2617 §3.5
 * and RFC 7616 §3.9.1, plus credential parsing, self-validating nonces and the client answer. */
#include "check.h"
#include "units/auth/digest.c"

static void rfc2617(void)
{
    /* RFC 2617 §3.5: Mufasa / "Circle Of Life", qop=auth, GET /dir/index.html */
    char ha1[DIGEST_HEX_MAX], r[DIGEST_HEX_MAX];
    CHECK(digest_ha1(DIGEST_MD5, "Mufasa", "testrealm@host.com", "Circle Of Life", ha1) == 0);
    CHECK(digest_response(DIGEST_MD5, ha1, "dcd98b7102dd2f0e8b11d0f600bfb0c093", "00000001", "0a4f113b", "auth",
                          "GET", "/dir/index.html", r) == 0);
    CHECK_STR(r, "6629fae49393a05397450978507c4ef1");
}

static void rfc7616(void)
{
    /* RFC 7616 §3.9.1: Mufasa / "Circle of Life", MD5 and SHA-256 */
    const char *realm = "http-auth@example.org", *nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
               *cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
    char ha1[DIGEST_HEX_MAX], r[DIGEST_HEX_MAX];
    CHECK(digest_ha1(DIGEST_MD5, "Mufasa", realm, "Circle of Life", ha1) == 0);
    CHECK(digest_response(DIGEST_MD5, ha1, nonce, "00000001", cnonce, "auth", "GET", "/dir/index.html", r) == 0);
    CHECK_STR(r, "8ca523f5e9506fed4657c9700eebdbec");
    CHECK(digest_ha1(DIGEST_SHA256, "Mufasa", realm, "Circle of Life", ha1) == 0);
    CHECK(digest_response(DIGEST_SHA256, ha1, nonce, "00000001", cnonce, "auth", "GET", "/dir/index.html", r) == 0);
    CHECK_STR(r, "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
    CHECK(digest_is_ha1(ha1, DIGEST_SHA256) && !digest_is_ha1(ha1, DIGEST_MD5));
    CHECK(!digest_is_ha1("Circle of Life", DIGEST_MD5));
}

static void rfc2069(void)
{
    /* without qop (RFC 2069): H(HA1:nonce:HA2), values computed independently with Python hashlib */
    char ha1[DIGEST_HEX_MAX], r[DIGEST_HEX_MAX];
    CHECK(digest_ha1(DIGEST_MD5, "Mufasa", "testrealm@host.com", "Circle Of Life", ha1) == 0);
    CHECK_STR(ha1, "939e7578ed9e3c518a452acee763bce9");
    CHECK(digest_response(DIGEST_MD5, ha1, "dcd98b7102dd2f0e8b11d0f600bfb0c093", NULL, NULL, NULL, "GET",
                          "/dir/index.html", r) == 0);
    CHECK_STR(r, "670fd8c2df070c60b045671b8b24ff02");
}

static void parse(void)
{
    struct digest_params p;
    CHECK(digest_parse("Digest username=\"bob\", realm=\"lab\",nonce=\"abc\" , uri=\"sip:lab\","
                       "response=\"0123\", algorithm=SHA-256, cnonce=\"x\\\"y\", qop=auth, nc=00000001, x=\"1\"",
                       &p) == 0);
    CHECK_STR(p.username, "bob");
    CHECK_STR(p.realm, "lab");
    CHECK_STR(p.nonce, "abc");
    CHECK_STR(p.uri, "sip:lab");
    CHECK_STR(p.algorithm, "SHA-256");
    CHECK_STR(p.cnonce, "x\"y");
    CHECK_STR(p.qop, "auth");
    CHECK_STR(p.nc, "00000001");
    CHECK(p.opaque == NULL);
    CHECK(digest_parse("Basic Ym9iOnB3", &p) == -1);
    CHECK(digest_parse("Digest username=\"bob", &p) == -1);
    CHECK(digest_parse("Digest username=\"a\", username=\"b\"", &p) == -1);
    CHECK(digest_parse("Digest =x", &p) == -1);
    char big[4000];
    memset(big, 'a', sizeof big);
    memcpy(big, "Digest nonce=", 13);
    big[sizeof big - 1] = '\0';
    CHECK(digest_parse(big, &p) == -1);
    CHECK(digest_alg_parse(NULL) == DIGEST_MD5 && digest_alg_parse("sha-256") == DIGEST_SHA256);
    CHECK(digest_alg_parse("MD5-sess") == DIGEST_UNKNOWN);
}

static void nonces(void)
{
    const unsigned char secret[32] = "0123456789abcdef0123456789abcdef";
    const unsigned char salt[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    char n[DIGEST_NONCE_LEN + 1];
    CHECK(digest_nonce_make(secret, 32, "lab", 10000, salt, n) == 0);
    CHECK(strlen(n) == DIGEST_NONCE_LEN);
    CHECK(digest_nonce_check(secret, 32, "lab", n, 9999) == 0);
    CHECK(digest_nonce_check(secret, 32, "lab", n, 10001) == 1);      /* expired: stale */
    CHECK(digest_nonce_check(secret, 32, "other", n, 9999) == -1);    /* another realm */
    const unsigned char other[32] = "X123456789abcdef0123456789abcdef";
    CHECK(digest_nonce_check(other, 32, "lab", n, 9999) == -1);       /* another process */
    char t[DIGEST_NONCE_LEN + 1];
    memcpy(t, n, sizeof t);
    t[5] = t[5] == 'f' ? 'e' : 'f';                                    /* a later expiry, forged */
    CHECK(digest_nonce_check(secret, 32, "lab", t, 9999) == -1);
    CHECK(digest_nonce_check(secret, 32, "lab", "abc", 0) == -1);
    CHECK(digest_nonce_check(secret, 32, "lab", "", 0) == -1);
}

static void answer(void)
{
    struct digest_params ch, cr;
    char out[1024];
    const char *why = NULL;
    CHECK(digest_parse("Digest realm=\"lab\", nonce=\"n1\", qop=\"auth,auth-int\", algorithm=SHA-256, opaque=\"o\"",
                       &ch) == 0);
    CHECK(digest_answer(&ch, "alice", "secret", "INVITE", "sip:bob@lab", "c0ffee", out, sizeof out, &why) == 0);
    CHECK(digest_parse(out, &cr) == 0);
    char ha1[DIGEST_HEX_MAX], want[DIGEST_HEX_MAX];
    digest_ha1(DIGEST_SHA256, "alice", "lab", "secret", ha1);
    digest_response(DIGEST_SHA256, ha1, "n1", "00000001", "c0ffee", "auth", "INVITE", "sip:bob@lab", want);
    CHECK_STR(cr.response, want);
    CHECK_STR(cr.opaque, "o");
    CHECK_STR(cr.qop, "auth");
    CHECK_STR(cr.algorithm, "SHA-256");
    CHECK(digest_equal(cr.response, want) && !digest_equal(cr.response, ha1) && !digest_equal("a", "ab"));

    CHECK(digest_parse("Digest realm=\"lab\", nonce=\"n1\", qop=\"auth-int\"", &ch) == 0);
    CHECK(digest_answer(&ch, "alice", "secret", "INVITE", "sip:bob@lab", "c", out, sizeof out, &why) == -1);
    CHECK(digest_parse("Digest realm=\"lab\", nonce=\"n1\", algorithm=MD5-sess", &ch) == 0);
    CHECK(digest_answer(&ch, "alice", "secret", "INVITE", "sip:bob@lab", "c", out, sizeof out, &why) == -1);
    CHECK(digest_parse("Digest realm=\"lab\", nonce=\"n1\"", &ch) == 0);
    CHECK(digest_answer(&ch, "al\"ice", "secret", "INVITE", "sip:bob@lab", "c", out, sizeof out, &why) == -1);
    CHECK(digest_answer(&ch, "alice", "secret", "INVITE", "sip:bob@lab", "c", out, 20, &why) == -1);
}

int main(void)
{
    rfc2617();
    rfc7616();
    rfc2069();
    parse();
    nonces();
    answer();
    return check_report("test_digest");
}
