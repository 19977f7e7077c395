/* Header access by name: compact forms, case folding, typed and generic headers. */
#include "check.h"
#include <lunasip/msg.h>
#include <stdlib.h>

static const char invite[] =
    "INVITE sip:bob@example.com SIP/2.0\r\n"
    "v: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKabc;rport\r\n"
    "Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKdef\r\n"
    "f: <sip:alice@example.com>;tag=a1\r\n"
    "t: <sip:bob@example.com>\r\n"
    "i: call-1@10.0.0.1\r\n"
    "CSeq: 7 INVITE\r\n"
    "Max-Forwards: 70\r\n"
    "k: timer\r\n"
    "X-Custom: one\r\n"
    "x-custom: two\r\n"
    "m: <sip:alice@10.0.0.1>\r\n"
    "c: application/sdp\r\n"
    "l: 4\r\n"
    "\r\n"
    "v=0\n";

static char *get(osip_message_t *m, const char *name, int pos)
{
    static char *last;
    free(last);
    last = NULL;
    if (sipmsg_header_get(m, name, pos, &last) != 0)
        return NULL;
    return last;
}

int main(void)
{
    sipmsg_init();
    const char *why = NULL;
    struct sip_msg *msg = sipmsg_parse(invite, sizeof invite - 1, NULL, &why);
    CHECK(msg != NULL);
    if (!msg)
        return check_report("sipmsg");
    osip_message_t *m = msg->m;

    /* compact and long forms, any case, find the same header */
    CHECK_STR(get(m, "Via", 0), "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKabc;rport");
    CHECK_STR(get(m, "v", 1), "SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKdef");
    CHECK(get(m, "VIA", 2) == NULL);
    CHECK_STR(get(m, "call-id", 0), "call-1@10.0.0.1");
    CHECK_STR(get(m, "I", 0), "call-1@10.0.0.1");
    CHECK_STR(get(m, "from", 0), "<sip:alice@example.com>;tag=a1");
    CHECK_STR(get(m, "Supported", 0), "timer");  /* arrived as compact "k" */
    CHECK_STR(get(m, "k", 0), "timer");
    CHECK_STR(get(m, "x-CUSTOM", 1), "two");
    CHECK_STR(get(m, "Contact", 0), "<sip:alice@10.0.0.1>");
    CHECK_STR(get(m, "max-forwards", 0), "70");
    CHECK_STR(sipmsg_tag(m->from), "a1");
    CHECK(sipmsg_tag(m->to) == NULL);

    /* canonical names */
    char buf[64];
    CHECK_STR(sipmsg_header_name("v", buf, sizeof buf), "Via");
    CHECK_STR(sipmsg_header_name("o", buf, sizeof buf), "Event");
    CHECK_STR(sipmsg_header_name("x-foo-bar", buf, sizeof buf), "X-Foo-Bar");

    /* remove counts values; append and set */
    CHECK(sipmsg_header_remove(m, "X-Custom") == 2);
    CHECK(get(m, "x-custom", 0) == NULL);
    CHECK(sipmsg_header_append(m, "X-Lunasip", "yes") == 0);
    CHECK(sipmsg_header_append(m, "Record-Route", "<sip:p1;lr>, <sip:p2;lr>") == 0);
    CHECK_STR(get(m, "record-route", 1), "<sip:p2;lr>");
    CHECK(sipmsg_header_append(m, "Content-Length", "99") == -1); /* computed, not settable */
    CHECK(sipmsg_header_remove(m, "l") == -1);
    CHECK(sipmsg_header_remove(m, "From") == 1);
    CHECK(sipmsg_header_append(m, "From", "<sip:carol@example.com>;tag=c3") == 0);
    CHECK(sipmsg_header_append(m, "From", "<sip:dave@example.com>") == -1); /* single-valued */
    CHECK(sipmsg_header_append(m, "Via", "not a via") == -1);

    char *out;
    size_t len;
    CHECK(sipmsg_print(m, &out, &len) == 0);
    CHECK(strstr(out, "X-Lunasip: yes\r\n") != NULL);
    CHECK(strstr(out, "Supported: timer\r\n") != NULL);
    CHECK(strstr(out, "From: <sip:carol@example.com>;tag=c3\r\n") != NULL);
    CHECK(strstr(out, "X-Custom") == NULL && strstr(out, "x-custom") == NULL);
    CHECK(strstr(out, "\r\n\r\nv=0\n") != NULL);
    osip_free(out);

    /* the body is returned byte for byte */
    char *tmp;
    const char *body = sipmsg_body(m, &tmp, &len);
    CHECK(body && len == 4 && memcmp(body, "v=0\n", 4) == 0);
    osip_free(tmp);

    sipmsg_unref(msg);
    CHECK(sipmsg_parse("garbage\r\n\r\n", 11, NULL, &why) == NULL && why);
    return check_report("sipmsg");
}
