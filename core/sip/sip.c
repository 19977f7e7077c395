/* The SIP receive path: parse, sanity checks, the units' hooks, then the script's
 * on_request/on_reply routes (called up through sip_set_routes). */
#include "sip/hook.h"
#include "log.h"
#include <lunasip/proxy.h>
#include "sip/sipmsg_int.h"
#include "stats.h"
#include <lunasip/stats.h>
#include <lunasip/via.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <strings.h>

static struct sip_routes routes; /* sip_set_routes */

void sip_set_routes(const struct sip_routes *r)
{
    routes = *r;
}
int sip_draining;

/* Answer a message the indexer could not take (a malformed header line, ...) when its first line is a
 * request line: the status line plus the Via, From, To, Call-ID and CSeq lines copied raw. */
static void raw_reply(const char *buf, size_t len, const struct sip_source *src, int code, const char *reason)
{
    const char *eol = memchr(buf, '\n', len);
    char method[32];
    int n = 0;
    if (!eol || sscanf(buf, "%31[A-Za-z] %*[^ ] SIP/2.0%n", method, &n) != 1 || !n || !strcasecmp(method, "ACK"))
        return;
    char out[8192];
    size_t o = (size_t)snprintf(out, sizeof out, "SIP/2.0 %d %s\r\n", code, reason);
    static const char *copy[] = { "via:", "v:", "from:", "f:", "to:", "t:", "call-id:", "i:", "cseq:" };
    for (const char *line = eol + 1; line < buf + len;) {
        const char *end = memchr(line, '\n', (size_t)(buf + len - line));
        size_t l = end ? (size_t)(end - line) : (size_t)(buf + len - line);
        if (l && line[l - 1] == '\r')
            l--;
        if (!l)
            break;
        for (size_t i = 0; i < sizeof copy / sizeof copy[0]; i++)
            if (l > strlen(copy[i]) && !strncasecmp(line, copy[i], strlen(copy[i])) && o + l + 2 < sizeof out - 32) {
                memcpy(out + o, line, l);
                memcpy(out + o + l, "\r\n", 2);
                o += l + 2;
                break;
            }
        if (!end)
            break;
        line = end + 1;
    }
    o += (size_t)snprintf(out + o, sizeof out - o, "Content-Length: 0\r\n\r\n");
    if (transport_send(&src->addr, src->conn_id, out, o) == 0) {
        stats_inc(STAT_LOCAL_REPLIES);
        ls_stats_reply_sent(NULL, code);
    }
}

void sip_reject_oversize(const char *buf, size_t len, const struct sip_source *src)
{
    char from[64];
    log_info("message from %s refused: larger than %d bytes", addr_str(&src->addr.sa, from, sizeof from), SIP_MAX_MESSAGE);
    raw_reply(buf, len, src, 513, "Message Too Large");
}

/* RFC 3261 §8.2, §16.3: whether a request may be seen by a route. Returns 0, or the code to
 * answer with (reason in *why, extra header lines in hdrs). */
static int request_problem(struct sip_msg *msg, const char **why, char *hdrs, size_t hlen)
{
    const struct sip_msg_priv *p = msg->p;
    static const struct { int id; const char *missing; } mandatory[] = {
        { HDR_VIA, "missing Via" }, { HDR_FROM, "missing From" }, { HDR_TO, "missing To" },
        { HDR_CALL_ID, "missing Call-ID" }, { HDR_CSEQ, "missing CSeq" },
    };
    static const int single[] = { HDR_FROM, HDR_TO, HDR_CALL_ID, HDR_CSEQ, HDR_MAX_FORWARDS, HDR_CONTENT_TYPE };
    if (!sip_str_ieq(p->version, "SIP/2.0"))
        return *why = "Version Not Supported", 505;
    unsigned char lines[HDR_COUNT] = { 0 }; /* header lines of each known id, counted up to 2 */
    for (unsigned i = 0; i < p->nh; i++)
        if (lines[p->h[i].id] < 2)
            lines[p->h[i].id]++;
    for (size_t i = 0; i < sizeof mandatory / sizeof mandatory[0]; i++)
        if (!lines[mandatory[i].id])
            return *why = mandatory[i].missing, 400;
    for (size_t i = 0; i < sizeof single / sizeof single[0]; i++)
        if (lines[single[i]] > 1)
            return *why = "repeated single-value header", 400;
    if (p->cl_bad)
        return *why = "bad Content-Length", 400;
    struct sip_uri u;
    struct sip_str ruri = sipmsg_ruri(msg);
    if (sip_uri_parse(ruri.s, ruri.len, &u) != 0)
        return *why = "bad Request-URI", 400;
    struct sip_via via;
    if (sipmsg_top_via(msg, &via) != 0)
        return *why = "bad Via", 400;
    struct sip_nameaddr na;
    if (sipmsg_nameaddr(msg, "From", &na) != 0)
        return *why = "bad From", 400;
    if (sipmsg_nameaddr(msg, "To", &na) != 0)
        return *why = "bad To", 400;
    if (!sipmsg_call_id(msg).s)
        return *why = "bad Call-ID", 400;
    uint32_t num;
    struct sip_str cm;
    if (sipmsg_cseq(msg, &num, &cm) != 0)
        return *why = "bad CSeq", 400;
    if (cm.len != p->method.len || memcmp(cm.s, p->method.s, cm.len) != 0)
        return *why = "CSeq method does not match", 400;
    struct sip_str mf = sipmsg_header(msg, "Max-Forwards", 0);
    if (mf.s && sip_number(mf, 0x7fffffffLL) < 0)
        return *why = "bad Max-Forwards", 400;
    if (sipmsg_method_is(msg, "ACK") || sipmsg_method_is(msg, "CANCEL"))
        return 0;
    /* §16.3 step 4: we support no extension a proxy could be required to */
    if (!lines[HDR_PROXY_REQUIRE])
        return 0;
    struct sip_hdr_iter it;
    struct sip_str opt;
    size_t n = 0;
    sipmsg_iter_init(&it, msg, "Proxy-Require");
    while (sipmsg_iter_next(&it, &opt))
        if (n + opt.len + 20 < hlen)
            n += (size_t)snprintf(hdrs + n, hlen - n, "Unsupported: %.*s\r\n", (int)opt.len, opt.s);
    if (n)
        return *why = "Bad Extension", 420;
    return 0;
}

