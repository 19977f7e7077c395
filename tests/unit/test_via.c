/* Via handling: received/rport from the packet (overwriting the client's), stateless branch
 * stability, reply targets, our Via line, popping ours. */
#include "check.h"
#include <lunasip/msg.h>
#include <lunasip/via.h>
#include <arpa/inet.h>
#include <stdlib.h>

static struct sip_msg *parse(const char *s, const struct sockaddr_storage *src)
{
    const char *why;
    struct sip_source so = { 0 };
    if (src)
        so.addr.sa = *src;
    return sipmsg_parse(s, strlen(s), &so, &why);
}

static char *req(const char *method, const char *via, const char *to_tag)
{
    static char buf[1024];
    snprintf(buf, sizeof buf,
             "%s sip:bob@example.com SIP/2.0\r\nVia: %s\r\nFrom: <sip:a@x>;tag=f1\r\nTo: <sip:bob@example.com>%s%s\r\n"
             "Call-ID: c1\r\nCSeq: 1 %s\r\nContent-Length: 0\r\n\r\n",
             method, via, to_tag ? ";tag=" : "", to_tag ? to_tag : "", method);
    return buf;
}

static void branch_of(const char *method, const char *via, const char *to_tag, char *out)
{
    struct sip_msg *m = parse(req(method, via, to_tag), NULL);
    via_branch_stateless(m, out, 48);
    sipmsg_unref(m);
}

static const char *top_via(struct sip_msg *m)
{
    static char buf[256];
    return sip_str_copy(sipmsg_header(m, "Via", 0), buf, sizeof buf);
}

int main(void)
{
    sipmsg_init();
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(5099) };
    inet_pton(AF_INET, "192.0.2.7", &sin.sin_addr);
    struct sockaddr_storage src;
    memset(&src, 0, sizeof src);
    memcpy(&src, &sin, sizeof sin);
    char host[64];
    int port;
    enum sip_proto proto;
    struct sip_via v;

    /* received is added when sent-by differs; an empty rport is filled */
    struct sip_msg *m = parse(req("INVITE", "SIP/2.0/UDP client.example.com:5060;branch=z9hG4bK1;rport", NULL), &src);
    CHECK(via_fix_request(m) == 0);
    CHECK_STR(top_via(m), "SIP/2.0/UDP client.example.com:5060;branch=z9hG4bK1;rport=5099;received=192.0.2.7");
    CHECK(sipmsg_top_via(m, &v) == 0);
    CHECK(via_reply_target(&v, host, sizeof host, &port, &proto) == 0);
    CHECK_STR(host, "192.0.2.7");
    CHECK(port == 5099 && proto == PROTO_UDP);
    sipmsg_unref(m);

    /* a client's own received= and rport= values are overwritten: nobody aims our replies */
    m = parse(req("INVITE", "SIP/2.0/UDP 192.0.2.7:5060;received=203.0.113.9;rport=7;branch=z9hG4bK1", NULL), &src);
    CHECK(via_fix_request(m) == 0);
    CHECK_STR(top_via(m), "SIP/2.0/UDP 192.0.2.7:5060;rport=5099;branch=z9hG4bK1;received=192.0.2.7");
    sipmsg_top_via(m, &v);
    CHECK(via_reply_target(&v, host, sizeof host, &port, &proto) == 0);
    CHECK_STR(host, "192.0.2.7");
    CHECK(port == 5099);
    sipmsg_unref(m);

    /* same IP, no rport: nothing changes, byte for byte; replies go to the sent-by port */
    m = parse(req("OPTIONS", "SIP/2.0/TCP 192.0.2.7:5070 ;branch=z9hG4bK2", NULL), &src);
    CHECK(via_fix_request(m) == 0);
    CHECK_STR(top_via(m), "SIP/2.0/TCP 192.0.2.7:5070 ;branch=z9hG4bK2");
    sipmsg_top_via(m, &v);
    CHECK(via_reply_target(&v, host, sizeof host, &port, &proto) == 0);
    CHECK(port == 5070 && proto == PROTO_TCP);
    sipmsg_unref(m);

    /* no params at all: received goes right after sent-by, also with a second value on the line */
    m = parse(req("OPTIONS", "SIP/2.0/UDP host.example:5062, SIP/2.0/UDP 10.0.0.9;branch=z9hG4bK8", NULL), &src);
    CHECK(via_fix_request(m) == 0);
    CHECK_STR(top_via(m), "SIP/2.0/UDP host.example:5062;received=192.0.2.7");
    CHECK_STR(sip_str_copy(sipmsg_header(m, "Via", 1), host, sizeof host), "SIP/2.0/UDP 10.0.0.9;branch=z9hG4bK8");
    /* popping the top value keeps the rest of the line */
    CHECK(via_pop(m) == 0);
    CHECK_STR(top_via(m), "SIP/2.0/UDP 10.0.0.9;branch=z9hG4bK8");
    CHECK(via_pop(m) == 0 && via_pop(m) == -1);
    sipmsg_unref(m);

    /* a top Via folded over two lines (its view is an unfolded copy): written back unfolded
     * with received/rport, the next value kept (fuzzing found the splice going out of bounds) */
    m = parse(req("OPTIONS", "SIP/2.0/UDP client.example.com:5060\r\n ;branch=z9hG4bK3;rport, SIP/2.0/UDP 10.0.0.9", NULL), &src);
    CHECK(via_fix_request(m) == 0);
    CHECK_STR(top_via(m), "SIP/2.0/UDP client.example.com:5060 ;branch=z9hG4bK3;rport=5099;received=192.0.2.7");
    CHECK_STR(sip_str_copy(sipmsg_header(m, "Via", 1), host, sizeof host), "SIP/2.0/UDP 10.0.0.9");
    sipmsg_unref(m);

    /* our Via line */
    char line[128];
    CHECK(via_line(line, sizeof line, PROTO_TCP, "[::1]", 5070, "z9hG4bKsl0") > 0);
    CHECK_STR(line, "Via: SIP/2.0/TCP [::1]:5070;branch=z9hG4bKsl0\r\n");
    CHECK(via_line(line, 20, PROTO_TCP, "[::1]", 5070, "z9hG4bKsl0") == 0);

    /* stateless branch: stable for retransmissions, shared by CANCEL/ACK of the same INVITE,
     * different for another transaction */
    char b1[48], b2[48], b3[48], b4[48], b5[48];
    branch_of("INVITE", "SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKx1", NULL, b1);
    branch_of("INVITE", "SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKx1", NULL, b2);
    branch_of("CANCEL", "SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKx1", NULL, b3);
    branch_of("INVITE", "SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKx2", NULL, b4);
    CHECK(strncmp(b1, BRANCH_COOKIE, 7) == 0);
    CHECK_STR(b1, b2);
    CHECK_STR(b1, b3);
    CHECK(strcmp(b1, b4) != 0);
    /* RFC 2543 peers (no cookie): the ACK for a negative reply shares the INVITE's branch */
    branch_of("INVITE", "SIP/2.0/UDP 10.0.0.1;branch=old1", NULL, b4);
    branch_of("ACK", "SIP/2.0/UDP 10.0.0.1;branch=old1", "t9", b5);
    CHECK_STR(b4, b5);

    /* an unknown transport cannot take replies */
    m = parse(req("INVITE", "SIP/2.0/SCTP 10.0.0.1;branch=z9hG4bK3", NULL), NULL);
    CHECK(sipmsg_top_via(m, &v) == 0);
    CHECK(via_reply_target(&v, host, sizeof host, &port, &proto) == -1);
    sipmsg_unref(m);
    return check_report("via");
}
