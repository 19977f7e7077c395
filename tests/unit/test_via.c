/* Via handling: received/rport, stateless branch stability, reply targets, push/pop. */
#include "check.h"
#include <lunasip/msg.h>
#include <lunasip/via.h>
#include <arpa/inet.h>
#include <stdlib.h>

static struct sip_msg *parse(const char *s)
{
    const char *why;
    return sipmsg_parse(s, strlen(s), NULL, &why);
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
    struct sip_msg *m = parse(req(method, via, to_tag));
    via_branch_stateless(m->m, out, 48);
    sipmsg_unref(m);
}

int main(void)
{
    sipmsg_init();
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(5099) };
    inet_pton(AF_INET, "192.0.2.7", &sin.sin_addr);
    struct sockaddr_storage src;
    memset(&src, 0, sizeof src);
    memcpy(&src, &sin, sizeof sin);

    /* received is added when sent-by differs; an empty rport is filled */
    struct sip_msg *m = parse(req("INVITE", "SIP/2.0/UDP client.example.com:5060;branch=z9hG4bK1;rport", NULL));
    CHECK(via_fix_request(m->m, &src) == 0);
    osip_via_t *v = osip_list_get(&m->m->vias, 0);
    CHECK_STR(via_param(v, "received"), "192.0.2.7");
    CHECK_STR(via_param(v, "rport"), "5099");
    char host[64];
    int port;
    enum sip_proto proto;
    CHECK(via_reply_target(v, host, sizeof host, &port, &proto) == 0);
    CHECK_STR(host, "192.0.2.7");
    CHECK(port == 5099 && proto == PROTO_UDP);
    sipmsg_unref(m);

    /* same IP, no rport: nothing is added; replies go to sent-by port */
    m = parse(req("OPTIONS", "SIP/2.0/TCP 192.0.2.7:5070;branch=z9hG4bK2", NULL));
    via_fix_request(m->m, &src);
    v = osip_list_get(&m->m->vias, 0);
    CHECK(via_param(v, "received") == NULL);
    CHECK(via_reply_target(v, host, sizeof host, &port, &proto) == 0);
    CHECK(port == 5070 && proto == PROTO_TCP);

    /* push/pop our Via */
    CHECK(via_push(m->m, PROTO_UDP, "127.0.0.1", 5060, "z9hG4bKsl0") == 0);
    v = osip_list_get(&m->m->vias, 0);
    CHECK_STR(v->host, "127.0.0.1");
    CHECK_STR(via_param(v, "branch"), "z9hG4bKsl0");
    CHECK(osip_list_size(&m->m->vias) == 2);
    CHECK(via_pop(m->m) == 0 && osip_list_size(&m->m->vias) == 1);
    sipmsg_unref(m);

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
    m = parse(req("INVITE", "SIP/2.0/SCTP 10.0.0.1;branch=z9hG4bK3", NULL));
    CHECK(via_reply_target(osip_list_get(&m->m->vias, 0), host, sizeof host, &port, &proto) == -1);
    sipmsg_unref(m);
    return check_report("via");
}