/* The server is stopping: 503 with Retry-After, through the transaction when there is one. */
static void refuse_draining(struct sip_msg *msg)
{
    proxy_reply(msg, 503, NULL, "Retry-After: 10\r\n", NULL, 0);
    sip_hook_route_end(msg, 0); /* a unit that made a transaction for it ends it */
}

static void request_in(struct sip_msg *msg)
{
    char method[32], hdrs[512] = "";
    const char *why = NULL;
    msg->rx_us = ls_stats_now_us();
    sip_str_copy(sipmsg_method(msg), method, sizeof method);
    stats_requests[stats_method(method)]++;
    via_fix_request(msg); /* every answer goes to the packet's source */
    int code = request_problem(msg, &why, hdrs, sizeof hdrs);
    if (code) {
        stats_inc(STAT_RX_BAD);
        log_debug("bad %s request: %s", method, why);
        if (strcmp(method, "ACK") != 0) {
            char reason[96];
            if (code == 400)
                snprintf(reason, sizeof reason, "Bad Request (%s)", why);
            else
                snprintf(reason, sizeof reason, "%s", why);
            proxy_reply(msg, code, reason, hdrs[0] ? hdrs : NULL, NULL, 0);
        }
        return;
    }
    if (sip_hook_request(msg) != LS_HOOK_NEXT)
        return;
    if (sip_draining && strcmp(method, "ACK") != 0) {
        refuse_draining(msg);
        return;
    }
    if (!routes.request || !routes.request(msg)) {
        log_debug("%s dropped: the script has no on_request", method);
        stats_inc(STAT_DROPPED);
    }
}

static void reply_in(struct sip_msg *msg)
{
    int code = sipmsg_status(msg);
    stats_replies[code / 100]++;
    struct sip_via via;
    if (sipmsg_cseq(msg, NULL, NULL) != 0 || sipmsg_top_via(msg, &via) != 0 || msg->p->cl_bad ||
        !sip_str_ieq(sipmsg_version(msg), "SIP/2.0")) {
        stats_inc(STAT_RX_BAD);
        log_debug("reply %d dropped: bad CSeq, Via, Content-Length or version", code);
        return;
    }
    if (sip_hook_reply(msg) != LS_HOOK_NEXT)
        return;
    if (!via_is_ours(&via)) {
        log_debug("reply %d dropped: its top Via is not ours", code);
        stats_inc(STAT_DROPPED);
        return;
    }
    if (!routes.reply || !routes.reply(msg))
        proxy_forward_reply(msg);
}

/* RFC 7118 clients put an unresolvable host (xxx.invalid) in their Contact: it names their
 * connection from now on, so requests to that Contact (in-dialog ones too) can reach them. */
static void ws_learn_contact(const struct sip_msg *msg)
{
    struct sip_str c = sipmsg_header(msg, "Contact", 0);
    struct sip_nameaddr na;
    struct sip_uri u;
    if (c.s && sip_nameaddr_parse(c.s, c.len, &na) == 0 && sip_uri_parse(na.uri.s, na.uri.len, &u) == 0
        && u.host.len > 8 && strncasecmp(u.host.s + u.host.len - 8, ".invalid", 8) == 0)
        transport_ws_alias(msg->src.conn_id, u.host.s, u.host.len);
}

void sip_receive(char *buf, size_t len, const struct sip_source *src)
{
    const char *why = NULL;
    struct sip_msg *msg = sipmsg_parse(buf, len, src, &why);
    if (!msg) {
        char from[64];
        stats_inc(STAT_RX_BAD);
        log_debug("%s from %s dropped (%zu bytes)", why, addr_str(&src->addr.sa, from, sizeof from), len);
        raw_reply(buf, len, src, 400, "Bad Request");
        return;
    }
    if (src->addr.proto == PROTO_WS || src->addr.proto == PROTO_WSS)
        ws_learn_contact(msg);
    if (sipmsg_is_request(msg))
        request_in(msg);
    else
        reply_in(msg);
    sipmsg_unref(msg);
}
