/* The SIP receive path: parse, sanity checks, then the script's on_request/on_reply routes. */
#include <lunasip/coro.h>
#include <lunasip/sip.h>
#include "log.h"
#include <lunasip/lua.h>
#include <lunasip/proxy.h>
#include "lua/script.h"
#include <lunasip/msg.h>
#include "stats.h"
#include <lunasip/via.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <strings.h>

int (*sip_request_hook)(struct sip_msg *msg);
int (*sip_reply_hook)(struct sip_msg *msg);
void (*sip_route_done_hook)(struct sip_msg *msg, int failed);

/* Answer a message libosip2 could not parse (or would not accept) when its first line is a
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
    if (transport_send(&src->addr, src->conn_id, out, o) == 0)
        stats_inc(STAT_LOCAL_REPLIES);
}

void sip_reject_oversize(const char *buf, size_t len, const struct sip_source *src)
{
    char from[64];
    log_info("message from %s refused: larger than %d bytes", addr_str(&src->addr.sa, from, sizeof from), SIP_MAX_MESSAGE);
    raw_reply(buf, len, src, 513, "Message Too Large");
}

/* RFC 3261 §18.3: a datagram whose body is shorter than its Content-Length is truncated. */
static int body_truncated(const char *buf, size_t len, const osip_message_t *m)
{
    if (!m->content_length || !m->content_length->value)
        return 0;
    const char *end = strstr(buf, "\r\n\r\n");
    size_t have = end ? len - (size_t)(end + 4 - buf) : 0;
    return strtoul(m->content_length->value, NULL, 10) > have;
}

/* RFC 3261 §8.2: what a request must carry before a route may see it. */
static const char *request_problem(const osip_message_t *m)
{
    if (!m->req_uri || !m->req_uri->host)
        return "bad Request-URI";
    if (!osip_list_size(&m->vias))
        return "missing Via";
    if (!m->from)
        return "missing From";
    if (!m->to)
        return "missing To";
    if (!m->call_id)
        return "missing Call-ID";
    if (!m->cseq || !m->cseq->method || !m->cseq->number)
        return "missing CSeq";
    if (strcmp(m->cseq->method, m->sip_method) != 0)
        return "CSeq method does not match";
    return NULL;
}

int sip_route_start(const char *name, enum coro_kind kind, struct sip_msg *msg, coro_done_fn done)
{
    lua_State *L = script_current->L;
    int exists = lua_getglobal(L, name) == LUA_TFUNCTION;
    lua_pop(L, 1);
    if (!exists)
        return 0;
    struct coro *c = coro_new(script_current, kind, msg);
    script_route(coro_L(c), name);
    lua_msg_push(coro_L(c), msg);
    coro_set_done(c, done, NULL);
    coro_resume(c, NULL, 1);
    return 1;
}

static void request_done(struct coro *c, enum coro_status st, const char *err)
{
    struct sip_msg *msg = coro_msg(c);
    int ack = !strcmp(msg->m->sip_method, "ACK");
    if (msg->tx && sip_route_done_hook) {
        sip_route_done_hook(msg, st == CORO_ERROR);
        return;
    }
    if (st == CORO_ERROR) {
        if (!msg->replied && !ack && !msg->dropped)
            proxy_reply(msg, 500, "Server Internal Error");
    } else if (!msg->replied && !msg->forwarded && !msg->dropped) {
        log_debug("%s %s dropped: the route neither replied nor forwarded", msg->m->sip_method,
                  msg->m->call_id ? msg->m->call_id->number : "");
        stats_inc(STAT_DROPPED);
    }
}

static void request_in(struct sip_msg *msg, int truncated)
{
    osip_message_t *m = msg->m;
    const char *problem = truncated ? "body shorter than Content-Length" : request_problem(m);
    stats_requests[stats_method(m->sip_method)]++;
    if (problem) {
        stats_inc(STAT_RX_BAD);
        log_debug("bad %s request: %s", m->sip_method, problem);
        if (strcmp(m->sip_method, "ACK") != 0) {
            char reason[96];
            snprintf(reason, sizeof reason, "Bad Request (%s)", problem);
            proxy_reply(msg, 400, reason);
        }
        return;
    }
    via_fix_request(m, &msg->src.addr.sa);
    if (sip_request_hook && sip_request_hook(msg))
        return;
    if (!sip_route_start("on_request", CORO_REQUEST, msg, request_done)) {
        log_debug("%s dropped: the script has no on_request", m->sip_method);
        stats_inc(STAT_DROPPED);
    }
}

static void reply_done(struct coro *c, enum coro_status st, const char *err)
{
    if (!coro_msg(c)->dropped)
        proxy_forward_reply(coro_msg(c));
}

static void reply_in(struct sip_msg *msg, int truncated)
{
    int code = msg->m->status_code;
    if (code >= 100 && code < 700)
        stats_replies[code / 100]++;
    osip_via_t *via = osip_list_get(&msg->m->vias, 0);
    if (!msg->m->cseq || !via || truncated) {
        stats_inc(STAT_RX_BAD);
        return;
    }
    if (sip_reply_hook && sip_reply_hook(msg))
        return;
    if (!via_is_ours(via)) {
        log_debug("reply %d dropped: its top Via is not ours", code);
        stats_inc(STAT_DROPPED);
        return;
    }
    if (!sip_route_start("on_reply", CORO_REPLY, msg, reply_done))
        proxy_forward_reply(msg);
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
    int truncated = body_truncated(buf, len, msg->m);
    if (MSG_IS_REQUEST(msg->m))
        request_in(msg, truncated);
    else
        reply_in(msg, truncated);
    sipmsg_unref(msg);
}
