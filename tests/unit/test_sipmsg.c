/* The message representation: the one-pass index (compact forms, case, folded lines, list
 * values), typed views, the edits applied on output (untouched bytes byte-identical,
 * Content-Length only when the body changed) and the local reply builder. */
#include "check.h"
#include "sip/sipmsg_int.h"
#include <ctype.h>
#include <lunasip/fmt.h>
#include <lunasip/msg.h>
#include <lunasip/proxy.h>
#include <stdlib.h>

static const char invite[] =
    "INVITE sip:bob@example.com SIP/2.0\r\n"
    "v: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKabc;rport\r\n"
    "Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKdef ,SIP/2.0/TCP [2001:db8::1]:5070;branch=z9hG4bKx\r\n"
    "f: \"Alice, A.\" <sip:alice@example.com>;tag=a1\r\n"
    "t: <sip:bob@example.com>\r\n"
    "i: call-1@10.0.0.1\r\n"
    "CSeq: 7 INVITE\r\n"
    "Max-Forwards: 70\r\n"
    "k: timer\r\n"
    "X-Custom: one\r\n"
    "x-custom: two, three\r\n"
    "Subject: a folded\r\n  subject\r\n"
    "Authorization: NewScheme p=\"x,y\", q=1\r\n"
    "m: <sip:alice@10.0.0.1>;expires=60, sip:alice@10.0.0.2;q=0.5\r\n"
    "c: application/sdp\r\n"
    "l: 4\r\n"
    "\r\n"
    "v=0\nEXTRA";

static const char *get(struct sip_msg *m, const char *name, int pos)
{
    static char buf[512];
    struct sip_str v = sipmsg_header(m, name, pos);
    return v.s ? sip_str_copy(v, buf, sizeof buf) : NULL;
}

static const char *str(struct sip_str v)
{
    static char buf[512];
    return v.s ? sip_str_copy(v, buf, sizeof buf) : NULL;
}

/* Every known name is found whatever its case, compact forms too; near misses are not. */
static void check_hdr_ids(void)
{
    for (int id = 1; id < HDR_COUNT; id++) {
        const char *name = sipmsg_hdr_canon(id);
        char up[64], low[64];
        size_t n = strlen(name);
        for (size_t i = 0; i <= n; i++) {
            up[i] = (char)toupper((unsigned char)name[i]);
            low[i] = (char)tolower((unsigned char)name[i]);
        }
        CHECK(sipmsg_hdr_id(name, n) == id && sipmsg_hdr_id(up, n) == id && sipmsg_hdr_id(low, n) == id);
        CHECK(n == 2 || sipmsg_hdr_id(name, n - 1) != id); /* "T" is To's compact form */
        low[1] = low[1] == 'q' ? 'z' : 'q'; /* same first and last letter and length */
        CHECK(sipmsg_hdr_id(low, n) == HDR_OTHER);
    }
    CHECK(sipmsg_hdr_id("v", 1) == HDR_VIA && sipmsg_hdr_id("M", 1) == HDR_CONTACT);
    CHECK(sipmsg_hdr_id("l", 1) == HDR_CONTENT_LENGTH && sipmsg_hdr_id("g", 1) == HDR_OTHER);
    CHECK(sipmsg_hdr_id("\xe9", 1) == HDR_OTHER && sipmsg_hdr_id("X-Via", 5) == HDR_OTHER);
    CHECK(sipmsg_hdr_id("Viaa", 4) == HDR_OTHER && sipmsg_hdr_id("Vi", 2) == HDR_OTHER);
}

/* The formatters write what snprintf would. */
static void check_fmt(void)
{
    static const unsigned long long nums[] = { 0, 7, 10, 65535, 4294967295ULL, 18446744073709551615ULL };
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        char a[32], b[32];
        *fmt_uint(a, nums[i]) = '\0';
        snprintf(b, sizeof b, "%llu", nums[i]);
        CHECK_STR(a, b);
        *fmt_hex64(a, nums[i]) = '\0';
        snprintf(b, sizeof b, "%016llx", nums[i]);
        CHECK_STR(a, b);
        *fmt_hex(a, nums[i]) = '\0';
        snprintf(b, sizeof b, "%llx", nums[i]);
        CHECK_STR(a, b);
    }
    char c[32];
    *fmt_mem(fmt_str(c, "ab"), "cdef", 2) = '\0';
    CHECK_STR(c, "abcd");
}

