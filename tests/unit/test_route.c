/* Record-Route and loose routing (RFC 3261 §16.4, §16.6, §16.12) with 10.9.9.9:5060 as "us". */
#include "check.h"
#include "sip/route.h"
#include <lunasip/msg.h>
#include <stdlib.h>

static int is_us(const char *host, int port)
{
    return strcmp(host, "10.9.9.9") == 0 && port == 5060;
}

static struct sip_msg *parse(const char *ruri, const char *routes)
{
    char buf[1024];
    snprintf(buf, sizeof buf,
             "BYE %s SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\n%s"
             "From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>;tag=2\r\nCall-ID: c\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n",
             ruri, routes);
    const char *why;
    return sipmsg_parse(buf, strlen(buf), NULL, &why);
}

static char *hdr(struct sip_msg *m, const char *name, int pos)
{
    static char v[256];
    struct sip_str s = sipmsg_header(m, name, pos);
    return s.s ? sip_str_copy(s, v, sizeof v) : NULL;
}

static char *ruri(struct sip_msg *m)
{
    static char v[256];
    return sip_str_copy(sipmsg_ruri(m), v, sizeof v);
}

int main(void)
{
    sipmsg_init();
    char *next;

    /* no Route: nothing to do */
    struct sip_msg *m = parse("sip:b@10.0.0.2", "");
    CHECK(route_loose(m, is_us, &next) == 0 && next == NULL);
    sipmsg_unref(m);

    /* our Route first, then a loose router: ours is removed, the next one is the next hop */
    m = parse("sip:b@10.0.0.2", "Route: <sip:10.9.9.9;lr>, <sip:10.7.7.7:5070;lr>\r\n");
    CHECK(route_loose(m, is_us, &next) == 1);
    CHECK_STR(next, "sip:10.7.7.7:5070;lr");
    free(next);
    CHECK_STR(hdr(m, "Route", 0), "<sip:10.7.7.7:5070;lr>");
    CHECK(hdr(m, "Route", 1) == NULL);
    sipmsg_unref(m);

    /* only our Routes (double record-routing): all removed, the R-URI is the next hop */
    m = parse("sip:b@10.0.0.2", "Route: <sip:10.9.9.9:5060;lr>\r\nRoute: <sip:10.9.9.9;transport=tcp;lr>\r\n");
    CHECK(route_loose(m, is_us, &next) == 1 && next == NULL);
    CHECK(hdr(m, "Route", 0) == NULL);
    CHECK_STR(ruri(m), "sip:b@10.0.0.2");
    sipmsg_unref(m);

    /* previous hop was a strict router: the R-URI is ours, the last Route is the real target */
    m = parse("sip:10.9.9.9;lr", "Route: <sip:10.7.7.7;lr>, <sip:b@10.0.0.2>\r\n");
    CHECK(route_loose(m, is_us, &next) == 1);
    CHECK_STR(ruri(m), "sip:b@10.0.0.2");
    CHECK_STR(next, "sip:10.7.7.7;lr");
    free(next);
    CHECK(hdr(m, "Route", 1) == NULL);
    sipmsg_unref(m);

    /* next hop is a strict router: it becomes the R-URI, the old R-URI goes last */
    m = parse("sip:b@10.0.0.2", "Route: <sip:10.6.6.6>, <sip:10.5.5.5;lr>\r\n");
    CHECK(route_loose(m, is_us, &next) == 1 && next == NULL);
    CHECK_STR(ruri(m), "sip:10.6.6.6");
    CHECK_STR(hdr(m, "Route", 0), "<sip:10.5.5.5;lr>");
    CHECK_STR(hdr(m, "Route", 1), "<sip:b@10.0.0.2>");
    sipmsg_unref(m);

    /* Record-Route goes on top, with the transport for TCP */
    m = parse("sip:b@10.0.0.2", "Record-Route: <sip:10.1.1.1;lr>\r\n");
    CHECK(route_record(m, PROTO_TCP, "10.9.9.9", 5060, 0) == 0);
    CHECK_STR(hdr(m, "Record-Route", 0), "<sip:10.9.9.9:5060;transport=tcp;lr>");
    CHECK_STR(hdr(m, "Record-Route", 1), "<sip:10.1.1.1;lr>");
    CHECK(route_record(m, PROTO_UDP, "[::1]", 5070, 0) == 0);
    CHECK_STR(hdr(m, "Record-Route", 0), "<sip:[::1]:5070;lr>");
    sipmsg_unref(m);

    /* a sips request: sips: for the TLS and WSS listeners, sip: for a plain one (RFC 5630) */
    m = parse("sips:b@10.0.0.2", "");
    CHECK(route_record(m, PROTO_TLS, "10.9.9.9", 5061, 1) == 0);
    CHECK_STR(hdr(m, "Record-Route", 0), "<sips:10.9.9.9:5061;lr>");
    CHECK(route_record(m, PROTO_WSS, "10.9.9.9", 443, 1) == 0);
    CHECK_STR(hdr(m, "Record-Route", 0), "<sips:10.9.9.9:443;transport=ws;lr>");
    CHECK(route_record(m, PROTO_UDP, "10.9.9.9", 5060, 1) == 0);
    CHECK_STR(hdr(m, "Record-Route", 0), "<sip:10.9.9.9:5060;lr>");
    CHECK(route_record(m, PROTO_TLS, "10.9.9.9", 5061, 0) == 0);
    CHECK_STR(hdr(m, "Record-Route", 0), "<sip:10.9.9.9:5061;transport=tls;lr>");
    sipmsg_unref(m);

    /* Record-Route with none before goes right after the Via lines */
    m = parse("sip:b@10.0.0.2", "");
    CHECK(route_record(m, PROTO_UDP, "10.9.9.9", 5060, 0) == 0);
    char *out;
    size_t len;
    CHECK(sipmsg_print(m, &out, &len) == 0);
    CHECK(strstr(out, "z9hG4bK1\r\nRecord-Route: <sip:10.9.9.9:5060;lr>\r\nFrom:") != NULL);
    free(out);
    sipmsg_unref(m);

    /* one Route line with several values: only ours goes, the rest of the line stays as written */
    m = parse("sip:b@10.0.0.2", "Route: <sip:10.9.9.9;lr>,<sip:10.7.7.7;lr>;x=\"a,b\"  ,  <sip:10.8.8.8;lr>\r\n");
    CHECK(route_loose(m, is_us, &next) == 1);
    CHECK_STR(next, "sip:10.7.7.7;lr");
    free(next);
    CHECK(sipmsg_print(m, &out, &len) == 0);
    CHECK(strstr(out, "\r\nRoute: <sip:10.7.7.7;lr>;x=\"a,b\"  ,  <sip:10.8.8.8;lr>\r\n") != NULL);
    free(out);
    sipmsg_unref(m);
    return check_report("route");
}