int main(void)
{
    sipmsg_init();
    check_hdr_ids();
    check_fmt();
    const char *why = NULL;
    struct sip_msg *msg = sipmsg_parse(invite, sizeof invite - 1, NULL, &why);
    CHECK(msg != NULL);
    if (!msg)
        return check_report("sipmsg");

    /* start line and views */
    CHECK(sipmsg_is_request(msg) && sipmsg_method_is(msg, "INVITE"));
    CHECK_STR(str(sipmsg_ruri(msg)), "sip:bob@example.com");
    CHECK_STR(str(sipmsg_call_id(msg)), "call-1@10.0.0.1");
    CHECK_STR(str(sipmsg_from_uri(msg)), "sip:alice@example.com");
    CHECK_STR(str(sipmsg_from_tag(msg)), "a1");
    CHECK(sipmsg_to_tag(msg).s == NULL);
    uint32_t cseq;
    struct sip_str cm;
    CHECK(sipmsg_cseq(msg, &cseq, &cm) == 0 && cseq == 7);
    CHECK_STR(str(cm), "INVITE");
    struct sip_via via;
    CHECK(sipmsg_top_via(msg, &via) == 0 && via.port == 5060);
    CHECK_STR(str(via.branch), "z9hG4bKabc");
    CHECK_STR(str(via.host), "10.0.0.1");
    /* the body is Content-Length bytes, the rest of the datagram is not part of it */
    CHECK(sipmsg_body(msg).len == 4 && !memcmp(sipmsg_body(msg).s, "v=0\n", 4));

    /* compact and long forms, any case; list headers split at top-level commas only */
    CHECK_STR(get(msg, "Via", 0), "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKabc;rport");
    CHECK_STR(get(msg, "v", 1), "SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKdef");
    CHECK_STR(get(msg, "VIA", 2), "SIP/2.0/TCP [2001:db8::1]:5070;branch=z9hG4bKx");
    CHECK(get(msg, "Via", 3) == NULL);
    CHECK_STR(get(msg, "I", 0), "call-1@10.0.0.1");
    CHECK_STR(get(msg, "from", 0), "\"Alice, A.\" <sip:alice@example.com>;tag=a1");
    CHECK_STR(get(msg, "Supported", 0), "timer");
    CHECK_STR(get(msg, "x-CUSTOM", 1), "two, three"); /* unknown headers: one value per line */
    CHECK_STR(get(msg, "Subject", 0), "a folded subject"); /* folded lines joined logically */
    CHECK_STR(get(msg, "Authorization", 0), "NewScheme p=\"x,y\", q=1"); /* as received */
    CHECK_STR(get(msg, "Contact", 1), "sip:alice@10.0.0.2;q=0.5");
    struct sip_nameaddr na;
    CHECK(sip_nameaddr_parse(invite, 0, &na) == -1);
    struct sip_str c0 = sipmsg_header(msg, "m", 0), e;
    CHECK(sip_nameaddr_parse(c0.s, c0.len, &na) == 0);
    CHECK(sip_param_get(na.params, "expires", &e) == 1 && sip_number(e, 100) == 60);

    char buf[64];
    CHECK_STR(sipmsg_header_name("v", buf, sizeof buf), "Via");
    CHECK_STR(sipmsg_header_name("o", buf, sizeof buf), "Event");
    CHECK_STR(sipmsg_header_name("x-foo-bar", buf, sizeof buf), "X-Foo-Bar");

    /* nothing edited: the output is the input (without the bytes past Content-Length) */
    char *out;
    size_t len;
    CHECK(sipmsg_print(msg, &out, &len) == 0);
    CHECK(len == sizeof invite - 1 - 5 && memcmp(out, invite, len) == 0);
    free(out);

    /* edits */
    CHECK(sipmsg_header_remove(msg, "X-Custom") == 2);
    CHECK(get(msg, "x-custom", 0) == NULL);
    CHECK(sipmsg_header_append(msg, "X-Lunasip", "yes") == 0);
    CHECK(sipmsg_header_insert(msg, "CSeq", 0, "Record-Route", "<sip:p1;lr>, <sip:p2;lr>") == 0);
    CHECK_STR(get(msg, "record-route", 1), "<sip:p2;lr>");
    CHECK(sipmsg_header_append(msg, "Content-Length", "99") == -1); /* computed, not settable */
    CHECK(sipmsg_header_remove(msg, "l") == -1);
    CHECK(sipmsg_header_remove(msg, "From") == 1);
    CHECK(sipmsg_header_append(msg, "From", "<sip:carol@example.com>;tag=c3") == 0);
    CHECK(sipmsg_header_append(msg, "From", "<sip:dave@example.com>") == -1); /* single-valued */
    CHECK(sipmsg_header_append(msg, "Via", "not a via") == -1);
    CHECK(sipmsg_header_append(msg, "Via", "SIP/2.0/UDP a.example;branch=z9hG4bK1, SIP/2.0/TCP [::1]:5") == 0);
    CHECK(sipmsg_header_remove(msg, "Via") == 5);
    CHECK(sipmsg_header_append(msg, "Contact", " * ") == 0);
    CHECK(sipmsg_header_append(msg, "Contact", "<sip:a@b>;q=0.1, \"x\" <sip:c@d>") == 0);
    CHECK(sipmsg_header_append(msg, "Contact", "<sip:a@b") == -1);
    CHECK(sipmsg_header_append(msg, "To", "<sip:a@b>, <sip:c@d>") == -1);
    CHECK(sipmsg_header_append(msg, "X-Bad", "a\r\nInjected: 1") == -1);
    CHECK(sipmsg_header_append(msg, "Bad Name", "x") == -1);
    CHECK(sipmsg_header_remove_value(msg, "Contact", 0) == 0);
    CHECK_STR(get(msg, "Contact", 0), "sip:alice@10.0.0.2;q=0.5");
    CHECK_STR(get(msg, "Contact", 1), "*");
    CHECK(sipmsg_header_remove_value(msg, "Contact", 2) == 0); /* the first value of a later line */
    CHECK_STR(get(msg, "Contact", 2), "\"x\" <sip:c@d>");
    CHECK(sipmsg_header_remove_value(msg, "Contact", 2) == 0);
    CHECK(sipmsg_header_remove_value(msg, "Contact", 1) == 0);
    CHECK(get(msg, "Contact", 1) == NULL);
    CHECK(sipmsg_header_replace_value(msg, "Max-Forwards", 0, "69") == 0);
    CHECK(sipmsg_set_ruri(msg, "sip:carol@10.0.0.3:5070") == 0);
    CHECK(sipmsg_set_ruri(msg, "not a uri") == -1);
    CHECK_STR(str(sipmsg_ruri(msg)), "sip:carol@10.0.0.3:5070");
    CHECK_STR(str(sipmsg_from_tag(msg)), "c3");

    CHECK(sipmsg_print(msg, &out, &len) == 0);
    CHECK(strncmp(out, "INVITE sip:carol@10.0.0.3:5070 SIP/2.0\r\n", 40) == 0);
    CHECK(strstr(out, "\r\nX-Lunasip: yes\r\n") != NULL);
    CHECK(strstr(out, "\r\nRecord-Route: <sip:p1;lr>, <sip:p2;lr>\r\nCSeq: 7 INVITE\r\nMax-Forwards: 69\r\n") != NULL);
    CHECK(strstr(out, "\r\nk: timer\r\n") != NULL);              /* untouched lines as received */
    CHECK(strstr(out, "\r\nSubject: a folded\r\n  subject\r\n") != NULL);
    CHECK(strstr(out, "\r\nm: sip:alice@10.0.0.2;q=0.5\r\n") != NULL);
    CHECK(strstr(out, "From: <sip:carol@example.com>;tag=c3\r\n") != NULL);
    CHECK(strstr(out, "X-Custom") == NULL && strstr(out, "x-custom") == NULL);
    CHECK(strstr(out, "\r\nl: 4\r\n") != NULL);                   /* body untouched: length untouched */
    CHECK(len > 8 && !memcmp(out + len - 8, "\r\n\r\nv=0\n", 8));
    free(out);

    /* a new body rewrites Content-Length */
    CHECK(sipmsg_set_body(msg, "hello", 5, "text/plain") == 0);
    CHECK(sipmsg_print(msg, &out, &len) == 0);
    CHECK(strstr(out, "l: 4") == NULL && strstr(out, "\r\nContent-Type: text/plain\r\n") != NULL);
    CHECK(strstr(out, "\r\nContent-Length: 5\r\n\r\nhello") != NULL);
    free(out);
    sipmsg_unref(msg);

    /* local replies copy Via, From, To, Call-ID and CSeq lines as received and add the To tag */
    static const char opt[] =
        "OPTIONS sip:x@y SIP/2.0\r\nVia:  SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\nv: SIP/2.0/UDP 10.0.0.2\r\n"
        "From: <sip:a@b>;tag=1\r\nTo:   <sip:x@y;user=phone>\r\nX-Other: 1\r\nCall-ID: abc\r\nCSeq: 2 OPTIONS\r\n\r\n";
    msg = sipmsg_parse(opt, sizeof opt - 1, NULL, &why);
    CHECK(msg != NULL);
    char *r = proxy_build_reply(msg, 200, NULL, "Allow: INVITE\r\n", "body", 4, &len);
    CHECK(r != NULL);
    CHECK(r && strncmp(r, "SIP/2.0 200 OK\r\nVia:  SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\nv: SIP/2.0/UDP 10.0.0.2\r\n"
                          "From: <sip:a@b>;tag=1\r\nTo:   <sip:x@y;user=phone>;tag=ls", 132) == 0);
    CHECK(r && strstr(r, "\r\nCall-ID: abc\r\nCSeq: 2 OPTIONS\r\nAllow: INVITE\r\nContent-Length: 4\r\n\r\nbody") != NULL);
    CHECK(r && !strstr(r, "X-Other"));
    free(r);
    r = proxy_build_reply(msg, 100, "Trying", NULL, NULL, 0, &len); /* no tag on a 100 */
    CHECK(r && strstr(r, "\r\nTo:   <sip:x@y;user=phone>\r\n") != NULL);
    free(r);
    sipmsg_unref(msg);

    /* the top Via view follows every edit of the Via lines (it is kept while its line is) */
    static const char vias[] =
        "OPTIONS sip:x@y SIP/2.0\r\nVia: SIP/2.0/UDP a.example:5061;branch=z9hG4bK1, SIP/2.0/TCP b.example\r\n"
        "Via: SIP/2.0/UDP c.example\r\nv: ,\r\nVia: SIP/2.0/UDP d.example\r\n\r\n";
    msg = sipmsg_parse(vias, sizeof vias - 1, NULL, &why);
    struct sip_via tv;
    CHECK(msg && sipmsg_top_via(msg, &tv) == 0 && tv.port == 5061 && !strcmp(str(tv.host), "a.example"));
    CHECK(msg && sipmsg_top_via(msg, &tv) == 0 && !strcmp(str(tv.branch), "z9hG4bK1")); /* kept */
    CHECK(msg && sipmsg_header_remove_value(msg, "Via", 0) == 0);
    CHECK(msg && sipmsg_top_via(msg, &tv) == 0 && tv.port == 0 && !strcmp(str(tv.host), "b.example"));
    CHECK(msg && sipmsg_header_insert(msg, NULL, 0, "Via", "SIP/2.0/UDP new.example:7") == 0);
    CHECK(msg && sipmsg_top_via(msg, &tv) == 0 && tv.port == 7 && !strcmp(str(tv.host), "new.example"));
    CHECK(msg && sipmsg_header_replace_value(msg, "Via", 0, "SIP/2.0/TLS r.example") == 0);
    CHECK(msg && sipmsg_top_via(msg, &tv) == 0 && !strcmp(str(tv.transport), "TLS"));
    CHECK(msg && sipmsg_header_remove_value(msg, "Via", 0) == 0 && sipmsg_header_remove_value(msg, "Via", 0) == 0);
    CHECK(msg && sipmsg_top_via(msg, &tv) == 0 && !strcmp(str(tv.host), "c.example"));
    CHECK(msg && sipmsg_header_remove_value(msg, "Via", 0) == 0);
    CHECK(msg && sipmsg_top_via(msg, &tv) == 0 && !strcmp(str(tv.host), "d.example")); /* past the empty line */
    CHECK(msg && sipmsg_header_remove(msg, "Via") == 1 && sipmsg_top_via(msg, &tv) == -1);
    sipmsg_unref(msg);
    static const char empty_first[] = "OPTIONS sip:x@y SIP/2.0\r\nVia: , SIP/2.0/UDP e.example;branch=z9hG4bK2\r\n\r\n";
    msg = sipmsg_parse(empty_first, sizeof empty_first - 1, NULL, &why);
    CHECK(msg && sipmsg_top_via(msg, &tv) == 0 && !strcmp(str(tv.host), "e.example"));
    sipmsg_unref(msg);

    /* message blocks are reused (a pool of freed ones): nothing of an earlier message shows */
    for (int i = 0; i < 40; i++) {
        struct sip_msg *a = sipmsg_parse(vias, sizeof vias - 1, NULL, &why);
        struct sip_msg *b = sipmsg_parse(opt, sizeof opt - 1, NULL, &why);
        CHECK(a && b && sipmsg_header_remove_value(a, "Via", 0) == 0 && sipmsg_set_body(a, "xyz", 3, "text/plain") == 0);
        CHECK(b && sipmsg_top_via(b, &tv) == 0 && !strcmp(str(tv.host), "10.0.0.1"));
        CHECK(b && sipmsg_print(b, &out, &len) == 0 && len == sizeof opt - 1 && !memcmp(out, opt, len));
        if (b)
            free(out);
        sipmsg_unref(i % 2 ? a : b);
        sipmsg_unref(i % 2 ? b : a);
    }

    /* numbers: range checks, no sign, no junk */
    CHECK(sip_number((struct sip_str){ "2147483647", 10 }, 0x7fffffffLL) == 2147483647LL);
    CHECK(sip_number((struct sip_str){ "2147483648", 10 }, 0x7fffffffLL) == -1);
    CHECK(sip_number((struct sip_str){ "-1", 2 }, 100) == -1);
    CHECK(sip_number((struct sip_str){ "1x", 2 }, 100) == -1);
    CHECK(sip_number((struct sip_str){ "99999999999999999999", 20 }, 0x7fffffffLL) == -1);

    /* URIs: escaped characters and unknown schemes are fine, spaces and bad hosts are not */
    struct sip_uri u;
    const char *esc = "sip:%61lice%00@[2001:db8::10]:5070;unknownparam;lr?h=v";
    CHECK(sip_uri_parse(esc, strlen(esc), &u) == 0);
    CHECK_STR(str(u.host), "[2001:db8::10]");
    CHECK(u.port == 5070 && sip_param_get(u.params, "lr", NULL));
    CHECK(sip_uri_parse("tel:+1-555-0100", 15, &u) == 0);
    CHECK(sip_uri_parse("sip:a b@c", 9, &u) == -1);
    CHECK(sip_uri_parse("sip:a@c:99999", 13, &u) == -1);
    CHECK(sip_uri_parse("sip:a@", 6, &u) == -1);

    /* broken messages are refused by the indexer */
    CHECK(sipmsg_parse("garbage\r\n\r\n", 11, NULL, &why) == NULL && why);
    CHECK(sipmsg_parse("SIP/2.0 2x0 OK\r\n\r\n", 18, NULL, &why) == NULL);
    CHECK(sipmsg_parse("OPTIONS sip:x SIP/2.0\r\n folded-first: 1\r\n\r\n", 43, NULL, &why) == NULL);
    CHECK(sipmsg_parse("OPTIONS sip:x SIP/2.0\r\nNoColon\r\n\r\n", 34, NULL, &why) == NULL);
    CHECK(sipmsg_parse("OPTIONS sip:x SIP/2.0\r\nA: 1\r\n", 29, NULL, &why) == NULL); /* no end of headers */
    return check_report("sipmsg");
}
